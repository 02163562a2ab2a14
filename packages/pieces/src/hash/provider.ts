/**
 * The hash provider of this package: the {@link HashProvider} of
 * `@mycel/wire/crypto`, which every full `CryptoProvider` also is.
 * @module
 */
import { findNodeCrypto, type HashProvider } from '@mycel/wire/crypto'
import { nobleHashProvider } from './noble.js'

export { fastSha256, type HashProvider, type IncrementalHash } from '@mycel/wire/crypto'

/**
 * The provider used when none is passed: `node:crypto` when the runtime has
 * it (Node, Bun and Deno expose it through `process.getBuiltinModule`, which
 * needs no import, so bundles for browsers stay free of Node modules), and
 * {@link nobleHashProvider} everywhere else. A Node user of the core entry
 * therefore gets the native speed without doing anything. It is the
 * provider `getDefaultCrypto()` of `@mycel/wire/crypto` picks.
 *
 * @returns the provider, chosen once and then cached
 *
 * @example
 * ```ts
 * getDefaultHashProvider().name // 'node:crypto' in Node, '@noble/hashes' in a browser
 * ```
 */
export function getDefaultHashProvider(): HashProvider {
  return findNodeCrypto() ?? nobleHashProvider
}

/** Returns `hash` if it is a provider, the default if undefined. @internal */
export function resolveHashProvider(hash: HashProvider | undefined): HashProvider {
  if (hash === undefined) return getDefaultHashProvider()
  if (typeof hash !== 'object' || hash === null || typeof hash.sha256 !== 'function') {
    throw new TypeError('hash must be a HashProvider')
  }
  return hash
}
