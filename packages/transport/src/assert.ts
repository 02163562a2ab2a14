/**
 * Argument checks shared by the public functions of this package. They throw
 * `TypeError`/`RangeError` for programming mistakes of the caller, never
 * `TransportError`, which is reserved for bad input from the network or a file.
 * @internal
 * @module
 */

/** Throws unless `value` is a `Uint8Array` (of `length` bytes, when given). */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`)
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`)
  }
}

/** Returns `value` if it is an integer in `[min, max]`, `fallback` if it is undefined. */
export function assertInteger(
  value: number | undefined,
  fallback: number,
  name: string,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}

/** Throws unless `value` is an `AbortSignal` or undefined. */
export function assertSignal(value: unknown, name = 'signal'): asserts value is AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) throw new TypeError(`${name} must be an AbortSignal`)
}

/** Throws unless `value` is a function. */
export function assertFunction(value: unknown, name: string): void {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function`)
}
