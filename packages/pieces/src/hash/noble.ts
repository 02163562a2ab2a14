import { sha1 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { HashProvider, IncrementalHash } from './provider.js'

interface NobleHash {
  update(data: Uint8Array): unknown
  digest(): Uint8Array
  clone(): NobleHash
}

class NobleIncrementalHash implements IncrementalHash {
  constructor(private readonly state: NobleHash) {}

  update(data: Uint8Array): void {
    this.state.update(data)
  }

  digest(): Uint8Array {
    return this.state.digest()
  }

  copy(): IncrementalHash {
    return new NobleIncrementalHash(this.state.clone())
  }
}

/**
 * The pure-JavaScript provider, built on `@noble/hashes`. It runs everywhere
 * (browsers, workers, any JS runtime) and is about ten times slower than
 * `node:crypto`.
 *
 * @example
 * ```ts
 * const manifest = await ingest(sources, { name: 'photos', hash: nobleHashProvider })
 * ```
 */
export const nobleHashProvider: HashProvider = Object.freeze({
  name: '@noble/hashes',
  sha256: (data: Uint8Array): Uint8Array => sha256(data),
  createSha256: (): IncrementalHash => new NobleIncrementalHash(sha256.create() as unknown as NobleHash),
  createSha1: (): IncrementalHash => new NobleIncrementalHash(sha1.create() as unknown as NobleHash),
})
