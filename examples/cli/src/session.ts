import { join } from 'node:path'
import { createNode, type MycelNode } from '@mycel/node'
import { LiveAccess } from './access/live.js'
import { type Context, listenAddresses } from './context.js'
import { controlHandlers } from './control/handlers.js'
import { CONTROL_SOCKET_NAME } from './control/protocol.js'
import { ControlServer } from './control/server.js'
import { explain } from './errors.js'
import type { Lifetime } from './lifetime.js'
import { reportShareChanges } from './seeding.js'

/** A node run by a long command (`share`, `get`), with the control socket that short commands reach it through. */
export interface NodeSession {
  readonly node: MycelNode
  /** When the node started (ms since the epoch). */
  readonly startedAt: number
  /** Closes the control socket, then the node (saving its state). Idempotent. */
  close(): Promise<void>
}

/**
 * Starts the node of the data folder with the global options (listen
 * address and port, bootstrap nodes, limits) and serves its control socket.
 *
 * @param context - the command's context
 * @param lifetime - its first signal aborts the start
 * @returns the session
 * @throws `CliError`: `PORT_IN_USE`, `DATA_DIR_BUSY`, ... (explained errors of `createNode`), `INTERRUPTED`
 */
export async function openNodeSession(context: Context, lifetime: Lifetime): Promise<NodeSession> {
  const settings = context.options
  let node: MycelNode
  try {
    node = await createNode({
      dataDir: settings.dataDir,
      listen: listenAddresses(settings),
      ...(settings.proxy === undefined
        ? { bootstrap: settings.bootstrap, dht: { host: settings.host, port: settings.port ?? 0 } }
        : { proxy: settings.proxy, ...(settings.onion === undefined ? {} : { onion: settings.onion }) }),
      anonymous: settings.anonymous,
      limits: { uploadRate: settings.uploadLimit, downloadRate: settings.downloadLimit },
      signal: lifetime.signal,
      logger: context.logger,
    })
  } catch (error) {
    if (lifetime.signalName !== undefined) throw lifetime.interruption('stopped while starting')
    throw explain(error, context.explain)
  }
  const { privacy } = node.stats()
  if (privacy.proxy !== undefined) {
    context.out.event('proxy', { proxy: privacy.proxy, udp: false, dht: false, onion: privacy.onion ?? null })
    context.out.note(
      `every connection goes through the proxy ${privacy.proxy}; no DHT and no UDP at all (UDP cannot go through a proxy): ` +
        `peers come from links, --peer, HTTP trackers and peer exchange${privacy.onion === undefined ? '' : `; peers are told ${privacy.onion}`}`,
    )
  }
  reportShareChanges(context, node)
  const startedAt = Date.now()
  const access = new LiveAccess(node, { pid: process.pid, startedAt, dataDir: settings.dataDir })
  let control: ControlServer | undefined
  try {
    control = await ControlServer.start(
      join(settings.dataDir, CONTROL_SOCKET_NAME),
      controlHandlers(access),
      (error) => {
        const explained = explain(error, context.explain)
        return { code: explained.code, message: explained.message, hint: explained.hint }
      },
    )
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    context.out.warn(`no control socket (${reason}): mycel ls, status and peers cannot reach this process`)
  }
  let closing: Promise<void> | undefined
  return {
    node,
    startedAt,
    close() {
      closing ??= (async () => {
        await control?.close()
        await node.close()
      })()
      return closing
    },
  }
}
