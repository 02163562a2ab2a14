import type { DhtNode } from '@mycel/dht'
import type { StateStore } from '@mycel/store'
import type { Identity } from '@mycel/transport'
import type { Logger } from '@mycel/wire/log'
import type { ChannelOptions } from './channels/limits.js'
import type { Clock } from './clock.js'
import type { ContentStorage } from './content.js'
import type { WsTrackerClient } from './discovery/ws-tracker/ws-tracker-client.js'
import type { AnnounceKeyPolicy, PeerSource, TrackerClient } from './discovery.js'
import type { NodeEvents } from './events.js'
import type { NodeLimits, PrivacyStatus } from './options.js'
import type { ConnectionPool } from './peer/pool.js'
import type { ConnectionProtocol, ProtocolRegistry } from './peer/protocols.js'
import type { PeerRegistry } from './peer/registry.js'
import type { PrivateStorage } from './private/storage.js'
import type { TypedEmitter } from './typed-emitter.js'

/** What a node is built from: `createNode` (Node) or the core's own factory hand it over. @internal */
export interface NodeParts {
  identity: Identity
  /** Proxy, UDP, onion and anonymous mode, as `stats()` shows them. */
  privacy: PrivacyStatus
  state: StateStore
  /** Whether the node closes the state store (it opened it). */
  ownsState: boolean
  dht: DhtNode | undefined
  /** Where shares' bytes live (the file system in Node). */
  storage: ContentStorage
  /** Where private shares keep their ciphertext versions and read their plaintext; none: no private shares. */
  privateStorage?: PrivateStorage | undefined
  /** Where downloads go when `download()` is given no folder. */
  downloadDir: string
  /** Milliseconds a shared file's last look stays good for serving from it. */
  changeCheckInterval: number
  limits: Required<NodeLimits>
  createPool: (registry: PeerRegistry, protocols: ProtocolRegistry) => ConnectionPool
  /** Optional protocols an app runs on every connection (besides peer exchange and gossip). */
  protocols: readonly ConnectionProtocol[]
  /** Peer sources of every share besides the direct peers (the DHT's, an app's); the node closes them. */
  sources: readonly PeerSource[]
  /** The key shares are announced under unless they chose (see `NodeOptions.announceKey`). */
  announceKey: AnnounceKeyPolicy
  /**
   * Starts what the node tells its tracker accounts (receipts, reports of
   * bans), once it is built; closed with it. None: no accounts.
   */
  attachAccounts?: (node: TypedEmitter<NodeEvents>) => { close(): Promise<void> } | undefined
  /** How the node's tracker sources reach trackers (closed with the node). */
  trackerClient: TrackerClient
  /** The client of `ws:`/`wss:` trackers, if the node has one (its sockets close with their sources). */
  wsTrackers?: WsTrackerClient | undefined
  /** Where the node's parts log (`mycel:peer`, `mycel:swarm`, `mycel:store`, `mycel:node`). */
  logger: Logger
  /**
   * Time and timers of the node's scheduled work: discovery (announces,
   * lookups, retries), peer exchange, and the saves of totals, scores and
   * the DHT table. Connection timeouts (hello, requests, idle, handshakes)
   * run on real time: they are about real peers.
   */
  clock: Clock
  /** Timing of channels' DHT work. */
  channels: ChannelOptions
}
