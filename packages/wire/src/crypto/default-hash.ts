import { findNodeCrypto } from './find-node.js'
import { nobleHashProvider } from './noble-hashes.js'
import type { HashProvider } from './provider.js'
import { createWebCryptoHashProvider } from './webcrypto-hash.js'

let chosen: HashProvider | undefined

/**
 * The hash provider used when none is passed: `node:crypto` where the
 * runtime has it (the very provider `getDefaultCrypto()` returns there);
 * elsewhere (a browser) {@link nobleHashProvider}'s functions with
 * WebCrypto's `sha256Each` beside them where there is `crypto.subtle` (see
 * `createWebCryptoHashProvider`: whole pieces are verified with the
 * platform's SHA-256), else {@link nobleHashProvider} itself. It loads no
 * curve or cipher code.
 *
 * @returns the provider, chosen once
 *
 * @example
 * ```ts
 * getDefaultHashProvider().name // 'node:crypto' in Node, 'WebCrypto + @noble/hashes' in a page
 * ```
 */
export function getDefaultHashProvider(): HashProvider {
  chosen ??= findNodeCrypto() ?? createWebCryptoHashProvider() ?? nobleHashProvider
  return chosen
}
