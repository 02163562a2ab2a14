/**
 * Bounds of private shares: what a reader accepts from a share's `keys`
 * file and encrypted manifest, and what a sharer may ask for. The same
 * values are in `docs/limits.md`.
 */
export interface PrivateLimits {
  /** Most readers a version's key is wrapped for (64). */
  readonly maxReaders: number
  /** Largest encrypted manifest, in bytes of plaintext (16 MiB). */
  readonly maxManifestBytes: number
}

/** The default {@link PrivateLimits}. */
export const PRIVATE_LIMITS: PrivateLimits = Object.freeze({
  maxReaders: 64,
  maxManifestBytes: 16 * 1024 * 1024,
})

/** Stanzas in a `keys` file are a power of two, at least this many (readers are hidden among dummies). */
export const MIN_STANZAS = 4

/** Bytes of a content key (and of the key in a link fragment). */
export const CONTENT_KEY_BYTES = 32
