/**
 * Argument checks shared by the public functions of this package. They throw
 * `TypeError`/`RangeError` for programming mistakes of the caller, never
 * `PiecesError`, which is reserved for bad input from the network or a file.
 * @internal
 * @module
 */
import { PiecesError } from './errors.js'

/** Throws unless `value` is a `Uint8Array`, optionally of exactly `length` bytes. */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`)
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`)
  }
}

/** Throws unless `value` is a safe integer in `[min, max]`. */
export function assertInteger(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${name} must be a safe integer, got ${String(value)}`)
  }
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`)
  return value
}

/** Whether `n` is a positive power of two (up to 2^52). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n
}

/** log2 of a power of two. */
export function log2(n: number): number {
  return Math.round(Math.log2(n))
}

/** Smallest `k` with `2^k >= n` (0 for n <= 1). */
export function ceilLog2(n: number): number {
  let k = 0
  while (2 ** k < n) k++
  return k
}

/** Throws `PiecesError('ABORTED')` if `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw PiecesError.aborted(signal.reason)
}

/** Throws unless `signal` is undefined or an `AbortSignal`. */
export function assertSignal(signal: unknown): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal')
}
