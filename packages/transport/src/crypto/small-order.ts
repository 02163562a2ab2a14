/**
 * The Ed25519 point encodings of small order, refused as keys and as the R
 * of a signature. Strict RFC 8032 verification (`nobleCrypto`, libsodium)
 * refuses them; OpenSSL accepts some, so `nodeCrypto` checks this list
 * before asking it, and the two providers agree. (`@mycel/dht` keeps the
 * same list for BEP 44 signatures: packages share only `@mycel/wire`.)
 * @internal
 * @module
 */
import { equalBytes, fromHex } from '@mycel/wire'

/** The eight points of small order, canonical, and the two with a sign bit on x = 0. @internal */
export const SMALL_ORDER_POINTS: readonly Uint8Array[] = [
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
].map((hex) => fromHex(hex) as Uint8Array)

/** Whether 32 bytes encode a point of small order. @internal */
export function isSmallOrderPoint(encoded: Uint8Array): boolean {
  return SMALL_ORDER_POINTS.some((point) => equalBytes(point, encoded))
}
