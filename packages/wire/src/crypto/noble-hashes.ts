/**
 * The hash functions of `@noble/hashes`, apart from the curves and ciphers,
 * so that content addressing (`@mycel/wire/hash`) loads only them.
 * @module
 */
import { sha1 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { HashProvider, IncrementalHash } from './provider.js'

/** The part of a noble hash state used here. */
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

/** SHA-256 of the concatenation of `parts`. @internal */
export function nobleSha256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return sha256(parts[0] as Uint8Array)
  const hash = sha256.create()
  for (const part of parts) hash.update(part)
  return hash.digest()
}

/** A fresh streaming SHA-256. @internal */
export function nobleCreateSha256(): IncrementalHash {
  return new NobleIncrementalHash(sha256.create() as unknown as NobleHash)
}

/** A fresh streaming SHA-1. @internal */
export function nobleCreateSha1(): IncrementalHash {
  return new NobleIncrementalHash(sha1.create() as unknown as NobleHash)
}

/**
 * The pure-JavaScript {@link HashProvider}, built on `@noble/hashes` (the
 * hash functions of `nobleCrypto`, without its curves and ciphers). It runs
 * everywhere and is about ten times slower than `node:crypto`.
 *
 * @example
 * ```ts
 * import { nobleHashProvider } from '@mycel/wire/hash'
 *
 * nobleHashProvider.sha256(new TextEncoder().encode('abc')) // ba7816bf...
 * ```
 */
export const nobleHashProvider: HashProvider = Object.freeze({
  name: '@noble/hashes',
  sha256: nobleSha256,
  createSha256: nobleCreateSha256,
  createSha1: nobleCreateSha1,
})
