/**
 * The index of a private channel, sealed with its read key using the
 * private-share primitives: HKDF-SHA256 of the read key gives a
 * ChaCha20-Poly1305 key; each version has a random 12-byte nonce, and the
 * channel's public key is the associated data (a sealed index cannot be
 * moved to another channel).
 *
 * ```
 * nonce (12 bytes) || ChaCha20-Poly1305(hkdf(readKey, "mycel/1 channel index"), nonce, ad = public key, index)
 * ```
 * @module
 */
import { hkdfSha256 } from '@mycel/pieces/private'
import { AEAD_TAG_BYTES, type CryptoProvider } from '@mycel/wire/crypto'
import { NodeError } from '../errors.js'

/** HKDF `info` of a channel's index key. */
const INDEX_INFO = new TextEncoder().encode('mycel/1 channel index')
const NONCE_BYTES = 12

function indexKey(readKey: Uint8Array, crypto: CryptoProvider): Uint8Array {
  return hkdfSha256(crypto, readKey, new Uint8Array(0), INDEX_INFO)
}

/**
 * Seals an index with a channel's read key.
 * @param index - the bencoded index
 * @param readKey - the channel's 32-byte read key
 * @param publicKey - the channel's public key (associated data)
 * @param crypto - provides HMAC-SHA256 and ChaCha20-Poly1305
 * @param random - random bytes (the nonce)
 * @returns nonce and ciphertext
 */
export function sealIndex(
  index: Uint8Array,
  readKey: Uint8Array,
  publicKey: Uint8Array,
  crypto: CryptoProvider,
  random: (length: number) => Uint8Array,
): Uint8Array {
  const nonce = random(NONCE_BYTES)
  const sealed = crypto.encrypt(indexKey(readKey, crypto), nonce, publicKey, index, NONCE_BYTES)
  sealed.set(nonce)
  return sealed
}

/**
 * Opens a sealed index.
 * @param sealed - nonce and ciphertext
 * @param readKey - the channel's read key
 * @param publicKey - the channel's public key
 * @param crypto - provides HMAC-SHA256 and ChaCha20-Poly1305
 * @returns the bencoded index
 * @throws NodeError `CHANNEL_UNREADABLE` when it does not open (another key, or changed bytes)
 */
export function openIndex(
  sealed: Uint8Array,
  readKey: Uint8Array,
  publicKey: Uint8Array,
  crypto: CryptoProvider,
): Uint8Array {
  if (sealed.length < NONCE_BYTES + AEAD_TAG_BYTES) {
    throw new NodeError('CHANNEL_UNREADABLE', 'the sealed index is too short')
  }
  const opened = crypto.decrypt(
    indexKey(readKey, crypto),
    sealed.subarray(0, NONCE_BYTES),
    publicKey,
    sealed.subarray(NONCE_BYTES),
  )
  if (opened === null) {
    throw new NodeError(
      'CHANNEL_UNREADABLE',
      'the read key does not open this channel index (another key, or changed bytes)',
    )
  }
  return opened
}
