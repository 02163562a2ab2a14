import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createNode, type MycelNode, type NodeOptions, type TrackerAccountOptions } from '@mycel/node'
import type { Identity } from '@mycel/transport'
import { loadOrCreateIdentity } from '@mycel/transport/node'
import { toHex } from '@mycel/wire'
import type { NodeAccess } from './access/access.js'
import { LiveAccess, type ProcessInfo } from './access/live.js'
import { type Context, listenAddresses } from './context.js'
import { channelControlHandler } from './control/channel-handlers.js'
import { controlHandlers } from './control/handlers.js'
import { CONTROL_SOCKET_NAME } from './control/protocol.js'
import { ControlServer } from './control/server.js'
import { explain } from './errors.js'
import type { Lifetime } from './lifetime.js'
import { reportShareChanges } from './seeding.js'
import { trackerAccountsOf } from './tracker-account.js'

/** A node run by a long command (`share`, `get`), with the control socket that short commands reach it through. */
export interface NodeSession {
  readonly node: MycelNode
  /** The node as the control socket serves it. */
  readonly access: NodeAccess
  /** When the node started (ms since the epoch). */
  readonly startedAt: number
  /** Closes the control socket, then the node (saving its state). Idempotent. */
  close(): Promise<void>
}

/** Options of {@link openNodeSession}. */
export interface SessionOptions {
  /** Node options a command sets (channel timings). */
  node?: Pick<NodeOptions, 'channels' | 'state'>
  /** The access the control socket answers from (default {@link LiveAccess}). */
  accessFor?: (node: MycelNode, info: ProcessInfo) => NodeAccess
}

/**
 * Starts the node of the data folder with the global options (listen
 * address and port, bootstrap nodes, limits) and serves its control socket.
 *
 * @param context - the command's context
 * @param lifetime - its first signal aborts the start
 * @param options - node options a command sets (channel timings), and the access the control socket
 *   answers from (the daemon's forgets shares; default {@link LiveAccess}, which refuses to)
 * @returns the session
 * @throws `CliError`: `PORT_IN_USE`, `DATA_DIR_BUSY`, ... (explained errors of `createNode`), `INTERRUPTED`
 */
export async function openNodeSession(
  context: Context,
  lifetime: Lifetime,
  options: SessionOptions = {},
): Promise<NodeSession> {
  const settings = context.options
  let node: MycelNode
  try {
    // Accounts at trackers (mycel account login): receipts, reports and signed announces. Not with a
    // fresh identity per session (--anonymous): no account bound it.
    let accounts: { identity: Identity; trackerAccounts: TrackerAccountOptions[] } | undefined
    if (!settings.anonymous) {
      await mkdir(settings.dataDir, { recursive: true, mode: 0o700 })
      const identity = await loadOrCreateIdentity(join(settings.dataDir, 'identity.json'))
      const trackerAccounts = await trackerAccountsOf(settings.dataDir, toHex(identity.peerId))
      if (trackerAccounts.length > 0) accounts = { identity, trackerAccounts }
    }
    node = await createNode({
      ...(accounts ?? {}),
      dataDir: settings.dataDir,
      listen: listenAddresses(settings),
      ...(settings.proxy === undefined
        ? { bootstrap: settings.bootstrap, dht: { host: settings.host, port: settings.port ?? 0 } }
        : { proxy: settings.proxy, ...(settings.onion === undefined ? {} : { onion: settings.onion }) }),
      anonymous: settings.anonymous,
      limits: { uploadRate: settings.uploadLimit, downloadRate: settings.downloadLimit },
      signal: lifetime.signal,
      logger: context.logger,
      ...options.node,
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
  const accessFor = options.accessFor ?? ((live: MycelNode, info: ProcessInfo) => new LiveAccess(live, info))
  const access = accessFor(node, { pid: process.pid, startedAt, dataDir: settings.dataDir })
  let control: ControlServer | undefined
  try {
    control = await ControlServer.start(
      join(settings.dataDir, CONTROL_SOCKET_NAME),
      { ...controlHandlers(access), channel: channelControlHandler(node) },
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
    access,
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
