import { assertBytes } from '@mycel/wire/assert'
import { getDefaultCrypto, randomBytes } from '@mycel/wire/crypto'
import { peerIdToString } from './peer-id.js'

/** Bytes in an Ed25519 secret key (the 32-byte seed of RFC 8032). */
export const SECRET_KEY_BYTES = 32

/** Bytes in an Ed25519 signature. */
export const SIGNATURE_BYTES = 64

/**
 * A peer's long-term identity: an Ed25519 key pair. The public key is the
 * peer id. The secret key never leaves the object except through
 * {@link Identity.exportSecretKey}, for saving it.
 *
 * @example
 * ```ts
 * const identity = Identity.generate()
 * console.log(identity.toString()) // the peer id, base32
 * const signature = identity.sign(new TextEncoder().encode('hello'))
 * Identity.verify(signature, new TextEncoder().encode('hello'), identity.peerId) // true
 * ```
 */
export class Identity {
  /** The 32-byte Ed25519 public key, which is the peer id. */
  readonly peerId: Uint8Array
  readonly #secretKey: Uint8Array

  private constructor(secretKey: Uint8Array) {
    this.#secretKey = secretKey
    this.peerId = getDefaultCrypto().ed25519PublicKey(secretKey)
  }

  /**
   * Creates a new identity from fresh randomness (`crypto.getRandomValues`).
   *
   * @returns a new identity
   */
  static generate(): Identity {
    return new Identity(randomBytes(SECRET_KEY_BYTES))
  }

  /**
   * Restores an identity from its secret key.
   *
   * @param secretKey - the 32-byte Ed25519 seed, as {@link Identity.exportSecretKey} returns it
   * @returns the identity
   * @throws TypeError/RangeError when `secretKey` is not 32 bytes
   */
  static fromSecretKey(secretKey: Uint8Array): Identity {
    assertBytes(secretKey, 'secretKey', SECRET_KEY_BYTES)
    return new Identity(Uint8Array.from(secretKey))
  }

  /**
   * Checks an Ed25519 signature (RFC 8032, strict: non-canonical encodings
   * and keys or R of small order are refused), with the default provider of
   * `@mycel/wire/crypto`.
   *
   * @param signature - 64 bytes
   * @param message - the signed bytes
   * @param peerId - the signer's 32-byte public key
   * @returns true when the signature is valid; false for any malformed input
   */
  static verify(signature: Uint8Array, message: Uint8Array, peerId: Uint8Array): boolean {
    return getDefaultCrypto().ed25519Verify(signature, message, peerId)
  }

  /**
   * Signs bytes with the identity's secret key.
   *
   * @param message - the bytes to sign
   * @returns the 64-byte Ed25519 signature
   */
  sign(message: Uint8Array): Uint8Array {
    assertBytes(message, 'message')
    return getDefaultCrypto().ed25519Sign(message, this.#secretKey)
  }

  /**
   * A copy of the 32-byte secret key, for saving the identity. Keep it secret.
   *
   * @returns the Ed25519 seed
   */
  exportSecretKey(): Uint8Array {
    return Uint8Array.from(this.#secretKey)
  }

  /**
   * The peer id in text form (see {@link peerIdToString}).
   *
   * @returns 52 base32 characters
   */
  toString(): string {
    return peerIdToString(this.peerId)
  }
}
