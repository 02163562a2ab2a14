import type { Clock, DhtNode } from '@mycel/dht'
import type { StateStore } from '@mycel/store'
import type { Identity, Transport } from '@mycel/transport'
import type { Logger } from '@mycel/wire/log'
import { assembleNode } from './assemble.js'
import type { ChannelOptions } from './channels/limits.js'
import type { ContentStorage } from './content.js'
import type {
  AnnounceKeyPolicy,
  PeerSource,
  TrackerAccountOptions,
  TrackerList,
  TrackerTransport,
} from './discovery.js'
import { MycelNode } from './node.js'
import type { NodeLimits, SecureUpgrade } from './options.js'
import type { ConnectionProtocol } from './peer/protocols.js'

/**
 * Options of {@link createCoreNode}: every part a node is made of, given by
 * the app. Nothing here reaches for a runtime's own modules, so a node made
 * this way runs in Node, in a browser or in a worker alike.
 */
export interface CoreNodeOptions {
  /** The node's identity (`Identity.generate()`, or one the app keeps). */
  identity: Identity
  /** Where state is kept (`MemoryStateStore`, SQLite in Node, IndexedDB in a browser). */
  state: StateStore
  /** Where shares' bytes live (see {@link ContentStorage}); the node closes it. */
  content: ContentStorage
  /** Transports to dial and listen with (memory, WebSocket, TCP in Node). */
  transports: Transport[]
  /** Where downloads go when `download()` is given no folder (a path of `content`). */
  downloadDir: string
  /** Addresses to accept peers on; default none (a node that only dials out). */
  listen?: string[]
  /** A DHT node to find peers through and announce on; the node owns and closes it. Default: none. */
  dht?: DhtNode
  /** The secure channel over each stream; default mycel's Noise XX (`secure` of `@mycel/transport`). */
  secure?: SecureUpgrade
  /** Optional protocols to run on every connection whose peer speaks them too. */
  protocols?: ConnectionProtocol[]
  /**
   * Ways to find peers besides the DHT and the direct peers of a download (a
   * tracker, a directory the app runs); the node closes them. See `NodeOptions.peerSources`.
   */
  peerSources?: PeerSource[]
  /** Trackers asked for every share (BEP 12 tiers). See `NodeOptions.trackers`. */
  trackers?: TrackerList
  /**
   * How trackers are reached: `fetch` (default the global one) and
   * `bindUdp` for UDP trackers (default none here: `udp:` trackers fail
   * with `TRACKER_UNSUPPORTED`; give one where the runtime has UDP).
   */
  trackerTransport?: TrackerTransport
  /**
   * Accounts at mycel-trackers: receipts handed in, bans reported, signed
   * announces. See `NodeOptions.trackerAccounts` (their `fetch` is that of
   * `trackerTransport`).
   */
  trackerAccounts?: TrackerAccountOptions[]
  /** The key shares are announced under unless they choose; default `discovery-key`. See `NodeOptions.announceKey`. */
  announceKey?: AnnounceKeyPolicy
  /** Limits on connections and bandwidth. */
  limits?: NodeLimits
  /** Milliseconds a shared file's last look stays good for serving from it (default 2000). */
  changeCheckInterval?: number
  /** Where the node's parts log (`mycel:peer`, `mycel:swarm`, `mycel:discovery`, ...); silent by default. */
  logger?: Logger
  /**
   * Time and timers of the node's scheduled work (announces, lookups and
   * their retries, peer exchange, saves); default the system clock. A
   * `ManualClock` of `@mycel/dht/testing` makes 15-minute intervals take no
   * time in a test. Connection timeouts always run on real time.
   */
  clock?: Clock
  /** Timing of channels' DHT work; see `NodeOptions.channels`. */
  channels?: ChannelOptions
  /** Aborts startup; everything started so far is closed again. */
  signal?: AbortSignal
}

/**
 * Creates and starts a node from parts the app gives: the runtime-neutral
 * way to make one (a browser, a worker, a test network). In Node,
 * `createNode` from `@mycel/node` does the same with defaults for every
 * part (SQLite, the file system, TCP and WebSocket, a UDP DHT).
 *
 * @param options - the node's parts
 * @returns the running node
 * @throws `TransportError` (`LISTEN_FAILED`), `ABORTED`; the node is closed again
 *
 * @example
 * ```ts
 * import { createCoreNode } from '@mycel/node/core'
 * import { MemoryStateStore } from '@mycel/store'
 * import { Identity } from '@mycel/transport'
 * import { memoryContent } from '@mycel/node/testing'
 *
 * const node = await createCoreNode({
 *   identity: Identity.generate(),
 *   state: new MemoryStateStore(),
 *   content: memoryContent(),
 *   transports: [webSocketTransport()],
 *   downloadDir: '/downloads',
 * })
 * ```
 */
export async function createCoreNode(options: CoreNodeOptions): Promise<MycelNode> {
  return assembleNode(
    {
      identity: options.identity,
      state: options.state,
      ownsState: false,
      storage: options.content,
      transports: options.transports,
      secure: options.secure,
      dht: options.dht,
      downloadDir: options.downloadDir,
      protocols: options.protocols ?? [],
      peerSources: options.peerSources,
      trackers: options.trackers,
      trackerTransport: options.trackerTransport,
      trackerAccounts: options.trackerAccounts,
      announceKey: options.announceKey,
      limits: options.limits,
      changeCheckInterval: options.changeCheckInterval,
      listen: options.listen ?? [],
      logger: options.logger,
      clock: options.clock,
      channels: options.channels,
      signal: options.signal,
    },
    (parts) => new MycelNode(parts),
  )
}
