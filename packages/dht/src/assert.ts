/**
 * Argument checks shared by the public functions of this package. They throw
 * `TypeError`/`RangeError` for programming mistakes of the caller, never
 * `DhtError`, which is reserved for bad input from the network or a file.
 * @internal
 * @module
 */

/** Throws unless `value` is a `Uint8Array` of exactly `length` bytes. */
export function assertBytes(value: unknown, length: number, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`)
  if (value.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`)
}

/** Returns `value` if it is an integer in `[min, max]`, `fallback` if it is undefined. */
export function assertInteger(
  value: number | undefined,
  fallback: number,
  name: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}

/** Returns `value` if it is a finite number in `[0, max]`, `fallback` if it is undefined. */
export function assertFraction(value: number | undefined, fallback: number, name: string, max = 1): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be a number from 0 to ${max}, got ${String(value)}`)
  }
  return value
}

/** Throws unless `port` is a TCP/UDP port number (1-65535). */
export function assertPort(port: unknown, name: string): asserts port is number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`${name} must be an integer from 1 to 65535, got ${String(port)}`)
  }
}

/** Throws unless `signal` is undefined or an `AbortSignal`. */
export function assertSignal(signal: unknown): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal')
}
