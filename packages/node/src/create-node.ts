import { mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { DhtNode, RoutingTableSnapshot } from '@mycel/dht'
import { createUdpDhtNode } from '@mycel/dht/udp'
import type { StateStore } from '@mycel/store'
import { FileHandlePool } from '@mycel/store/fs'
import { openSqliteStateStore } from '@mycel/store/sqlite'
import { loadOrCreateIdentity } from '@mycel/transport/node'
import { tcpTransport } from '@mycel/transport/tcp'
import { webSocketTransport } from '@mycel/transport/ws'
import { type HelloMessage, MycelError, PROTOCOL_VERSION } from '@mycel/wire'
import { type ComponentLogger, componentLogger, describeError, type Logger, silentLogger } from '@mycel/wire/log'
import { DEFAULT_CHANGE_CHECK_INTERVAL_MS } from './content-watch.js'
import { NodeError } from './errors.js'
import { MycelNode } from './node.js'
import type { NodeLimits, NodeOptions } from './options.js'
import { ConnectionPool } from './peer/pool.js'
import { DHT_ROUTING_TABLE_KEY } from './state-keys.js'

/** The software name and version a node reports in its `hello`. */
export const AGENT = 'mycel/0.1.0'

const HANDSHAKE_TIMEOUT_MS = 10_000
/** Inbound handshakes get less time: their resources are ours, spent at the remote's request. */
const INBOUND_HANDSHAKE_TIMEOUT_MS = 5_000

/**
 * Creates and starts a node: loads (or creates) its identity, opens its
 * state, binds its listeners and DHT socket, and resumes the shares and
 * downloads it had before. With no options at all it works: state and
 * identity under `~/.mycel`, TCP on a free port, a DHT on a free UDP port.
 *
 * @param options - where to keep state, what to listen on, DHT bootstrap nodes, limits
 * @returns the running node
 * @throws `TransportError` (`LISTEN_FAILED` for a port in use), `StoreError`
 *   (a state database that is corrupt or locked), `ABORTED`; whatever was
 *   opened is closed again
 *
 * @example
 * ```ts
 * import { createNode } from '@mycel/node'
 *
 * const node = await createNode({ dataDir: './.mycel', bootstrap: ['127.0.0.1:6881'] })
 * const download = node.download('magnet:?xt=urn:btmh:1220...', { dir: './downloads' })
 * await download.done()
 * await node.close()
 * ```
 */
export async function createNode(options: NodeOptions = {}): Promise<MycelNode> {
  const dataDir = resolve(options.dataDir ?? join(homedir(), '.mycel'))
  const limits = resolveLimits(options.limits ?? {})
  if (options.directWrites !== undefined && typeof options.directWrites !== 'boolean') {
    throw new TypeError('directWrites must be a boolean')
  }
  const { signal } = options
  const logger: Logger = options.logger ?? silentLogger
  const log = componentLogger(logger, 'mycel:node')
  const opened: Array<() => Promise<void>> = []
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    const identity = options.identity ?? (await loadOrCreateIdentity(join(dataDir, 'identity.json')))
    const state = options.state ?? (await openSqliteStateStore(join(dataDir, 'state.db'), { logger }))
    if (options.state === undefined) opened.push(() => state.close())
    // The piece stores the node opens log through their pool.
    const files = new FileHandlePool({ maxOpen: limits.maxOpenFiles, logger })
    opened.push(() => files.close())
    const dht = await openDht(options, state, logger, log)
    if (dht !== undefined) opened.push(() => dht.close())
    if (signal?.aborted) throw NodeError.aborted(signal.reason)
    const transports = options.transports ?? [tcpTransport({ logger }), webSocketTransport({ logger })]
    const node = new MycelNode({
      identity,
      state,
      ownsState: options.state === undefined,
      dht,
      files,
      downloadDir: resolve(options.downloadDir ?? join(dataDir, 'downloads')),
      directWrites: options.directWrites ?? true,
      changeCheckInterval: checkInterval(options.changeCheckInterval),
      limits,
      protocols: options.protocols ?? [],
      logger,
      createPool: (registry, protocols) => {
        const pool: ConnectionPool = new ConnectionPool({
          identity,
          transports,
          maxConnections: limits.maxConnections,
          handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
          inboundHandshakeTimeoutMs: INBOUND_HANDSHAKE_TIMEOUT_MS,
          admission: {
            maxHandshakes: limits.maxHandshakes,
            maxHandshakesPerAddress: limits.maxHandshakesPerAddress,
            maxHandshakesPerSubnet: limits.maxHandshakesPerSubnet,
            maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
            maxConnectionsPerSubnet: limits.maxConnectionsPerSubnet,
          },
          idleTimeoutMs: limits.idleTimeout,
          inDownload: (peer) => registry.inDownload(peer),
          onRefused: (refusal) => registry.onRefused(refusal),
          hello: (): HelloMessage => ({
            type: 'hello',
            version: PROTOCOL_VERSION,
            agent: AGENT,
            listen: pool.addresses,
            capabilities: protocols.names,
          }),
          isBanned: (peerId) => registry.isBanned(peerId),
          scoreOf: (key, keyBytes) => registry.scoreOf(key, keyBytes),
          protocols,
          handler: registry,
          logger,
        })
        return pool
      },
    })
    opened.length = 0 // the node owns them now
    try {
      await node.start(options.listen ?? ['tcp://0.0.0.0:0'], signal)
      if (dht !== undefined) {
        void dht.bootstrap({ ...(signal ? { signal } : {}) }).catch((error) => {
          // (closed or aborted: the node stopped first)
          if (!(error instanceof MycelError && (error.code === 'CLOSED' || error.code === 'ABORTED')))
            log.debug(`joining the DHT failed: ${describeError(error)}`)
        })
      }
    } catch (error) {
      await node.close()
      throw error
    }
    return node
  } catch (error) {
    for (const close of opened.reverse()) await close().catch(() => {})
    throw error
  }
}

