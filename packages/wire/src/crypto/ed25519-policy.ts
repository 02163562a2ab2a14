/**
 * The one Ed25519 policy of mycel, applied in front of every provider:
 * strict RFC 8032 as libsodium has it. `@noble/curves` (`zip215: false`)
 * refuses non-canonical encodings, S of the group order or more, and keys of
 * small order; OpenSSL, ten times faster, refuses the first two but accepts
 * some keys and R values of small order (60 of the 512 pairs of this list in
 * our test). Refusing the list below before either is asked makes both give
 * the same answer, which the tests check on valid, corrupted, non-canonical
 * and small-order inputs.
 * @module
 */
import { equalBytes, fromHex } from '../bytes.js'
import { CURVE25519_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './provider.js'

/**
 * The encodings of the eight Ed25519 points of small order (the identity,
 * the point of order 2, two of order 4, four of order 8), plus the two that
 * put a sign bit on x = 0. Other non-canonical encodings (y of p or more) are
 * refused by every provider already.
 */
export const SMALL_ORDER_POINTS: readonly Uint8Array[] = Object.freeze(
  [
    '0100000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000080',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0000000000000000000000000000000000000000000000000000000000000080',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  ].map((hex) => fromHex(hex) as Uint8Array),
)

/**
 * Whether 32 bytes encode an Ed25519 point of small order (one of {@link SMALL_ORDER_POINTS}).
 *
 * @param encoded - a point encoding
 * @returns true for a point of small order
 *
 * @example
 * ```ts
 * isSmallOrderPoint(new Uint8Array(32)) // true: y = 0 is a point of order 4
 * ```
 */
export function isSmallOrderPoint(encoded: Uint8Array): boolean {
  return SMALL_ORDER_POINTS.some((point) => equalBytes(point, encoded))
}

/**
 * Whether the policy refuses a signature before any curve arithmetic: a
 * value that is not bytes, a wrong length, or a key or R of small order.
 * @internal
 */
export function refusedEd25519(signature: unknown, publicKey: unknown): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_BYTES) return true
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== CURVE25519_KEY_BYTES) return true
  return isSmallOrderPoint(publicKey) || isSmallOrderPoint(signature.subarray(0, 32))
}
