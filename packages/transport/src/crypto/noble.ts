import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Identity } from '../identity.js'
import type { CryptoProvider, KeyPair } from './provider.js'

const TAG_BYTES = 16
const EMPTY = new Uint8Array(0)

/**
 * The pure-JavaScript {@link CryptoProvider}, built on `@noble/ciphers`,
 * `@noble/curves` and `@noble/hashes`. It runs everywhere (browsers, Deno,
 * workers); in Node, `nodeCrypto` from `@mycel/transport/node` is about ten
 * times faster.
 *
 * @example
 * ```ts
 * const conn = await secure(stream, identity, { initiator: true, crypto: nobleCrypto })
 * ```
 */
export const nobleCrypto: CryptoProvider = {
  name: 'noble',

  encrypt(key, nonce, ad, plaintext, headroom) {
    const out = new Uint8Array(headroom + plaintext.length + TAG_BYTES)
    chacha20poly1305(key, nonce, ad).encrypt(plaintext, out.subarray(headroom))
    return out
  },

  encryptParts(key, nonce, ad, plaintext) {
    const sealed = chacha20poly1305(key, nonce, ad).encrypt(plaintext)
    return [sealed.subarray(0, plaintext.length), sealed.subarray(plaintext.length)]
  },

  decrypt(key, nonce, ad, ciphertext) {
    if (ciphertext.length < TAG_BYTES) return null
    try {
      return chacha20poly1305(key, nonce, ad).decrypt(ciphertext)
    } catch {
      return null
    }
  },

  decryptStream(key, nonce, ad, ciphertextLength) {
    // noble has no incremental AEAD: gather the ciphertext and decrypt it whole at the end.
    const ciphertext = new Uint8Array(ciphertextLength + TAG_BYTES)
    const keyCopy = Uint8Array.from(key)
    const nonceCopy = Uint8Array.from(nonce)
    const adCopy = Uint8Array.from(ad)
    let filled = 0
    return {
      update(piece) {
        ciphertext.set(piece, filled)
        filled += piece.length
        return EMPTY
      },
      final(tag) {
        if (filled !== ciphertextLength) return null
        ciphertext.set(tag, filled)
        try {
          return chacha20poly1305(keyCopy, nonceCopy, adCopy).decrypt(ciphertext)
        } catch {
          return null
        }
      },
    }
  },

  x25519KeyPair(secretKey?: Uint8Array): KeyPair {
    const secret = secretKey === undefined ? x25519.utils.randomSecretKey() : Uint8Array.from(secretKey)
    return { secretKey: secret, publicKey: x25519.getPublicKey(secret) }
  },

  x25519(secretKey, publicKey) {
    try {
      return x25519.getSharedSecret(secretKey, publicKey)
    } catch {
      return null
    }
  },

  sha256(...parts) {
    const hash = sha256.create()
    for (const part of parts) hash.update(part)
    return hash.digest()
  },

  hmacSha256(key, ...parts) {
    const mac = hmac.create(sha256, key)
    for (const part of parts) mac.update(part)
    return mac.digest()
  },

  ed25519Verify(signature, message, publicKey) {
    return Identity.verify(signature, message, publicKey)
  },
}
