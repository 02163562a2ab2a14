import type { Logger } from '@mycel/wire/log'
import type { PeerAddress } from './address.js'
import type { Seq } from './bep44/items.js'
import type { Clock } from './clock.js'
import type { NodeContact } from './compact.js'
import type { DropReason } from './krpc/rpc.js'
import type { DhtLimits } from './limits.js'
import type { LookupMethod } from './lookup/lookup.js'
import type { RoutingTableSnapshot } from './routing/snapshot.js'
import type { DatagramSocket } from './socket.js'

/** Options of a `DhtNode`. Only `socket` is required. */
export interface DhtNodeOptions {
  /** The socket to speak on (`bindUdpSocket` of `@mycel/dht/udp`, or a memory socket); the node owns and closes it. */
  readonly socket: DatagramSocket
  /** Our 20-byte node id; default: the id of `routingTable`, else random. */
  readonly id?: Uint8Array
  /** Nodes to join through, as `host:port` or `[ipv6]:port`. No default: a node without any only serves (and others join through it). */
  readonly bootstrap?: readonly string[]
  /** A routing table saved with `DhtNode.snapshot()` by an earlier run, so the node does not start cold. */
  readonly routingTable?: RoutingTableSnapshot
  /** Bucket size and lookup width (Mainline: 8). */
  readonly k?: number
  /**
   * Nodes sent in a `find_node` / `get_peers` / `get` answer. Default 2k (16):
   * BEP 5 says k, but every client reads the whole compact list, and the
   * extra 208 bytes keep lookups exact when many nodes in tables have gone
   * silently (see docs/decisions.md). Answers that carry a BEP 44 value send
   * at most 8 (IPv4) or 5 (IPv6), so the datagram fits a 1,500-byte link.
   */
  readonly nodesPerResponse?: number
  /** Queries in parallel per lookup (Mainline: 3). */
  readonly alpha?: number
  /** Milliseconds to wait for an answer (each attempt). Default 2,000. */
  readonly queryTimeout?: number
  /** Milliseconds after which a lookup stops waiting for a slow node and asks another. Default 1,000. */
  readonly stallTimeout?: number
  /** Buckets unchanged for this long are refreshed with a lookup (BEP 5: 15 minutes); 0 turns refresh off. */
  readonly refreshInterval?: number
  /** BEP 43 read-only mode: send `ro: 1`, answer no queries (for nodes that cannot be reached). */
  readonly readOnly?: boolean
  /**
   * BEP 42: keep nodes out of the routing table when their id does not
   * follow from their IP address (local-network addresses are exempt).
   * Default false, as most of the Mainline network does not follow BEP 42;
   * answers from such nodes are still used during lookups.
   */
  readonly enforceNodeIds?: boolean
  /** Client version sent as `v` in every message (none by default). */
  readonly clientVersion?: Uint8Array
  /** Overrides of the bounds in `DEFAULT_LIMITS`. */
  readonly limits?: Partial<DhtLimits>
  /** Time source; tests pass a `ManualClock`. */
  readonly clock?: Clock
  /**
   * Where the node logs, under the component `mycel:dht`: every datagram it
   * drops and every query it refuses, with the reason (see
   * docs/embedding.md, "Logging"). Default: silent.
   */
  readonly logger?: Logger
}

/** Cancellation of one operation. */
export interface OperationOptions {
  /** Aborts the operation; it then rejects with `DhtError` `ABORTED`. */
  readonly signal?: AbortSignal
}

/** Options of `DhtNode.announce()`. */
export interface AnnounceOptions extends OperationOptions {
  /** BEP 5 `implied_port`: store our UDP source port instead of `port` (for peers behind NAT using one port). */
  readonly impliedPort?: boolean
}

/** Options of `DhtNode.getMutable()`. */
export interface GetMutableOptions extends OperationOptions {
  /** The salt the item was published with. */
  readonly salt?: Uint8Array
  /**
   * The sequence number the caller already has: an item is returned only if
   * its `seq` is greater (sent to nodes, and checked on every answer, since
   * most nodes ignore it).
   */
  readonly seq?: Seq
}

/** Options of `DhtNode.sampleInfohashes()`. */
export interface SampleOptions extends OperationOptions {
  /** Where in the id space the answer's `nodes` should be closest to; default a random id. */
  readonly target?: Uint8Array
}

/** One node's answer to BEP 51 `sample_infohashes`. */
export interface SampleAnswer {
  /** The answering node's id. */
  readonly id: Uint8Array
  /** Seconds before the node may show a different sample (BEP 51: 0 to 21,600). */
  readonly interval: number
  /** How many keys the node stores peers for. */
  readonly num: number
  /** The sampled keys (infohashes, or discovery keys for mycel nodes), 20 bytes each. */
  readonly samples: Uint8Array[]
  /** The node's closest nodes to the target, to ask next. */
  readonly nodes: NodeContact[]
}

/** Options of `DhtNode.query()`. */
export interface QueryOptions extends OperationOptions {
  /** The lookup's query: `find_node` (default), `get_peers` or BEP 44 `get`. */
  readonly method?: LookupMethod
}

/** What `DhtNode.bootstrap()` achieved. */
export interface BootstrapResult {
  /** Nodes that answered during the self-lookup. */
  readonly responded: number
  /** Nodes in the routing table afterwards. */
  readonly nodes: number
}

/** Counters of a node, for a status display. */
export interface DhtStats {
  /** Our node id (hex). */
  readonly id: string
  /** The local socket address. */
  readonly address: PeerAddress
  /** Our address as other nodes see it (BEP 42 `ip` votes), once two agree. */
  readonly externalAddress: string | undefined
  /** Routing-table nodes by BEP 5 state, and buckets. */
  readonly routingTable: {
    readonly nodes: number
    readonly good: number
    readonly questionable: number
    readonly bad: number
    readonly buckets: number
  }
  /** What remote nodes made us store. */
  readonly storage: { readonly peerKeys: number; readonly peers: number; readonly items: number }
  /** Query traffic. */
  readonly queries: {
    readonly inFlight: number
    readonly sent: number
    readonly received: number
    readonly responses: number
    readonly errors: number
    readonly timeouts: number
  }
  /** Datagrams dropped without an answer, by reason. */
  readonly dropped: Readonly<Record<DropReason, number>>
}
