/**
 * Arithmetic on the powers of two of BEP 52 trees (piece lengths, blocks per
 * piece, tree levels).
 * @internal
 * @module
 */

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
