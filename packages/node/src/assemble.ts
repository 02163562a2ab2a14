import { type Clock, type DhtNode, systemClock } from '@mycel/dht'
import type { StateStore } from '@mycel/store'
import { type Identity, secure as noiseSecure, type Transport } from '@mycel/transport'
import { type HelloMessage, MycelError, PROTOCOL_VERSION } from '@mycel/wire'
import { describeError, type Logger, silentLogger } from '@mycel/wire/log'
import type { ChannelOptions } from './channels/limits.js'
import type { ContentStorage } from './content.js'
import { DEFAULT_CHANGE_CHECK_INTERVAL_MS } from './content-watch.js'
import { checkTrackers } from './discovery/share-trackers.js'
import type { TrackerAccountOptions } from './discovery/tracker/account-api.js'
import { splitWsTrackers } from './discovery/ws-tracker/split.js'
import type { WsTrackerClient } from './discovery/ws-tracker/ws-tracker-client.js'
import { WsTrackerPeerSource } from './discovery/ws-tracker/ws-tracker-source.js'
import {
  type AnnounceKeyPolicy,
  checkAnnounceKey,
  DhtPeerSource,
  type PeerSource,
  TrackerClient,
  type TrackerList,
  TrackerPeerSource,
  type TrackerTransport,
} from './discovery.js'
import { NodeError } from './errors.js'
import type { MycelNode, NodeParts } from './node.js'
import type { NodeLimits, PrivacyStatus, SecureUpgrade } from './options.js'
import { ConnectionPool } from './peer/pool.js'
import type { ConnectionProtocol } from './peer/protocols.js'
import type { PrivateStorage } from './private/storage.js'
import { wireTrackerAccounts } from './receipts/account-wiring.js'

/** The software name and version a node reports in its `hello`. */
export const AGENT = 'mycel/0.1.0'

const HANDSHAKE_TIMEOUT_MS = 10_000
/** Inbound handshakes get less time: their resources are ours, spent at the remote's request. */
const INBOUND_HANDSHAKE_TIMEOUT_MS = 5_000

/** Everything a node is made of, whatever the runtime. @internal */
export interface NodeAssembly {
  identity: Identity
  state: StateStore
  ownsState: boolean
  storage: ContentStorage
  /** Where private shares keep their ciphertext; none: the node has no private shares. */
  privateStorage?: PrivateStorage | undefined
  transports: readonly Transport[]
  secure: SecureUpgrade | undefined
  dht: DhtNode | undefined
  downloadDir: string
  protocols: readonly ConnectionProtocol[]
  /** Peer sources besides the DHT's (the app's); the node closes them. */
  peerSources: readonly PeerSource[] | undefined
  /** Trackers of every share (checked here). */
  trackers: TrackerList | undefined
  /** The client of `ws:`/`wss:` trackers (WebRTC signalling); none: those trackers are left out. */
  wsTrackers?: WsTrackerClient | undefined
  /** How trackers are reached. */
  trackerTransport: TrackerTransport | undefined
  /** Accounts at mycel-trackers (receipts, reports, signed announces); none when undefined. */
  trackerAccounts?: readonly TrackerAccountOptions[] | undefined
  /** The node's default announce key (checked here). */
  announceKey: AnnounceKeyPolicy | undefined
  limits: NodeLimits | undefined
  changeCheckInterval: number | undefined
  listen: readonly string[]
  /** Where the node's parts log; silent when undefined. */
  logger: Logger | undefined
  /** Time of the node's scheduled work; the system clock when undefined. */
  clock: Clock | undefined
  /** Timing of channels' DHT work; the defaults when undefined. */
  channels?: ChannelOptions | undefined
  signal: AbortSignal | undefined
  /** Proxy and anonymous mode (`createNode`); none when undefined. */
  privacy?: PrivacyWiring | undefined
}

/** What proxy and anonymous mode change in the parts. @internal */
export interface PrivacyWiring {
  status: PrivacyStatus
  /** Addresses told to peers in `hello` in place of the listeners' (proxy mode: the onion one, or none). */
  advertise: readonly string[] | undefined
  /** Whether the transports dial onion addresses (through a proxy); without, they are never dialled. */
  dialsOnion: boolean
  /** No agent in `hello`. */
  anonymous: boolean
}

/**
 * Builds a node from its parts and starts it (listens, resumes its shares,
 * joins the DHT). A node that fails to start is closed again, and with it
 * every part it owns.
 * @internal
 */
