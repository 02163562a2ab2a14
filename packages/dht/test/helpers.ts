import { expect } from 'vitest'
import { DhtError, type DhtErrorCode } from '../src/index.js'

export { prng } from './prng.js'

export const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
export const hex = (value: string): Uint8Array =>
  Uint8Array.from(value.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16))

/** Runs `fn` and returns the `DhtError` code it throws (fails the test otherwise). */
export function errorCode(fn: () => unknown): DhtErrorCode {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(DhtError)
    return (err as DhtError).code
  }
  throw new Error('expected a DhtError, nothing was thrown')
}

/** Awaits `promise` and returns the `DhtError` code it rejects with. */
export async function rejectionCode(promise: Promise<unknown>): Promise<DhtErrorCode> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(DhtError)
    return (err as DhtError).code
  }
  throw new Error('expected a rejection with a DhtError')
}

/** 20 seeded random bytes. */
export function seededId(random: () => number): Uint8Array {
  return Uint8Array.from({ length: 20 }, () => Math.floor(random() * 256))
}
