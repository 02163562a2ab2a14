/**
 * Argument checks shared by the public functions of this package. They throw
 * `TypeError`/`RangeError` for programming mistakes of the caller, never
 * `WireError`, which is reserved for bad input bytes.
 * @internal
 * @module
 */

/** Returns `value` if it is a positive safe integer, `fallback` if it is undefined. */
export function assertLimit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${String(value)}`)
  }
  return value
}
