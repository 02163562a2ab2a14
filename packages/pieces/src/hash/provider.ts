import { nobleHashProvider } from './noble.js'
import { createNodeCryptoProvider, type NodeCryptoModule } from './node-crypto.js'

/**
 * A streaming hash: feed it bytes with `update`, read the digest once with
 * `digest`. `copy` forks the state (used to read a digest before padding).
 */
export interface IncrementalHash {
  /**
   * Adds bytes to the hash.
   * @param data - the next bytes
   */
  update(data: Uint8Array): void
  /**
   * Finishes the hash. The object must not be used afterwards.
   * @returns the digest (32 bytes for SHA-256, 20 for SHA-1)
   */
  digest(): Uint8Array
  /**
   * Forks the state, so one prefix can end in two different ways.
   * @returns an independent hash holding the same state
   */
  copy(): IncrementalHash
}

/**
 * The hash functions this package needs, so that the fast native
 * implementation is used where it exists and a pure-JS one elsewhere. Every
 * function that hashes takes an optional `hash` option of this type; the
 * default is {@link getDefaultHashProvider}.
 *
 * @example
 * ```ts
 * const provider: HashProvider = nobleHashProvider
 * provider.sha256(new TextEncoder().encode('abc')) // ba7816bf...
 * ```
 */
export interface HashProvider {
  /** What implements it: `'node:crypto'` or `'@noble/hashes'`. */
  readonly name: string
  /**
   * One-shot SHA-256.
   * @param data - the bytes to hash
   * @returns the 32-byte digest
   */
  sha256(data: Uint8Array): Uint8Array
  /**
   * Streaming SHA-256.
   * @returns a fresh hash state
   */
  createSha256(): IncrementalHash
  /**
   * Streaming SHA-1 (only used for the v1 `pieces` of hybrid `.torrent` files).
   * @returns a fresh hash state
   */
  createSha1(): IncrementalHash
}

let defaultProvider: HashProvider | undefined

/**
 * The provider used when none is passed: `node:crypto` when the runtime has
 * it (Node, Bun and Deno expose it through `process.getBuiltinModule`, which
 * needs no import, so bundles for browsers stay free of Node modules), and
 * {@link nobleHashProvider} everywhere else. A Node user of the core entry
 * therefore gets the native speed without doing anything.
 *
 * @returns the provider, chosen once and then cached
 *
 * @example
 * ```ts
 * getDefaultHashProvider().name // 'node:crypto' in Node, '@noble/hashes' in a browser
 * ```
 */
export function getDefaultHashProvider(): HashProvider {
  defaultProvider ??= detectNodeCrypto() ?? nobleHashProvider
  return defaultProvider
}

/** Looks up `node:crypto` through `process.getBuiltinModule` (Node 20.16+), without importing it. */
function detectNodeCrypto(): HashProvider | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  if (typeof runtime?.getBuiltinModule !== 'function') return undefined
  try {
    const crypto = runtime.getBuiltinModule('node:crypto') as NodeCryptoModule | undefined
    return crypto && typeof crypto.createHash === 'function' ? createNodeCryptoProvider(crypto) : undefined
  } catch {
    return undefined
  }
}

/**
 * Key of an optional internal SHA-256 that may return a runtime-specific
 * subclass of Uint8Array (a Node Buffer) without wrapping it. Only used where
 * the digest is copied at once, never handed out.
 * @internal
 */
export const UNWRAPPED_SHA256: unique symbol = Symbol('mycel.pieces.unwrappedSha256')

/** The fastest SHA-256 of a provider, for digests that are copied at once. @internal */
export function fastSha256(hash: HashProvider): (data: Uint8Array) => Uint8Array {
  const unwrapped = (hash as { [UNWRAPPED_SHA256]?: (data: Uint8Array) => Uint8Array })[UNWRAPPED_SHA256]
  return unwrapped ?? ((data) => hash.sha256(data))
}

/** Returns `hash` if it is a provider, the default if undefined. @internal */
export function resolveHashProvider(hash: HashProvider | undefined): HashProvider {
  if (hash === undefined) return getDefaultHashProvider()
  if (typeof hash !== 'object' || hash === null || typeof hash.sha256 !== 'function') {
    throw new TypeError('hash must be a HashProvider')
  }
  return hash
}
