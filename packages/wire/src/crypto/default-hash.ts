import { findNodeCrypto } from './find-node.js'
import { nobleHashProvider } from './noble-hashes.js'
import type { HashProvider } from './provider.js'

/**
 * The hash provider used when none is passed: `node:crypto` where the
 * runtime has it (the very provider `getDefaultCrypto()` returns there),
 * {@link nobleHashProvider} everywhere else. It loads no curve or cipher code.
 *
 * @returns the provider, chosen once
 *
 * @example
 * ```ts
 * getDefaultHashProvider().name // 'node:crypto' in Node, '@noble/hashes' in a browser
 * ```
 */
export function getDefaultHashProvider(): HashProvider {
  return findNodeCrypto() ?? nobleHashProvider
}
