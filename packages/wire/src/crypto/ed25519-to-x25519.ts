import { ed25519 } from '@noble/curves/ed25519.js'
import { assertBytes } from '../assert.js'
import { isSmallOrderPoint } from './ed25519-policy.js'
import { CURVE25519_KEY_BYTES } from './provider.js'

/**
 * The X25519 secret of an Ed25519 identity (RFC 7748 / RFC 8032: the first
 * 32 bytes of SHA-512 of the seed, the scalar Ed25519 signs with), so that
 * a key wrapped for {@link x25519PublicFromEd25519} of the peer id opens
 * with it. This is the conversion of libsodium's
 * `crypto_sign_ed25519_sk_to_curve25519` and of age's `ssh-ed25519` recipients.
 *
 * @param seed - the 32-byte Ed25519 secret (seed)
 * @returns the 32-byte X25519 secret, clamped
 * @throws TypeError/RangeError for a seed of the wrong length
 *
 * @example
 * ```ts
 * const secret = x25519SecretFromEd25519(identity.secretKey)
 * getDefaultCrypto().x25519(secret, ephemeralPublic)
 * ```
 */
export function x25519SecretFromEd25519(seed: Uint8Array): Uint8Array {
  assertBytes(seed, 'seed', CURVE25519_KEY_BYTES)
  return ed25519.utils.toMontgomerySecret(seed)
}

/**
 * The X25519 public key (Montgomery u = (1 + y) / (1 - y)) of an Ed25519
 * public key such as a mycel peer id, as libsodium's
 * `crypto_sign_ed25519_pk_to_curve25519` computes it.
 *
 * @param publicKey - a 32-byte Ed25519 public key
 * @returns the 32-byte X25519 public key, or `null` when the bytes are not a point, or a point of
 *   small order (no secret is shared with it)
 */
export function x25519PublicFromEd25519(publicKey: Uint8Array): Uint8Array | null {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== CURVE25519_KEY_BYTES) return null
  if (isSmallOrderPoint(publicKey)) return null
  try {
    return ed25519.utils.toMontgomery(publicKey)
  } catch {
    return null
  }
}
