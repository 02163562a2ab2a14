import type { DhtNode } from '@mycel/dht'
import type { StateStore } from '@mycel/store'
import type { Identity, Transport } from '@mycel/transport'

/** Options of {@link createNode}. Every one has a default that works. */
export interface NodeOptions {
  /**
   * Folder for the node's identity (`identity.json`), state database
   * (`state.db`), DHT routing table and default download folder
   * (`downloads/`). Default `~/.mycel`.
   */
  dataDir?: string
  /** Addresses to accept peers on. Default `['tcp://0.0.0.0:0']` (every interface, a free port). */
  listen?: string[]
  /**
   * DHT nodes to join through, as `host:port`. The library has no default:
   * apps choose (the CLI defaults to the public Mainline routers). With none,
   * the DHT waits to be contacted.
   */
  bootstrap?: string[]
  /**
   * The DHT: `false` turns it off; an object binds its UDP socket (default
   * every interface, a free port) or hands in a DHT node to use (which the
   * node then owns and closes).
   */
  dht?: false | { host?: string; port?: number; node?: DhtNode }
  /** Transports to dial and listen with. Default: TCP and WebSocket. */
  transports?: Transport[]
  /** The node's identity. Default: loaded from (or created in) `dataDir/identity.json`. */
  identity?: Identity
  /** Where state is kept. Default: SQLite at `dataDir/state.db`. */
  state?: StateStore
  /** Where downloads go when `download()` is given no `dir`. Default `dataDir/downloads`. */
  downloadDir?: string
  /** Limits on connections and bandwidth. */
  limits?: NodeLimits
  /**
   * Write downloaded pieces of 1 MiB and more with direct I/O (`O_DIRECT`),
   * past the kernel's page cache, where the system allows it (Linux).
   * Default true: it saves a copy of every byte and keeps a large download
   * from pushing other programs' data out of the cache (docs/decisions.md).
   */
  directWrites?: boolean
  /** Aborts startup; everything opened so far is closed again. */
  signal?: AbortSignal
}

/** Connection and bandwidth limits of a node. */
export interface NodeLimits {
  /** Connections in all. Default 200. */
  maxConnections?: number
  /** Peers one share downloads from and uploads to. Default 50. */
  maxPeersPerShare?: number
  /** Upload limit of the whole node, bytes per second; 0 = none (default). */
  uploadRate?: number
  /** Download limit of the whole node, bytes per second; 0 = none (default). */
  downloadRate?: number
  /** Open files of all shares together. Default 256. */
  maxOpenFiles?: number
}

/** Options of every asynchronous method. */
export interface SignalOptions {
  /** Aborts the operation. */
  signal?: AbortSignal
}

/** Per-share bandwidth limits, in bytes per second (0 = none). */
export interface ShareLimits {
  uploadRate?: number
  downloadRate?: number
}
