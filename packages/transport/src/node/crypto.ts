import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  verify,
} from 'node:crypto'
import type { CryptoProvider, KeyPair } from '../crypto/provider.js'
import { isSmallOrderPoint } from '../crypto/small-order.js'

const TAG_BYTES = 16
const EMPTY = new Uint8Array(0)
const CIPHER = 'chacha20-poly1305'

/** DER prefix of a PKCS#8 X25519 private key (RFC 8410), for importing a given secret. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')

/**
 * Private KeyObjects of the secrets this provider made or imported, so each
 * is imported once: OpenSSL's PKCS#8 import costs ten times a DH.
 */
const privateKeys = new WeakMap<Uint8Array, KeyObject>()

function x25519PrivateKey(secretKey: Uint8Array): KeyObject {
  let key = privateKeys.get(secretKey)
  if (key === undefined) {
    key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' })
    privateKeys.set(secretKey, key)
  }
  return key
}

/** Imports a raw 32-byte public key; JWK is the fastest import path of OpenSSL 3. */
function publicKeyObject(curve: 'X25519' | 'Ed25519', publicKey: Uint8Array): KeyObject {
  return createPublicKey({
    key: {
      kty: 'OKP',
      crv: curve,
      x: Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('base64url'),
    },
    format: 'jwk',
  })
}

function fromBase64url(text: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(text ?? '', 'base64url'))
}

/** A plain `Uint8Array` over a Buffer's bytes (no copy), so results look the same from either provider. */
function view(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length)
}

/**
 * The {@link CryptoProvider} built on `node:crypto` (OpenSSL): ChaCha20-Poly1305
 * at about 1-2 GiB/s and X25519 in about 0.05 ms, ten times the speed of
 * `nobleCrypto`. It gives the same bytes as `nobleCrypto`; the tests cross
 * the two.
 *
 * @example
 * ```ts
 * import { nodeCrypto } from '@mycel/transport/node'
 * import { secure } from '@mycel/transport'
 *
 * const conn = await secure(stream, identity, { initiator: true, crypto: nodeCrypto })
 * ```
 */
export const nodeCrypto: CryptoProvider = {
  name: 'node',

  encrypt(key, nonce, ad, plaintext, headroom) {
    const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES })
    if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length })
    const ciphertext = cipher.update(plaintext)
    cipher.final()
    const out = Buffer.allocUnsafe(headroom + plaintext.length + TAG_BYTES)
    out.fill(0, 0, headroom)
    ciphertext.copy(out, headroom)
    cipher.getAuthTag().copy(out, headroom + plaintext.length)
    return view(out)
  },

  encryptParts(key, nonce, ad, plaintext) {
    const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES })
    if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length })
    const ciphertext = cipher.update(plaintext)
    cipher.final()
    return [view(ciphertext), view(cipher.getAuthTag())]
  },

  decrypt(key, nonce, ad, ciphertext) {
    if (ciphertext.length < TAG_BYTES) return null
    const bodyLength = ciphertext.length - TAG_BYTES
    const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES })
    decipher.setAuthTag(ciphertext.subarray(bodyLength))
    if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: bodyLength })
    const plaintext = decipher.update(ciphertext.subarray(0, bodyLength))
    try {
      decipher.final()
    } catch {
      return null
    }
    return view(plaintext)
  },

  decryptStream(key, nonce, ad, ciphertextLength) {
    const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES })
    if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: ciphertextLength })
    return {
      update: (ciphertext) => view(decipher.update(ciphertext)),
      final(tag) {
        try {
          decipher.setAuthTag(tag)
          decipher.final()
        } catch {
          return null
        }
        return EMPTY
      },
    }
  },

  x25519KeyPair(secretKey?: Uint8Array): KeyPair {
    if (secretKey === undefined) {
      const { privateKey } = generateKeyPairSync('x25519')
      const jwk = privateKey.export({ format: 'jwk' })
      const pair = { secretKey: fromBase64url(jwk.d), publicKey: fromBase64url(jwk.x) }
      privateKeys.set(pair.secretKey, privateKey)
      return pair
    }
    const secret = Uint8Array.from(secretKey)
    const jwk = createPublicKey(x25519PrivateKey(secret)).export({ format: 'jwk' })
    return { secretKey: secret, publicKey: fromBase64url(jwk.x) }
  },

  x25519(secretKey, publicKey) {
    try {
      const shared = diffieHellman({
        privateKey: x25519PrivateKey(secretKey),
        publicKey: publicKeyObject('X25519', publicKey),
      })
      return shared.every((byte) => byte === 0) ? null : new Uint8Array(shared)
    } catch {
      return null
    }
  },

  sha256(...parts) {
    const hash = createHash('sha256')
    for (const part of parts) hash.update(part)
    return new Uint8Array(hash.digest())
  },

  hmacSha256(key, ...parts) {
    const mac = createHmac('sha256', key)
    for (const part of parts) mac.update(part)
    return new Uint8Array(mac.digest())
  },

  ed25519Verify(signature, message, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false
    // OpenSSL accepts some small-order keys and R values that strict RFC 8032 refuses.
    if (isSmallOrderPoint(publicKey) || isSmallOrderPoint(signature.subarray(0, 32))) return false
    try {
      return verify(null, message, publicKeyObject('Ed25519', publicKey), signature)
    } catch {
      return false
    }
  },
}
