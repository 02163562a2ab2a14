/**
 * Argument checks shared by the public functions of this package. They throw
 * `TypeError`/`RangeError` for programming mistakes of the caller, never
 * `StoreError`, which is reserved for the disk, the database and paths.
 * @internal
 * @module
 */
import { StoreError } from './errors.js'

/** Throws unless `value` is a `Uint8Array`, optionally of exactly `length` bytes. */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`)
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`)
  }
}

/** Throws unless `value` is a safe integer in `[min, max]`; returns it. */
export function assertInteger(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${name} must be a safe integer, got ${String(value)}`)
  }
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`)
  return value
}

/** Throws unless `value` is a string of at most `max` UTF-16 code units (and at least one if `nonEmpty`). */
export function assertText(value: unknown, name: string, max: number, nonEmpty = true): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`)
  if (nonEmpty && value.length === 0) throw new RangeError(`${name} must not be empty`)
  if (value.length > max) throw new RangeError(`${name} must be at most ${max} characters, got ${value.length}`)
}

/** Throws unless `value` is an infohash (32 bytes). */
export function assertInfohash(value: unknown): asserts value is Uint8Array {
  assertBytes(value, 'infohash', 32)
}

/** Throws unless `signal` is undefined or an `AbortSignal`. */
export function assertSignal(signal: unknown): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal')
}

/** Throws `StoreError('ABORTED')` if `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw StoreError.aborted(signal.reason)
}
