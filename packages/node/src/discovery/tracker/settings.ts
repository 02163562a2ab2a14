/**
 * The tracker client's bounds and timings, in one place (each is listed in
 * `docs/limits.md`), and the options that change them.
 * @module
 */

import type { Clock, DatagramSocket } from '@mycel/dht'
import type { Logger } from '@mycel/wire/log'

/** One HTTP(S) request (redirects and the whole body included) is given up after this long. */
export const HTTP_TIMEOUT_MS = 20_000
/** Redirects followed for one HTTP request; one more is a loop (`TRACKER_UNREACHABLE`). */
export const MAX_REDIRECTS = 5
/**
 * The wait for a UDP answer before the request is sent again: 15 s × 2^n
 * (BEP 15). BEP 15 goes on to n = 8 (over an hour); the client stops at
 * n = 1 ({@link UDP_MAX_RETRANSMITS}), so one exchange (a connect or an
 * announce) is given up after 45 s: a dead UDP tracker costs a lookup 45 s,
 * then its backoff skips it, and the next tracker of its tier is asked.
 */
export const UDP_RETRANSMIT_MS = 15_000
/** Retransmissions of one UDP request (n of BEP 15 goes from 0 to this). */
export const UDP_MAX_RETRANSMITS = 1
/** How long a UDP connection id is used after the tracker gave it (BEP 15: one minute). */
export const UDP_CONNECTION_ID_MS = 60_000
/** Peers asked for in an announce (`numwant`); 0 for `stopped` and for a share that is complete. */
export const NUMWANT = 50
/** A dead tracker is skipped for this long after a failure, doubling with each failure in a row... */
export const BACKOFF_MS = 15_000
/** ...up to this. */
export const MAX_BACKOFF_MS = 60 * 60_000
/** A tracker's `interval` is taken within these bounds (a hostile one can neither mute us nor make us flood it). */
export const MIN_INTERVAL_MS = 60_000
export const MAX_INTERVAL_MS = 2 * 60 * 60_000
/**
 * A lookup announces to the tracker again only once its last answer is
 * older than the tracker's `min interval`, or than this when it gave none;
 * before that it yields the peers of that answer.
 */
export const LOOKUP_REANNOUNCE_MS = 5 * 60_000
/** ...and never more often than this, whatever `min interval` says. */
export const MIN_REANNOUNCE_MS = 30_000
/** Trackers whose health (backoff) the client remembers; the least recently used are forgotten. */
export const MAX_TRACKERS_REMEMBERED = 4096
/** Shares whose tracker state one source keeps (what it announced, the last answer). */
export const MAX_SHARES_PER_SOURCE = 10_000

/** A `fetch` as the client uses it (the global one of browsers, Node, Deno and Bun fits). */
export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>

/** Binds a UDP socket of a family for UDP trackers (`bindUdpSocket` of `@mycel/dht/udp` in Node). */
export type BindUdpSocket = (type: 'udp4' | 'udp6') => Promise<DatagramSocket>

/** How trackers are reached. */
export interface TrackerTransport {
  /** HTTP(S) announces and scrapes. Default `globalThis.fetch`. */
  readonly fetch?: FetchFunction
  /**
   * UDP announces and scrapes (BEP 15). Default: none in `@mycel/node/core`
   * (`udp:` trackers fail with `TRACKER_UNSUPPORTED`); `createNode` binds
   * `node:dgram` sockets.
   */
  readonly bindUdp?: BindUdpSocket
}

/**
 * Signs announces to the trackers of a mycel-tracker account whose user
 * bound the node's peer key: the client then announces to
 * `/<signed key>/announce` (and scrapes `/<signed key>/scrape`) in place of
 * the bare `/announce` URL (docs/tracker.md, "Signed announce keys").
 */
export interface AnnounceSigner {
  /** Whether announces to this URL are signed (it is an HTTP(S) URL whose path is `/announce`). */
  signs(url: string): boolean
  /** The signed announce key for a 20-byte infohash (`signAnnounceKey` of `@mycel/wire`, at the current minute). */
  key(infohash: Uint8Array): string
}

/** Options of a tracker client: how it reaches trackers, and the timings tests shorten. */
export interface TrackerClientOptions extends TrackerTransport {
  /** Signs announces to the trackers it names; default none (URLs are used as given, passkeys in them). */
  readonly announceSigner?: AnnounceSigner
  /**
   * This node's onion address (proxy mode with `onion`): HTTP announces give
   * its host as `ip` and its port as `port` (the port the scheduler gives is
   * a local one, and behind a proxy there is none), so that trackers list
   * the onion address, never the address the request came from.
   */
  readonly onion?: { readonly host: string; readonly port: number }
  /**
   * Ask HTTP trackers for a BEP 3 list of dictionaries (`compact=0`), the
   * only form that can hold onion peers: for a node that can dial them (it
   * has a proxy). Default false (compact lists).
   */
  readonly onionPeers?: boolean
  /** Our 20-byte tracker peer id; default a random one per client, `-MY0100-` and 12 random characters. */
  readonly peerId?: Uint8Array
  /** Where it logs (`mycel:tracker`); default silent. */
  readonly logger?: Logger
  /** Time of backoffs, intervals and connection ids; default the system clock. Request timeouts run on real time. */
  readonly clock?: Clock
  /** Milliseconds an HTTP request may take. Default 20,000 (20 s). */
  readonly httpTimeoutMs?: number
  /** Milliseconds before a UDP request is first sent again (then doubled). Default 15,000 (15 s). */
  readonly udpRetransmitMs?: number
  /** First backoff of a tracker that failed. Default 15,000 (15 s). */
  readonly backoffMs?: number
}
