import { fromHex, toHex } from '@mycel/wire'
import { randomBytes } from '@mycel/wire/crypto'

/** Length of node ids, infohashes, discovery keys and BEP 44 targets: 20 bytes (160 bits). */
export const ID_LENGTH = 20

/**
 * Compares the XOR distances of `a` and `b` to `target`, without allocating.
 *
 * @param a - first id
 * @param b - second id
 * @param target - the point distances are measured from
 * @returns negative if `a` is closer, positive if `b` is closer, 0 if equal
 *
 * @example
 * ```ts
 * const nearest = ids.sort((a, b) => compareDistance(a, b, target))[0]
 * ```
 */
export function compareDistance(a: Uint8Array, b: Uint8Array, target: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const da = (a[i] as number) ^ (target[i] as number)
    const db = (b[i] as number) ^ (target[i] as number)
    if (da !== db) return da - db
  }
  return 0
}

/**
 * How many leading bits two ids share (160 if they are equal). This is the
 * index of the routing-table bucket a node falls in, before splitting stops.
 *
 * @param a - first id
 * @param b - second id
 * @returns 0-160
 *
 * @example
 * ```ts
 * commonPrefixLength(new Uint8Array(20), new Uint8Array(20).fill(0xff)) // 0
 * ```
 */
export function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const x = (a[i] as number) ^ (b[i] as number)
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return ID_LENGTH * 8
}

/**
 * A random 20-byte id from the platform's cryptographic random source.
 *
 * @returns a new id
 *
 * @example
 * ```ts
 * const id = randomNodeId()
 * ```
 */
export function randomNodeId(): Uint8Array {
  return randomBytes(ID_LENGTH)
}

/**
 * A random id that shares exactly the first `prefixBits` bits with `base`
 * and differs at the next one (or, with `differ` false, only shares them):
 * a target inside one routing-table bucket, for a refresh.
 * @internal
 */
export function randomIdWithPrefix(base: Uint8Array, prefixBits: number, differ: boolean): Uint8Array {
  const id = randomBytes(ID_LENGTH)
  const fullBytes = prefixBits >> 3
  id.set(base.subarray(0, fullBytes))
  const rest = prefixBits & 7
  if (fullBytes < ID_LENGTH) {
    const keep = (0xff00 >> rest) & 0xff
    id[fullBytes] = ((base[fullBytes] as number) & keep) | ((id[fullBytes] as number) & ~keep & 0xff)
    if (differ) {
      const bit = 0x80 >> rest
      id[fullBytes] = ((id[fullBytes] as number) & ~bit) | (~(base[fullBytes] as number) & bit)
    }
  }
  return id
}

/**
 * Lower-case hex text of an id (or any bytes).
 *
 * @param id - bytes
 * @returns hex text, two characters per byte
 *
 * @example
 * ```ts
 * idToHex(new Uint8Array([0xab, 0x01])) // 'ab01'
 * ```
 */
export function idToHex(id: Uint8Array): string {
  return toHex(id)
}

/**
 * Parses 40 hex characters into a 20-byte id.
 *
 * @param hex - the text form of an id
 * @returns the id
 * @throws RangeError if `hex` is not 40 hex characters
 *
 * @example
 * ```ts
 * idFromHex('4a533d47ec9c7d95b1ad75f576cffc641853b750').length // 20
 * ```
 */
export function idFromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{40}$/.test(hex)) throw new RangeError('id must be 40 hex characters')
  return fromHex(hex) as Uint8Array
}
