/**
 * SHA-256 through WebCrypto (`crypto.subtle.digest`), for many inputs at
 * once: in a browser, the platform's native SHA-256 (BoringSSL in Chromium,
 * about fifteen times `@noble/hashes` on 16 KiB blocks), run off the
 * page's JavaScript. WebCrypto is asynchronous, so it is an addition to a
 * {@link HashProvider}, not a replacement: the synchronous methods stay
 * `@noble/hashes`'s.
 * @module
 */
import { nobleHashProvider } from './noble-hashes.js'
import type { HashProvider } from './provider.js'

/**
 * A {@link HashProvider} that can also hash many inputs at once,
 * asynchronously ({@link BatchHashProvider.sha256Each}): what verifying a
 * whole piece uses where the runtime hashes faster asynchronously than the
 * provider's synchronous functions can.
 */
export interface BatchHashProvider extends HashProvider {
  /**
   * SHA-256 of each input (FIPS 180-4), as `sha256` gives it.
   * @param inputs - byte strings; they must not change until the promise settles
   * @returns the 32-byte digests, in the order of `inputs`
   */
  sha256Each(inputs: readonly Uint8Array[]): Promise<Uint8Array[]>
}

/**
 * Whether a hash provider has {@link BatchHashProvider.sha256Each}.
 * @param hash - any provider
 * @returns true for a batch provider
 */
export function isBatchHashProvider(hash: HashProvider): hash is BatchHashProvider {
  return typeof (hash as Partial<BatchHashProvider>).sha256Each === 'function'
}

/** The part of WebCrypto's `SubtleCrypto` used here. */
export interface SubtleDigest {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>
}

/**
 * A {@link BatchHashProvider} on WebCrypto: `sha256Each` is
 * `crypto.subtle.digest('SHA-256')` (the inputs hashed concurrently), and
 * the synchronous functions are those of {@link nobleHashProvider}.
 *
 * @param subtle - WebCrypto's `SubtleCrypto`; default `globalThis.crypto.subtle`
 * @returns the provider, or undefined where there is no WebCrypto (an
 *   insecure context of a browser has no `crypto.subtle`)
 *
 * @example
 * ```ts
 * const hash = createWebCryptoHashProvider()
 * const digests = await hash?.sha256Each(blocks)
 * ```
 */
export function createWebCryptoHashProvider(subtle?: SubtleDigest): BatchHashProvider | undefined {
  const digest = subtle ?? (globalThis as { crypto?: { subtle?: SubtleDigest } }).crypto?.subtle
  if (digest === undefined || typeof digest.digest !== 'function') return undefined
  return Object.freeze({
    name: 'WebCrypto + @noble/hashes',
    sha256: nobleHashProvider.sha256,
    createSha256: nobleHashProvider.createSha256,
    createSha1: nobleHashProvider.createSha1,
    async sha256Each(inputs: readonly Uint8Array[]): Promise<Uint8Array[]> {
      const digests = await Promise.all(inputs.map((input) => digest.digest('SHA-256', input)))
      return digests.map((bytes) => new Uint8Array(bytes))
    },
  })
}
