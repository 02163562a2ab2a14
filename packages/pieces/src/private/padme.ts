/**
 * PADMÉ (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
 * Communication with PURBs", PETS 2019): the length a private share's data
 * file is padded to. A length `L` is rounded up so that only its top
 * `floor(log2(floor(log2 L))) + 1` bits are free: at most 12% overhead, and
 * at most O(log log L) bits of `L` leak.
 *
 * @param length - bytes before padding, a safe non-negative integer
 * @returns the padded length (at least `length`)
 * @throws RangeError for a negative, fractional or unsafe length
 *
 * @example
 * ```ts
 * padme(1000) // 1024
 * padme(2 ** 30 + 1) // 1107296256 (1 GiB + 32 MiB)
 * ```
 */
export function padme(length: number): number {
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError('length must be a non-negative safe integer')
  }
  if (length < 2) return length
  const exponent = Math.floor(Math.log2(length))
  const exponentBits = Math.floor(Math.log2(exponent)) + 1
  const freeBits = exponent - exponentBits
  const unit = 2 ** freeBits
  return Math.ceil(length / unit) * unit
}