async function openDht(
  options: NodeOptions,
  state: StateStore,
  logger: Logger,
  log: ComponentLogger,
): Promise<DhtNode | undefined> {
  if (options.dht === false) return undefined
  const settings = options.dht ?? {}
  if (settings.node !== undefined) return settings.node
  const saved = await state.getValue(DHT_ROUTING_TABLE_KEY)
  let routingTable: RoutingTableSnapshot | undefined
  try {
    routingTable = saved ? (JSON.parse(new TextDecoder().decode(saved)) as RoutingTableSnapshot) : undefined
  } catch (error) {
    routingTable = undefined // a damaged snapshot only costs a cold start
    log.info(`the saved DHT routing table does not parse, starting without it: ${describeError(error)}`)
  }
  return createUdpDhtNode({
    ...(settings.host !== undefined ? { host: settings.host } : {}),
    port: settings.port ?? 0,
    bootstrap: options.bootstrap ?? [],
    ...(routingTable ? { routingTable } : {}),
    logger,
  })
}

function checkInterval(value: number | undefined): number {
  if (value === undefined) return DEFAULT_CHANGE_CHECK_INTERVAL_MS
  if (!Number.isFinite(value) || value < 0) throw new RangeError('changeCheckInterval must be a non-negative number')
  return value
}

function resolveLimits(limits: NodeLimits): Required<NodeLimits> {
  const positive = (value: number | undefined, fallback: number, name: string): number => {
    if (value === undefined) return fallback
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`limits.${name} must be a non-negative number`)
    return value
  }
  return {
    maxConnections: positive(limits.maxConnections, 200, 'maxConnections'),
    maxConnectionsPerAddress: positive(limits.maxConnectionsPerAddress, 8, 'maxConnectionsPerAddress'),
    maxConnectionsPerSubnet: positive(limits.maxConnectionsPerSubnet, 32, 'maxConnectionsPerSubnet'),
    maxHandshakes: positive(limits.maxHandshakes, 64, 'maxHandshakes'),
    maxHandshakesPerAddress: positive(limits.maxHandshakesPerAddress, 4, 'maxHandshakesPerAddress'),
    maxHandshakesPerSubnet: positive(limits.maxHandshakesPerSubnet, 16, 'maxHandshakesPerSubnet'),
    idleTimeout: positive(limits.idleTimeout, 120_000, 'idleTimeout'),
    maxPeersPerShare: positive(limits.maxPeersPerShare, 50, 'maxPeersPerShare'),
    uploadRate: positive(limits.uploadRate, 0, 'uploadRate'),
    downloadRate: positive(limits.downloadRate, 0, 'downloadRate'),
    maxOpenFiles: positive(limits.maxOpenFiles, 256, 'maxOpenFiles'),
  }
}
