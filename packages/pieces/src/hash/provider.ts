/**
 * The hash providers of this package are those of `@mycel/wire/hash` (the
 * hash part of `@mycel/wire/crypto`, without its curve and cipher code):
 * `node:crypto` found at run time, `@noble/hashes` elsewhere.
 * @module
 */
import { getDefaultHashProvider, type HashProvider } from '@mycel/wire/hash'

export {
  type BatchHashProvider,
  createWebCryptoHashProvider,
  fastSha256,
  getDefaultHashProvider,
  type HashProvider,
  type IncrementalHash,
  isBatchHashProvider,
  nobleHashProvider,
} from '@mycel/wire/hash'

/** Returns `hash` if it is a provider, the default if undefined. @internal */
export function resolveHashProvider(hash: HashProvider | undefined): HashProvider {
  if (hash === undefined) return getDefaultHashProvider()
  if (typeof hash !== 'object' || hash === null || typeof hash.sha256 !== 'function') {
    throw new TypeError('hash must be a HashProvider')
  }
  return hash
}
