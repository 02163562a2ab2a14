import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { AGENT } from '@mycel/node'
import { openSqliteStateStore } from '@mycel/store/sqlite'
import packageJson from '../../package.json' with { type: 'json' }
import type { Context } from '../context.js'
import { CliError, explain } from '../errors.js'
import { Lifetime } from '../lifetime.js'
import { openNodeSession } from '../session.js'
import { trackerAccountsOf } from '../tracker-account.js'
import { DaemonAccess } from './access.js'
import { DaemonServer, type DaemonServerOptions } from './http-server.js'
import { parseDaemonListen } from './listen.js'
import { DaemonLock } from './lock.js'
import { daemonMethods, type SettingsView } from './methods.js'
import { NotificationHub } from './notifications.js'
import { TOKEN_FILE_NAME, TRANSMISSION_PATH } from './protocol.js'
import { RpcDispatcher } from './rpc.js'
import { DaemonShares } from './shares.js'
import { loadOrCreateToken } from './token.js'
import { TransmissionRpc } from './transmission/session.js'
import { DaemonUploads } from './uploads.js'
import { findWebUi, WebUiFiles } from './web-ui.js'

/** Options of `mycel daemon`. */
export interface DaemonCommandOptions {
  /** `--listen host:port` of the HTTP server. */
  listen?: string
  /** `--password`: accepted like the token; required off loopback. */
  password?: string
  /** `--download-dir`: where downloads go when a request names no folder. */
  downloadDir?: string
  /** `--allow-origin`: web origins besides the daemon's own that may call it. */
  allowOrigin?: string[]
}

function tcpPort(addresses: readonly string[]): number {
  for (const address of addresses) {
    const port = Number(/:(\d+)$/.exec(address)?.[1])
    if (port > 0) return port
  }
  return 0
}

async function startServer(options: DaemonServerOptions): Promise<DaemonServer> {
  try {
    return await DaemonServer.start(options)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') {
      throw new CliError(
        'PORT_IN_USE',
        `port ${options.port} of ${options.host} is already in use`,
        'choose another with --listen',
        {
          cause: error,
        },
      )
    }
    if (code === 'EADDRNOTAVAIL') {
      throw new CliError('ADDRESS_UNAVAILABLE', `${options.host} is not an address of this machine`, 'check --listen', {
        cause: error,
      })
    }
    throw error
  }
}

/**
 * `mycel daemon`: runs the node of the data folder until Ctrl-C (or the
 * `shutdown` method), with its HTTP API: JSON-RPC 2.0 at `/rpc`,
 * notifications over a WebSocket at `/ws`, Transmission RPC at
 * `/transmission/rpc` (docs/daemon.md). One daemon per data folder
 * (`daemon.json` is its lock); the other commands talk to it while it runs.
 *
 * @param context - the command's context
 * @param options - listen address, password, download folder, origins
 * @returns the exit status: 0 after a clean stop
 */
export async function runDaemon(context: Context, options: DaemonCommandOptions): Promise<number> {
  const password = options.password ?? process.env.MYCEL_DAEMON_PASSWORD
  const listen = parseDaemonListen(options.listen, password)
  const { dataDir } = context.options
  await mkdir(dataDir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    throw explain(error, context.explain)
  })
  const lock = await DaemonLock.acquire(dataDir)
  const lifetime = new Lifetime()
  try {
    const token = await loadOrCreateToken(dataDir)
    // The daemon opens the state store itself (the node then leaves it open) to read verified pieces and
    // known peers for its `pieces` and `peers` methods.
    const state = await openSqliteStateStore(join(dataDir, 'state.db'), { logger: context.logger }).catch(
      (error: unknown) => {
        throw explain(error, context.explain)
      },
    )
    const session = await openNodeSession(context, lifetime, {
      node: { state },
      accessFor: (node, info) => new DaemonAccess(node, info, state),
    }).catch(async (error: unknown) => {
      await state.close()
      throw error
    })
    let server: DaemonServer | undefined
    let uploads: DaemonUploads | undefined
    try {
      const { node } = session
      const downloadDir = options.downloadDir ?? join(dataDir, 'downloads')
      const shares = new DaemonShares(node, downloadDir, context.explain)
      uploads = new DaemonUploads(join(downloadDir, 'uploads'))
      const access = session.access as DaemonAccess
      access.attach(shares)
      let shutdown: () => void = () => {}
      const shutdownRequested = new Promise<void>((resolve) => {
        shutdown = resolve
      })
      let url = ''
      const settings = async (): Promise<SettingsView> => ({
        dataDir,
        downloadDir,
        uploadLimit: context.options.uploadLimit,
        downloadLimit: context.options.downloadLimit,
        addresses: node.addresses,
        api: url,
        bootstrap: context.options.proxy === undefined ? context.options.bootstrap : [],
        proxy: context.options.proxy ?? null,
        trackerAccounts: (await trackerAccountsOf(dataDir, '')).map(({ api, announce }) => ({ api, announce })),
      })
      const rpc = new RpcDispatcher(daemonMethods({ access, shares, shutdown, state, settings, uploads }), (error) =>
        explain(error, context.explain),
      )
      const transmission = new TransmissionRpc(shares, {
        version: packageJson.version,
        dataDir,
        peerPort: () => tcpPort(node.addresses),
        uploadLimit: context.options.uploadLimit,
        downloadLimit: context.options.downloadLimit,
      })
      const hub = new NotificationHub(node, context.explain, shares)
      server = await startServer({
        host: listen.host,
        port: listen.port,
        credentials: password === undefined ? [token] : [token, password],
        ...(options.allowOrigin === undefined ? {} : { allowOrigins: options.allowOrigin }),
        rpc,
        hub,
        transmission: transmission.handle,
        webUi: new WebUiFiles(findWebUi()),
        uploads,
      })
      url = server.url
      await lock.publish(server.url)
      context.out.result(
        [
          `daemon     ${server.url}  (JSON-RPC at /rpc, WebSocket at /ws)`,
          // the token goes in the fragment, which the browser keeps and never sends (docs/daemon.md)
          `web UI     ${server.url}/#token=${token}`,
          `transmission ${server.url}${TRANSMISSION_PATH}`,
          `token      ${join(dataDir, TOKEN_FILE_NAME)}`,
          `peer id    ${node.peerId}`,
        ],
        {
          event: 'daemon',
          url: server.url,
          ui: `${server.url}/`,
          transmission: `${server.url}${TRANSMISSION_PATH}`,
          tokenFile: join(dataDir, TOKEN_FILE_NAME),
          pid: process.pid,
          peerId: node.peerId,
          addresses: node.addresses,
          agent: AGENT,
        },
      )
      context.out.note('press Ctrl-C to stop')
      await Promise.race([lifetime.stopped(), shutdownRequested])
      context.out.note('stopping...')
      return 0
    } finally {
      await server?.close()
      await uploads?.close()
      await session.close()
      await state.close()
      context.out.event('stopped', { signal: lifetime.signalName ?? null })
    }
  } finally {
    lifetime.dispose()
    await lock.release()
  }
}