export async function assembleNode<N extends MycelNode>(
  assembly: NodeAssembly,
  construct: (parts: NodeParts) => N,
): Promise<N> {
  const { identity, signal } = assembly
  const logger = assembly.logger ?? silentLogger
  const limits = resolveLimits(assembly.limits ?? {})
  const announceKey = checkAnnounceKey(assembly.announceKey) ?? 'discovery-key'
  const peerSources = checkPeerSources(assembly.peerSources)
  const trackers = checkTrackers(assembly.trackers) ?? []
  const secure = assembly.secure ?? noiseSecure
  const privacy = assembly.privacy
  const clock = assembly.clock ?? systemClock
  const accounts = wireTrackerAccounts({
    accounts: assembly.trackerAccounts,
    identity,
    protocols: assembly.protocols,
    fetch: assembly.trackerTransport?.fetch,
    state: assembly.state,
    trackers,
    logger,
    clock,
  })
  const trackerClient = new TrackerClient({
    ...assembly.trackerTransport,
    logger,
    clock,
    ...(accounts.signer === undefined ? {} : { announceSigner: accounts.signer }),
    ...trackerOnion(privacy),
  })
  const { ws: wsTrackerUrls, others: otherTrackers } = splitWsTrackers(trackers)
  const nodeTrackers: PeerSource[] =
    otherTrackers.length === 0 ? [] : [new TrackerPeerSource(otherTrackers, { client: trackerClient })]
  if (wsTrackerUrls.length > 0 && assembly.wsTrackers !== undefined) {
    nodeTrackers.push(new WsTrackerPeerSource(wsTrackerUrls, assembly.wsTrackers))
  }
  const parts: NodeParts = {
    privacy: privacy?.status ?? {
      proxy: undefined,
      udp: assembly.dht !== undefined,
      onion: undefined,
      anonymous: false,
    },
    logger,
    clock,
    channels: assembly.channels ?? {},
    identity,
    state: assembly.state,
    ownsState: assembly.ownsState,
    dht: assembly.dht,
    storage: assembly.storage,
    privateStorage: assembly.privateStorage,
    downloadDir: assembly.downloadDir,
    changeCheckInterval: checkInterval(assembly.changeCheckInterval),
    limits,
    protocols: accounts.protocols,
    attachAccounts: (node) => accounts.attach(node),
    sources: [
      ...(assembly.dht === undefined ? [] : [new DhtPeerSource(assembly.dht)]),
      ...peerSources,
      ...nodeTrackers,
    ],
    trackerClient,
    wsTrackers: assembly.wsTrackers,
    announceKey,
    createPool: (registry, protocols) => {
      const pool: ConnectionPool = new ConnectionPool({
        identity,
        transports: assembly.transports,
        dialsOnion: privacy?.dialsOnion ?? false,
        inboundThroughProxy: privacy?.status.proxy !== undefined,
        secure,
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
          agent: privacy?.anonymous === true ? '' : AGENT,
          listen: [...(privacy?.advertise ?? pool.addresses)],
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
  }
  if (signal?.aborted) throw NodeError.aborted(signal.reason)
  const node = construct(parts)
  try {
    await node.start(assembly.listen, signal)
    if (assembly.dht !== undefined) {
      void assembly.dht.bootstrap({ ...(signal ? { signal } : {}) }).catch((error) => {
        // (closed or aborted: the node stopped first)
        if (!(error instanceof MycelError && (error.code === 'CLOSED' || error.code === 'ABORTED'))) {
          logger.forComponent('mycel:node').debug(`joining the DHT failed: ${describeError(error)}`)
        }
      })
    }
  } catch (error) {
    await node.close()
    throw error
  }
  return node
}

/**
 * Checks the peer sources an app gives.
 * @throws TypeError for anything but an array of objects with `name`, `announce`, `lookup`, `close`
 * @internal
 */
export function checkPeerSources(sources: unknown): readonly PeerSource[] {
  if (sources === undefined) return []
  const valid = (source: unknown): source is PeerSource =>
    typeof source === 'object' &&
    source !== null &&
    typeof (source as PeerSource).name === 'string' &&
    typeof (source as PeerSource).announce === 'function' &&
    typeof (source as PeerSource).lookup === 'function' &&
    typeof (source as PeerSource).close === 'function'
  if (!Array.isArray(sources) || !sources.every(valid)) {
    throw new TypeError('peerSources must be an array of PeerSource (name, announce, lookup, close)')
  }
  return sources
}

function checkInterval(value: number | undefined): number {
  if (value === undefined) return DEFAULT_CHANGE_CHECK_INTERVAL_MS
  if (!Number.isFinite(value) || value < 0) throw new RangeError('changeCheckInterval must be a non-negative number')
  return value
}

/** Every limit, checked, with its default. @internal */
export function resolveLimits(limits: NodeLimits): Required<NodeLimits> {
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

/**
 * What trackers hear of onion addresses: in proxy mode, HTTP announces ask
 * for dictionary peer lists (which can hold onion peers, dialled through
 * the proxy); with an onion address, they give it (`ip`, its port).
 */
function trackerOnion(privacy: PrivacyWiring | undefined): {
  onion?: { host: string; port: number }
  onionPeers?: boolean
} {
  if (privacy === undefined || !privacy.dialsOnion) return {}
  const onion = privacy.status.onion === undefined ? undefined : new URL(privacy.status.onion)
  return {
    onionPeers: true,
    ...(onion === undefined ? {} : { onion: { host: onion.hostname, port: Number(onion.port) } }),
  }
}
