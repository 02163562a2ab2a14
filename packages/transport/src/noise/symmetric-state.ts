import type { CryptoProvider } from '../crypto/provider.js'
import { CipherState } from './cipher-state.js'

/** HASHLEN of SHA-256. */
export const HASH_BYTES = 32

const EMPTY = new Uint8Array(0)
const ONE = Uint8Array.of(0x01)
const TWO = Uint8Array.of(0x02)

/**
 * The Noise `SymmetricState` (spec revision 34, section 5.2) with SHA-256:
 * the chaining key `ck`, the handshake hash `h`, and a {@link CipherState}.
 * @internal
 */
export class SymmetricState {
  private ck: Uint8Array
  private h: Uint8Array
  private readonly cipher: CipherState

  /**
   * `InitializeSymmetric(protocol_name)`: `h` is the name padded with zeros
   * to HASHLEN if it fits, else `HASH(name)`; `ck = h`; no key.
   */
  constructor(
    private readonly crypto: CryptoProvider,
    protocolName: Uint8Array,
  ) {
    if (protocolName.length <= HASH_BYTES) {
      this.h = new Uint8Array(HASH_BYTES)
      this.h.set(protocolName)
    } else {
      this.h = crypto.sha256(protocolName)
    }
    this.ck = this.h
    this.cipher = new CipherState(crypto)
    this.cipher.initializeKey(null)
  }

  /** `MixKey(input_key_material)`: `ck, temp_k = HKDF(ck, ikm, 2)`; `InitializeKey(temp_k)`. */
  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, tempK] = this.hkdf2(inputKeyMaterial)
    this.ck = ck
    this.cipher.initializeKey(tempK)
  }

  /** `MixHash(data)`: `h = HASH(h || data)`. */
  mixHash(data: Uint8Array): void {
    this.h = this.crypto.sha256(this.h, data)
  }

  /** `GetHandshakeHash()`. */
  handshakeHash(): Uint8Array {
    return Uint8Array.from(this.h)
  }

  /** `EncryptAndHash(plaintext)`: `ciphertext = EncryptWithAd(h, plaintext)`; `MixHash(ciphertext)`. */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encryptWithAd(this.h, plaintext)
    this.mixHash(ciphertext)
    return ciphertext
  }

  /**
   * `DecryptAndHash(ciphertext)`: `plaintext = DecryptWithAd(h, ciphertext)`; `MixHash(ciphertext)`.
   *
   * @returns the plaintext, or `null` when authentication fails
   */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array | null {
    const plaintext = this.cipher.decryptWithAd(this.h, ciphertext)
    if (plaintext === null) return null
    this.mixHash(ciphertext)
    return plaintext
  }

  /** Whether a key has been mixed in (the cipher's `HasKey()`). */
  hasKey(): boolean {
    return this.cipher.hasKey()
  }

  /**
   * `Split()`: `temp_k1, temp_k2 = HKDF(ck, zerolen, 2)`; two cipher states,
   * the first for the initiator's messages, the second for the responder's.
   */
  split(): [CipherState, CipherState] {
    const [k1, k2] = this.hkdf2(EMPTY)
    const c1 = new CipherState(this.crypto)
    const c2 = new CipherState(this.crypto)
    c1.initializeKey(k1)
    c2.initializeKey(k2)
    return [c1, c2]
  }

  /** `HKDF(chaining_key, input_key_material, 2)` of spec section 4.3. */
  private hkdf2(inputKeyMaterial: Uint8Array): [Uint8Array, Uint8Array] {
    const tempKey = this.crypto.hmacSha256(this.ck, inputKeyMaterial)
    const output1 = this.crypto.hmacSha256(tempKey, ONE)
    const output2 = this.crypto.hmacSha256(tempKey, output1, TWO)
    return [output1, output2]
  }
}
