/**
 * Bounds the tracker codec enforces. A tracker server and a tracker client
 * read what the other side sends through them; the same values are listed
 * in `docs/limits.md`.
 */
export const TRACKER_LIMITS = {
  /** Longest query string (the part after `?`) an HTTP announce or scrape may have, in characters. */
  maxQueryLength: 8192,
  /** Most parameters in one query string. */
  maxQueryParameters: 128,
  /** Most infohashes in one scrape, over HTTP or UDP (about what fits in one UDP packet, BEP 15). */
  maxScrapeInfohashes: 74,
  /** Longest `key`, `trackerid` and `ip` value, in bytes. */
  maxFieldBytes: 128,
  /** Largest tracker response a client reads (HTTP body, bencoded), in bytes. */
  maxResponseBytes: 1024 * 1024,
  /** Most peers a client reads from one response (`peers` and `peers6` together). */
  maxPeers: 2000,
  /** Longest `failure reason`, `warning message` or UDP error text kept; longer ones are cut. */
  maxMessageLength: 1024,
  /** Largest UDP tracker packet read (a scrape of 74 infohashes is 1,496 bytes). */
  maxPacketBytes: 2048,
  /** Most bytes of BEP 41 URL data one UDP announce carries. */
  maxUrlDataBytes: 1024,
  /** Longest tracker URL a client takes (a magnet's `tr`, a torrent's `announce`, an option). */
  maxUrlLength: 2048,
} as const

/** Bytes of an infohash on the tracker protocols (a v1 infohash, or a v2 one truncated as BEP 52 says). */
export const TRACKER_INFOHASH_LENGTH = 20
/** Bytes of a peer id. */
export const PEER_ID_LENGTH = 20
