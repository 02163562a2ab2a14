/**
 * Ed25519 signature checks of BEP 44 items: `node:crypto` (OpenSSL) where
 * the runtime has it, about ten times faster, and `@noble/curves`
 * everywhere else (browsers). Both give the strict answer of RFC 8032, as
 * libsodium does: canonical encodings, S below the group order, the
 * cofactorless equation, and no key or R of small order. OpenSSL alone
 * accepts some small-order keys and R values, so those are refused before
 * it is asked; the tests cross the two on valid, corrupted and small-order
 * inputs.
 * @internal
 * @module
 */
import { equalBytes, fromHex } from '@mycel/wire'
import { ed25519 } from '@noble/curves/ed25519.js'

/** Checks `signature` over `message` by `publicKey`; false (never a throw) for anything invalid. @internal */
export type Ed25519Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean

/** The part of `node:crypto` used here. */
interface NodeCryptoModule {
  createPublicKey(key: { key: { kty: 'OKP'; crv: 'Ed25519'; x: string }; format: 'jwk' }): unknown
  verify(algorithm: null, data: Uint8Array, key: unknown, signature: Uint8Array): boolean
}

/**
 * The encodings of the eight points of small order (the identity, the point
 * of order 2, two of order 4, four of order 8), plus the two that put a sign
 * bit on x = 0. Other non-canonical encodings (y of p or more) are refused
 * by both implementations already. (`@mycel/transport` keeps the same list
 * for peer identities: packages share only `@mycel/wire`.)
 * @internal
 */
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

/** Whether a 32-byte point encoding is one of {@link SMALL_ORDER_POINTS}. @internal */
export function isSmallOrder(encoded: Uint8Array): boolean {
  return SMALL_ORDER_POINTS.some((point) => equalBytes(point, encoded))
}

/** The `@noble/curves` check (strict RFC 8032, `zip215: false`). @internal */
export const nobleVerify: Ed25519Verify = (signature, message, publicKey) => {
  try {
    // The ZIP 215 rules would accept the all-zero key and signature for any message.
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}

/** The `node:crypto` check over `crypto`, with the small-order refusal in front. @internal */
export function createNodeVerify(crypto: NodeCryptoModule): Ed25519Verify {
  return (signature, message, publicKey) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false
    if (isSmallOrder(publicKey) || isSmallOrder(signature.subarray(0, 32))) return false
    try {
      const x = btoa(String.fromCharCode(...publicKey))
        .replaceAll('+', '-')
        .replaceAll('/', '_')
        .replace(/=+$/, '')
      const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
      return crypto.verify(null, message, key, signature)
    } catch {
      return false
    }
  }
}

/** `node:crypto` through `process.getBuiltinModule` (no import, so browser bundles stay clean), if the runtime has it. */
function findNodeCrypto(): NodeCryptoModule | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  if (typeof runtime?.getBuiltinModule !== 'function') return undefined
  try {
    const crypto = runtime.getBuiltinModule('node:crypto') as Partial<NodeCryptoModule> | undefined
    if (typeof crypto?.createPublicKey !== 'function' || typeof crypto.verify !== 'function') return undefined
    return crypto as NodeCryptoModule
  } catch {
    return undefined
  }
}

const nodeCrypto = findNodeCrypto()

/** The `node:crypto` check when the runtime has it (the tests cross it with noble). @internal */
export const nodeVerify: Ed25519Verify | undefined = nodeCrypto === undefined ? undefined : createNodeVerify(nodeCrypto)

/** The check this runtime uses: `node:crypto` when present, noble otherwise. @internal */
export const verifyEd25519: Ed25519Verify = nodeVerify ?? nobleVerify
