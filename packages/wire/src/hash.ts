/**
 * The hash functions of content addressing (SHA-256 one-shot and streamed,
 * SHA-1 for hybrid torrents): the {@link HashProvider} part of
 * `@mycel/wire/crypto`, in an entry that loads no curve or cipher code, for
 * packages that only hash. `node:crypto` is found at run time without an
 * import; `@noble/hashes` runs everywhere else.
 *
 * @example
 * ```ts
 * import { getDefaultHashProvider } from '@mycel/wire/hash'
 *
 * const state = getDefaultHashProvider().createSha256()
 * state.update(new TextEncoder().encode('abc'))
 * state.digest() // ba7816bf...
 * ```
 *
 * @packageDocumentation
 */
export { getDefaultHashProvider } from './crypto/default-hash.js'
export { findNodeCrypto } from './crypto/find-node.js'
export { nobleHashProvider } from './crypto/noble-hashes.js'
export { fastSha256, type HashProvider, type IncrementalHash, UNWRAPPED_SHA256 } from './crypto/provider.js'
export {
  type BatchHashProvider,
  createWebCryptoHashProvider,
  isBatchHashProvider,
  type SubtleDigest,
} from './crypto/webcrypto-hash.js'
