/**
 * The argument check of this package that is not one of the shared
 * assertions of `@mycel/wire/assert`, built on them. They throw
 * `TypeError`/`RangeError` for programming mistakes of the caller, never
 * `StoreError`, which is reserved for the disk, the database and paths.
 * @internal
 * @module
 */
import { assertBytes } from '@mycel/wire/assert'

/** Throws unless `value` is an infohash (32 bytes). */
export function assertInfohash(value: unknown): asserts value is Uint8Array {
  assertBytes(value, 'infohash', 32)
}
