import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { assertBytes, assertInteger } from '../assert.js'
import { refusedEd25519 } from './ed25519-policy.js'
import { nobleCreateSha1, nobleCreateSha256, nobleSha256 } from './noble-hashes.js'
import {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  assertChaCha20Position,
  assertChaCha20Range,
  assertXorRange,
  CHACHA20_BLOCK_BYTES,
  type ChaCha20Stream,
  type CryptoProvider,
  CURVE25519_KEY_BYTES,
  type KeyPair,
} from './provider.js'

const EMPTY = new Uint8Array(0)

function assertKeyAndNonce(key: Uint8Array, nonce: Uint8Array): void {
  assertBytes(key, 'key', AEAD_KEY_BYTES)
  assertBytes(nonce, 'nonce', AEAD_NONCE_BYTES)
}

/**
 * A ChaCha20 key stream over `@noble/ciphers`, which has no state between
 * calls: each range is one call from its block counter, writing into
 * `output`; a range that starts or ends inside a 64-byte block takes that
 * block's key stream on its own.
 */
class NobleChaCha20Stream implements ChaCha20Stream {
  private readonly block = new Uint8Array(CHACHA20_BLOCK_BYTES)

  constructor(
    private readonly key: Uint8Array,
    private readonly nonce: Uint8Array,
    public position: number,
  ) {}

  xorInto(input: Uint8Array, output: Uint8Array): Uint8Array {
    assertXorRange(this.position, input, output)
    let done = 0
    const skip = this.position % CHACHA20_BLOCK_BYTES
    if (skip > 0 && input.length > 0) done = this.xorPartial(input, output, 0, skip)
    const whole = Math.floor((input.length - done) / CHACHA20_BLOCK_BYTES) * CHACHA20_BLOCK_BYTES
    if (whole > 0) {
      const counter = (this.position + done) / CHACHA20_BLOCK_BYTES
      chacha20(this.key, this.nonce, input.subarray(done, done + whole), output.subarray(done, done + whole), counter)
      done += whole
    }
    if (done < input.length) this.xorPartial(input, output, done, 0)
    this.position += input.length
    return output
  }

  /** XORs what of `input[from..]` falls in the block at `position + from`, starting `skip` bytes into it. */
  private xorPartial(input: Uint8Array, output: Uint8Array, from: number, skip: number): number {
    const counter = Math.floor((this.position + from) / CHACHA20_BLOCK_BYTES)
    this.block.fill(0)
    chacha20(this.key, this.nonce, this.block, this.block, counter)
    const length = Math.min(input.length - from, CHACHA20_BLOCK_BYTES - skip)
    for (let i = 0; i < length; i++) {
      output[from + i] = (input[from + i] as number) ^ (this.block[skip + i] as number)
    }
    return from + length
  }
}

/**
 * The pure-JavaScript {@link CryptoProvider}, built on `@noble/ciphers`,
 * `@noble/curves` and `@noble/hashes` (audited, constant-time where it
 * matters). It runs everywhere (browsers, Deno, workers); where the runtime
 * has `node:crypto`, `getDefaultCrypto()` picks that instead, about ten
 * times faster.
 *
 * @example
 * ```ts
 * import { nobleCrypto } from '@mycel/wire/crypto'
 *
 * const conn = await secure(stream, identity, { initiator: true, crypto: nobleCrypto })
 * ```
 */
export const nobleCrypto: CryptoProvider = Object.freeze({
  name: 'noble',

  sha256: nobleSha256,

  createSha256: nobleCreateSha256,

  createSha1: nobleCreateSha1,

  hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
    const mac = hmac.create(sha256, key)
    for (const part of parts) mac.update(part)
    return mac.digest()
  },

  encrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array, headroom: number): Uint8Array {
    assertKeyAndNonce(key, nonce)
    const out = new Uint8Array(headroom + plaintext.length + AEAD_TAG_BYTES)
    chacha20poly1305(key, nonce, ad).encrypt(plaintext, out.subarray(headroom))
    return out
  },

  encryptParts(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): [Uint8Array, Uint8Array] {
    assertKeyAndNonce(key, nonce)
    const sealed = chacha20poly1305(key, nonce, ad).encrypt(plaintext)
    return [sealed.subarray(0, plaintext.length), sealed.subarray(plaintext.length)]
  },

  decrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    assertKeyAndNonce(key, nonce)
    if (ciphertext.length < AEAD_TAG_BYTES) return null
    try {
      return chacha20poly1305(key, nonce, ad).decrypt(ciphertext)
    } catch {
      return null
    }
  },

  decryptStream(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertextLength: number) {
    assertKeyAndNonce(key, nonce)
    assertInteger(ciphertextLength, 'ciphertextLength')
    // noble has no incremental AEAD: gather the ciphertext and decrypt it whole at the end.
    const ciphertext = new Uint8Array(ciphertextLength + AEAD_TAG_BYTES)
    const keyCopy = Uint8Array.from(key)
    const nonceCopy = Uint8Array.from(nonce)
    const adCopy = Uint8Array.from(ad)
    let filled = 0
    let overrun = false
    return {
      update(piece: Uint8Array): Uint8Array {
        if (filled + piece.length > ciphertextLength) overrun = true
        else ciphertext.set(piece, filled)
        filled += piece.length
        return EMPTY
      },
      final(tag: Uint8Array): Uint8Array | null {
        if (overrun || filled !== ciphertextLength || tag.length !== AEAD_TAG_BYTES) return null
        ciphertext.set(tag, filled)
        try {
          return chacha20poly1305(keyCopy, nonceCopy, adCopy).decrypt(ciphertext)
        } catch {
          return null
        }
      },
    }
  },

  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array): Uint8Array {
    assertKeyAndNonce(key, nonce)
    assertBytes(input, 'input')
    assertChaCha20Range(counter, input.length)
    return chacha20(key, nonce, input, undefined, counter)
  },

  createChaCha20Stream(key: Uint8Array, nonce: Uint8Array, position: number): ChaCha20Stream {
    assertKeyAndNonce(key, nonce)
    assertChaCha20Position(position)
    return new NobleChaCha20Stream(Uint8Array.from(key), Uint8Array.from(nonce), position)
  },

  x25519KeyPair(secretKey?: Uint8Array): KeyPair {
    if (secretKey !== undefined) assertBytes(secretKey, 'secretKey', CURVE25519_KEY_BYTES)
    const secret = secretKey === undefined ? x25519.utils.randomSecretKey() : Uint8Array.from(secretKey)
    return { secretKey: secret, publicKey: x25519.getPublicKey(secret) }
  },

  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
    assertBytes(secretKey, 'secretKey', CURVE25519_KEY_BYTES)
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== CURVE25519_KEY_BYTES) return null
    try {
      // noble refuses a public key whose shared secret is all zeros.
      return x25519.getSharedSecret(secretKey, publicKey)
    } catch {
      return null
    }
  },

  ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
    assertBytes(secretKey, 'secretKey', CURVE25519_KEY_BYTES)
    return ed25519.getPublicKey(secretKey)
  },

  ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    assertBytes(message, 'message')
    assertBytes(secretKey, 'secretKey', CURVE25519_KEY_BYTES)
    return ed25519.sign(message, secretKey)
  },

  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (refusedEd25519(signature, publicKey)) return false
    try {
      // Strict RFC 8032: the ZIP 215 rules would accept the all-zero key and signature for any message.
      return ed25519.verify(signature, message, publicKey, { zip215: false })
    } catch {
      return false
    }
  },
})
