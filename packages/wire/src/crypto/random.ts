import { assertInteger } from '../assert.js'

/** Largest request `crypto.getRandomValues` serves at once. */
const MAX_CHUNK = 65_536

/**
 * Cryptographically secure random bytes from the platform
 * (`crypto.getRandomValues`: the Web Crypto API of browsers, Node, Bun and Deno).
 *
 * @param length - how many bytes
 * @returns fresh random bytes
 * @throws RangeError for a negative or fractional length
 *
 * @example
 * ```ts
 * const seed = randomBytes(32)
 * ```
 */
export function randomBytes(length: number): Uint8Array {
  assertInteger(length, 'length', { max: 2 ** 31 - 1 })
  const out = new Uint8Array(length)
  for (let at = 0; at < length; at += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(at + MAX_CHUNK, length)))
  }
  return out
}
