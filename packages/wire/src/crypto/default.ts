/**
 * The default providers: `node:crypto` where the runtime has it, noble elsewhere.
 * @module
 */
import { findNodeCrypto } from './find-node.js'
import { nobleCrypto } from './noble.js'
import type { CryptoProvider } from './provider.js'

/**
 * The provider used when none is passed: `node:crypto` where the runtime has
 * it ({@link findNodeCrypto}), {@link nobleCrypto} everywhere else.
 *
 * @returns the provider, chosen once
 *
 * @example
 * ```ts
 * getDefaultCrypto().name // 'node:crypto' in Node, 'noble' in a browser
 * ```
 */
export function getDefaultCrypto(): CryptoProvider {
  return findNodeCrypto() ?? nobleCrypto
}
