import { type IncrementalHash, nobleCrypto } from '@mycel/wire/crypto'
import type { HashProvider } from './provider.js'

/**
 * The pure-JavaScript provider, built on `@noble/hashes`: the hash functions
 * of `nobleCrypto` from `@mycel/wire/crypto`. It runs everywhere (browsers,
 * workers, any JS runtime) and is about ten times slower than `node:crypto`.
 *
 * @example
 * ```ts
 * const manifest = await ingest(sources, { name: 'photos', hash: nobleHashProvider })
 * ```
 */
export const nobleHashProvider: HashProvider = Object.freeze({
  name: '@noble/hashes',
  sha256: (data: Uint8Array): Uint8Array => nobleCrypto.sha256(data),
  createSha256: (): IncrementalHash => nobleCrypto.createSha256(),
  createSha1: (): IncrementalHash => nobleCrypto.createSha1(),
})
