/**
 * The cryptography of mycel behind one provider interface: SHA-256 and SHA-1
 * (content addressing), HMAC-SHA256, ChaCha20-Poly1305 and X25519 (the Noise
 * channel), the ChaCha20 stream (private shares), Ed25519 (peer identities, BEP 44 items) with one small-order
 * policy. Two implementations give identical bytes: `node:crypto` (OpenSSL),
 * found at run time without importing a Node module, and `@noble/*`, which
 * runs everywhere. {@link getDefaultCrypto} picks the first the runtime has.
 * A package that only hashes imports `@mycel/wire/hash`, the same providers
 * without the curve and cipher code.
 *
 * @example
 * ```ts
 * import { getDefaultCrypto, nobleCrypto } from '@mycel/wire/crypto'
 *
 * const crypto = getDefaultCrypto() // node:crypto in Node, noble in a browser
 * const digest = crypto.sha256(new TextEncoder().encode('abc'))
 * const secret = crypto.x25519(crypto.x25519KeyPair().secretKey, peerPublicKey) // null for a small-order key
 * nobleCrypto.ed25519Verify(signature, message, publicKey) // the same answer as crypto.ed25519Verify
 * ```
 *
 * @packageDocumentation
 */
export { getDefaultCrypto } from './crypto/default.js'
export { getDefaultHashProvider } from './crypto/default-hash.js'
export { isSmallOrderPoint, SMALL_ORDER_POINTS } from './crypto/ed25519-policy.js'
export { x25519PublicFromEd25519, x25519SecretFromEd25519 } from './crypto/ed25519-to-x25519.js'
export { findNodeCrypto } from './crypto/find-node.js'
export {
  findNativeChaCha20,
  NATIVE_CHACHA20_ENV,
  type NativeChaCha20,
  type NativeChaCha20Context,
  nativeChaCha20Problem,
} from './crypto/native-chacha20.js'
export { nobleCrypto } from './crypto/noble.js'
export { nobleHashProvider } from './crypto/noble-hashes.js'
export {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  CHACHA20_BLOCK_BYTES,
  CHACHA20_MAX_BLOCKS,
  type ChaCha20Stream,
  type CryptoProvider,
  CURVE25519_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  fastSha256,
  type HashProvider,
  type IncrementalHash,
  type KeyPair,
  type StreamDecryption,
  UNWRAPPED_SHA256,
} from './crypto/provider.js'
export { randomBytes } from './crypto/random.js'
export {
  type BatchHashProvider,
  createWebCryptoHashProvider,
  isBatchHashProvider,
  type SubtleDigest,
} from './crypto/webcrypto-hash.js'
