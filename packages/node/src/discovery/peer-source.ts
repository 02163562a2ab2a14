/**
 * The peer-source seam: what finds peers for a share and makes us findable.
 * The DHT is one source; the direct peers a user gives are another; trackers
 * (HTTP, UDP, WebSocket), channels and an app's own directory plug in the same
 * way, and every one passes the compliance suite of `@mycel/node/testing`
 * (`peerSourceCompliance`). The node's discovery scheduler decides when each
 * source is asked; a source only answers.
 * @module
 */

import { assertBytes } from '@mycel/wire/assert'

/** Bytes of an infohash (SHA-256 of the info dictionary). */
const INFOHASH_LENGTH = 32

/**
 * What a source announces and looks up: a share, and the key it is announced
 * under. Which key that is, is the share's policy (see `AnnounceKeyPolicy`):
 * its discovery key by default, or its truncated infohash for a public share
 * that BitTorrent v2 clients should find. A source sends the `key` to the
 * network, never the `infohash` (which stays for sources that index their
 * state by share, such as the direct peers).
 */
export interface ShareKey {
  /** The share's 32-byte infohash. */
  readonly infohash: Uint8Array
  /** The key the share is announced and looked up under (20 bytes for the DHT and trackers). */
  readonly key: Uint8Array
}

/**
 * What an announce tells a source about the share: `started` on the first
 * announce (until one reaches somewhere), `completed` once a download that
 * started incomplete is complete, `stopped` when the share stops here (a
 * source forgets what it keeps about it). Absent: a periodic re-announce.
 */
export type AnnounceEvent = 'started' | 'completed' | 'stopped'

/**
 * What this node moved of a share, for sources that report it (a tracker's
 * `uploaded`, `downloaded` and `left`). The scheduler fills them from the
 * share: bytes of this run (since the node started it), and bytes still
 * wanted.
 */
export interface ShareTransfer {
  /** Bytes sent to peers in this run. */
  readonly uploaded?: number
  /** Bytes received and verified in this run. */
  readonly downloaded?: number
  /** Bytes of wanted pieces not held yet: 0 for a seeder, undefined while unknown (no manifest yet). */
  readonly left?: number
}

/** Options of {@link PeerSource.announce}. */
export interface SourceAnnounceOptions extends ShareTransfer {
  /** The TCP port peers reach us on, when we have one (a source that needs one announces nothing without it). */
  readonly port: number | undefined
  /** Aborts the announce (it rejects with `ABORTED`). */
  readonly signal?: AbortSignal
  /** Where the share is in its life here; absent for a periodic re-announce. */
  readonly event?: AnnounceEvent
}

/** Options of {@link PeerSource.lookup}. */
export interface SourceLookupOptions extends ShareTransfer {
  /** Aborts the lookup (the iteration rejects with `ABORTED`). */
  readonly signal?: AbortSignal
  /**
   * Our TCP port, as an announce would give it: for sources whose lookup is
   * an announce too (a tracker answers an announce with peers).
   */
  readonly port?: number
}

/** What an announce achieved. */
export interface AnnounceResult {
  /**
   * How many places took the announcement (DHT nodes that stored it,
   * trackers that answered). 0 means it reached nobody: the scheduler tries
   * again soon, from 5 s on, doubling.
   */
  readonly reached: number
  /**
   * When to announce again, in ms (a tracker's `interval`), overriding the
   * scheduler's 15 minutes or its retry wait; at least 5 s is waited.
   * `Infinity` for a source with nothing to announce to (direct peers).
   */
  readonly nextAnnounceMs?: number
}

/** A peer a source found: where to dial it. */
export interface PeerCandidate {
  /** A transport address, e.g. `tcp://192.0.2.7:6881`. */
  readonly address: string
  /**
   * The source's own rank of this peer, 0 for the one it puts first (a
   * tracker gives the position in its answer: mycel-tracker with accounts
   * lists higher reputation first). The node takes it as a small prior
   * beside its own scores, which always win (`SOURCE_RANK_WEIGHT`).
   */
  readonly rank?: number
}

/**
 * A way to find peers for a share and to be found. Operations reject with
 * an error whose `code` is `ABORTED` when their signal aborts and `CLOSED`
 * once the source is closed (a `MycelError`: the node's sources use
 * `NodeError`, the DHT source passes the DHT's `DhtError` on), and with a
 * `TypeError` or `RangeError` for a malformed {@link ShareKey}.
 *
 * @example
 * ```ts
 * // A directory the app runs: peers announce to it, and ask it.
 * const source: PeerSource = {
 *   name: 'directory',
 *   async announce(share, { port }) {
 *     if (port === undefined) return { reached: 0 }
 *     await directory.put(toHex(share.key), port)
 *     return { reached: 1 }
 *   },
 *   async *lookup(share) {
 *     for (const address of await directory.get(toHex(share.key))) yield { address }
 *   },
 *   async close() {},
 * }
 * const node = await createNode({ peerSources: [source] })
 * ```
 */
export interface PeerSource {
  /** What the source is, for logs and figures: `dht`, `direct`, `tracker:https://...`. */
  readonly name: string
  /**
   * True for a source that sends UDP datagrams itself (the DHT, a UDP
   * tracker). UDP cannot go through a SOCKS proxy, so a node with a `proxy`
   * refuses such a source (`PROXY_CONFLICT`). A source that makes HTTP
   * requests must make them through the proxy (`proxyFetch` of
   * `@mycel/node`) when the node has one.
   */
  readonly usesUdp?: boolean
  /**
   * Tells the source's network that we take part in a share, at `port`.
   * @param share - the share and the key to announce it under
   * @param options - our port, the share's event, abort signal
   * @returns how many places took it, and when to announce again
   * @throws a `MycelError` `ABORTED` or `CLOSED`; TypeError or RangeError for a malformed share key
   */
  announce(share: ShareKey, options: SourceAnnounceOptions): Promise<AnnounceResult>
  /**
   * Finds peers of a share: yields each address once, as it learns them,
   * and ends when the source has nothing more to give now (the scheduler
   * asks again later). Breaking out of the loop cancels the lookup.
   * @param share - the share and the key to look it up under
   * @param options - abort signal
   * @returns the peers' addresses, as they come
   * @throws (from the call or the iteration) a `MycelError` `ABORTED` or `CLOSED`; TypeError or
   *   RangeError for a malformed share key
   */
  lookup(share: ShareKey, options?: SourceLookupOptions): AsyncIterable<PeerCandidate>
  /** Ends every operation and releases what the source holds. Idempotent. */
  close(): Promise<void>
}

/**
 * Checks a {@link ShareKey} on entry to a source.
 *
 * @param share - what the caller passed
 * @param keyLength - the length the source's network needs, if any
 * @throws TypeError when it is not a share key; RangeError for an infohash that is not 32 bytes or a key
 *   of the wrong length (or empty)
 */
export function checkShareKey(share: ShareKey, keyLength?: number): void {
  if (typeof share !== 'object' || share === null) throw new TypeError('share must be a { infohash, key } object')
  assertBytes(share.infohash, 'share.infohash', INFOHASH_LENGTH)
  assertBytes(share.key, 'share.key', keyLength)
  if (share.key.length === 0) throw new RangeError('share.key must not be empty')
}
