/**
 * Bounds the stores apply to what they are given. Values that can come from
 * peers or users (search queries, peer ids, key/value entries, share
 * records) are checked against these before anything is stored; the same
 * values are listed in `docs/limits.md`.
 */
export interface StoreLimits {
  /** Most terms in a search query. */
  readonly maxSearchTerms: number
  /** Longest search term, in UTF-16 code units. */
  readonly maxSearchTermLength: number
  /** Most hits a search returns (its `limit` is clamped to this). */
  readonly maxSearchResults: number
  /** Longest key of the key/value area, in UTF-16 code units. */
  readonly maxKeyLength: number
  /** Largest value of the key/value area, in bytes. */
  readonly maxValueBytes: number
  /** Longest peer id, in bytes. */
  readonly maxPeerIdBytes: number
  /** Longest share name or content path, in UTF-16 code units. */
  readonly maxTextLength: number
  /** Longest `lastError` kept with a share; longer messages are cut to this. */
  readonly maxErrorLength: number
  /** Largest absolute peer score; adjustments saturate at plus or minus this. */
  readonly maxPeerScore: number
}

/** The bounds every {@link StateStore} implementation of this package applies. */
export const STORE_LIMITS: StoreLimits = Object.freeze({
  maxSearchTerms: 16,
  maxSearchTermLength: 128,
  maxSearchResults: 1000,
  maxKeyLength: 256,
  maxValueBytes: 16 * 1024 * 1024,
  maxPeerIdBytes: 64,
  maxTextLength: 4096,
  maxErrorLength: 1024,
  maxPeerScore: 1_000_000,
})

/** Default bound on open file handles of a file-system piece store (or of a shared pool). */
export const DEFAULT_MAX_OPEN_FILES = 128

/** Default bound on peer records kept by a state store; the least recently updated go first. */
export const DEFAULT_MAX_PEERS = 10_000
