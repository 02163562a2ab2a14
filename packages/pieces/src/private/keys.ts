/**
 * The keys of one version of a private share, all derived from its content
 * key with HKDF-SHA256 (RFC 5869).
 * @module
 */
import { assertBytes } from '@mycel/wire/assert'
import type { CryptoProvider } from '@mycel/wire/crypto'
import { CONTENT_KEY_BYTES } from './limits.js'

const utf8 = new TextEncoder()

/** HKDF `info` of the ChaCha20 key of the content. */
export const CONTENT_INFO = utf8.encode('mycel/1 private content')
/** HKDF `info` of the ChaCha20-Poly1305 key of the header and manifest. */
export const MANIFEST_INFO = utf8.encode('mycel/1 private manifest')
/** HKDF `info` of a stanza's wrapping key. */
export const STANZA_INFO = utf8.encode('mycel/1 private stanza')

/**
 * HKDF-SHA256 (RFC 5869) with an output of at most 32 bytes (one block of
 * the expand step).
 *
 * @param crypto - provides HMAC-SHA256
 * @param ikm - input key material
 * @param salt - salt (empty: 32 zero bytes, as the RFC says)
 * @param info - context
 * @param length - bytes out, 1 to 32
 * @returns the output key material
 */
export function hkdfSha256(
  crypto: CryptoProvider,
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length = 32,
): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 32) throw new RangeError('length must be from 1 to 32')
  const prk = crypto.hmacSha256(salt.length === 0 ? new Uint8Array(32) : salt, ikm)
  return crypto.hmacSha256(prk, info, Uint8Array.of(1)).subarray(0, length)
}

/** The keys of one version, derived from its content key. */
export interface VersionKeys {
  /** The content key itself (what the link fragment and the stanzas carry). */
  readonly contentKey: Uint8Array
  /** ChaCha20 key of the content stream. */
  readonly streamKey: Uint8Array
  /** ChaCha20-Poly1305 key of the header and the manifest. */
  readonly manifestKey: Uint8Array
}

/**
 * Derives the keys of a version from its content key.
 *
 * @param contentKey - 32 bytes
 * @param crypto - provides HMAC-SHA256
 * @returns the stream and manifest keys beside a copy of the content key
 * @throws TypeError/RangeError for a key of the wrong length
 */
export function deriveVersionKeys(contentKey: Uint8Array, crypto: CryptoProvider): VersionKeys {
  assertBytes(contentKey, 'contentKey', CONTENT_KEY_BYTES)
  const empty = new Uint8Array(0)
  return {
    contentKey: Uint8Array.from(contentKey),
    streamKey: hkdfSha256(crypto, contentKey, empty, CONTENT_INFO),
    manifestKey: hkdfSha256(crypto, contentKey, empty, MANIFEST_INFO),
  }
}
