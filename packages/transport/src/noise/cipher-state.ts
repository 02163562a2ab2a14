import type { CryptoProvider, StreamDecryption } from '../crypto/provider.js'
import { TransportError } from '../errors.js'

/** Bytes of a ChaChaPoly authentication tag. */
export const TAG_BYTES = 16

/**
 * Largest nonce this implementation uses. The spec reserves 2^64 - 1; we stop
 * at 2^53 - 1 so the counter stays an exact JavaScript number, which at a
 * million messages a second still takes 285 years to reach.
 */
export const MAX_NONCE = Number.MAX_SAFE_INTEGER

const EMPTY = new Uint8Array(0)
const ZEROS_32 = new Uint8Array(32)

/**
 * The Noise `CipherState` (spec revision 34, section 5.1) for ChaChaPoly:
 * a key `k` (or none) and a 64-bit nonce `n`.
 *
 * The 96-bit ChaCha20-Poly1305 nonce is 32 zero bits followed by `n` as a
 * little-endian 64-bit integer (spec section 12.3).
 * @internal
 */
export class CipherState {
  private k: Uint8Array | null = null
  private n = 0
  /** The 12-byte nonce block, rewritten for each message. */
  private readonly nonce = new Uint8Array(12)

  constructor(private readonly crypto: CryptoProvider) {}

  /** `InitializeKey(key)`: sets `k = key` and `n = 0`. */
  initializeKey(key: Uint8Array | null): void {
    this.k = key === null ? null : Uint8Array.from(key)
    this.n = 0
  }

  /** `HasKey()`. */
  hasKey(): boolean {
    return this.k !== null
  }

  /** `SetNonce(nonce)`. */
  setNonce(nonce: number): void {
    if (!Number.isSafeInteger(nonce) || nonce < 0) throw new RangeError('nonce must be a non-negative safe integer')
    this.n = nonce
  }

  /** The nonce the next message will use. */
  get nextNonce(): number {
    return this.n
  }

  /**
   * `EncryptWithAd(ad, plaintext)`: without a key, returns the plaintext;
   * otherwise encrypts with nonce `n` and increments `n`.
   *
   * @param headroom - free bytes to leave before the ciphertext in the result
   */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array, headroom = 0): Uint8Array {
    if (this.k === null) {
      if (headroom === 0) return plaintext
      const out = new Uint8Array(headroom + plaintext.length)
      out.set(plaintext, headroom)
      return out
    }
    const out = this.crypto.encrypt(this.k, this.nextNonceBlock(), ad, plaintext, headroom)
    this.n++
    return out
  }

  /**
   * `EncryptWithAd(ad, plaintext)` for transport messages, which always have
   * a key: the ciphertext and tag come back as separate arrays, so the frame
   * is written without copying them together.
   *
   * @returns the ciphertext and the 16-byte tag
   */
  encryptWithAdParts(ad: Uint8Array, plaintext: Uint8Array): [Uint8Array, Uint8Array] {
    if (this.k === null) throw new Error('encryptWithAdParts needs a key')
    const parts = this.crypto.encryptParts(this.k, this.nextNonceBlock(), ad, plaintext)
    this.n++
    return parts
  }

  /**
   * `DecryptWithAd(ad, ciphertext)`: without a key, returns the ciphertext;
   * otherwise decrypts with nonce `n` and increments `n` only on success.
   *
   * @returns the plaintext, or `null` when authentication fails
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (this.k === null) return ciphertext
    const plaintext = this.crypto.decrypt(this.k, this.nextNonceBlock(), ad, ciphertext)
    if (plaintext !== null) this.n++
    return plaintext
  }

  /**
   * `DecryptWithAd` for a ciphertext that arrives in pieces: `n` is
   * incremented (and `onSuccess` called) only when the tag verifies.
   */
  decryptStreamWithAd(ad: Uint8Array, ciphertextLength: number, onSuccess: () => void): StreamDecryption {
    if (this.k === null) throw new Error('decryptStreamWithAd needs a key')
    const decryption = this.crypto.decryptStream(this.k, this.nextNonceBlock(), ad, ciphertextLength)
    return {
      update: (ciphertext) => decryption.update(ciphertext),
      final: (tag) => {
        const last = decryption.final(tag)
        if (last !== null) {
          this.n++
          onSuccess()
        }
        return last
      },
    }
  }

  /**
   * `Rekey()` (spec section 11.3): `k = ENCRYPT(k, 2^64 - 1, zerolen, zeros)`,
   * keeping the first 32 bytes. The nonce is not reset.
   */
  rekey(): void {
    if (this.k === null) return
    const nonce = new Uint8Array(12)
    nonce.fill(0xff, 4)
    this.k = this.crypto.encrypt(this.k, nonce, EMPTY, ZEROS_32, 0).subarray(0, 32)
  }

  /** Writes `n` into the nonce block, refusing to go past {@link MAX_NONCE}. */
  private nextNonceBlock(): Uint8Array {
    const n = this.n
    if (n >= MAX_NONCE) throw new TransportError('NONCE_EXHAUSTED', 'the nonce of this cipher state is used up')
    const low = n % 0x1_0000_0000
    const high = (n - low) / 0x1_0000_0000
    const nonce = this.nonce
    nonce[4] = low & 0xff
    nonce[5] = (low >>> 8) & 0xff
    nonce[6] = (low >>> 16) & 0xff
    nonce[7] = low >>> 24
    nonce[8] = high & 0xff
    nonce[9] = (high >>> 8) & 0xff
    nonce[10] = (high >>> 16) & 0xff
    nonce[11] = high >>> 24
    return nonce
  }
}
