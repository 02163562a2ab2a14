/**
 * The {@link CryptoProvider} over `node:crypto` (OpenSSL). The modules are
 * handed in (found at run time by `default.ts` through
 * `process.getBuiltinModule`), so this file imports nothing from Node and a
 * browser bundle of `@mycel/wire/crypto` carries no Node module.
 * @module
 */
import type * as NodeBuffer from 'node:buffer'
import type * as NodeCrypto from 'node:crypto'
import { assertBytes, assertInteger } from '../assert.js'
import { refusedEd25519 } from './ed25519-policy.js'
import type { NativeChaCha20, NativeChaCha20Context } from './native-chacha20.js'
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
  type IncrementalHash,
  type KeyPair,
  UNWRAPPED_SHA256,
} from './provider.js'

/** The Node built-in modules this provider runs on. */
export interface NodeCryptoModules {
  /** `node:crypto` */
  readonly crypto: typeof NodeCrypto
  /** `node:buffer` */
  readonly buffer: typeof NodeBuffer
}

type Buffer = NodeBuffer.Buffer
type KeyObject = NodeCrypto.KeyObject

/** A private KeyObject and a copy of the secret it was imported from. */
interface CachedKey {
  readonly bytes: Uint8Array
  readonly key: KeyObject
}

const EMPTY = new Uint8Array(0)
const CIPHER = 'chacha20-poly1305'

/** DER prefixes of PKCS#8 private keys (RFC 8410), for importing a raw 32-byte secret. */
const PKCS8_PREFIX = {
  X25519: '302e020100300506032b656e04220420',
  Ed25519: '302e020100300506032b657004220420',
} as const

/** A plain `Uint8Array` over a Buffer's bytes (no copy), so results look the same from either provider. */
function view(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/** Whether two secrets are equal, in time that depends only on their length. */
function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number)
  return difference === 0
}

function assertKeyAndNonce(key: Uint8Array, nonce: Uint8Array): void {
  assertBytes(key, 'key', AEAD_KEY_BYTES)
  assertBytes(nonce, 'nonce', AEAD_NONCE_BYTES)
}

class NodeIncrementalHash implements IncrementalHash {
  constructor(private readonly state: NodeCrypto.Hash) {}

  update(data: Uint8Array): void {
    this.state.update(data)
  }

  digest(): Uint8Array {
    return view(this.state.digest())
  }

  copy(): IncrementalHash {
    return new NodeIncrementalHash(this.state.copy())
  }
}

/**
 * Bytes given to OpenSSL per `update` of a {@link NodeChaCha20Stream}; each
 * answer is a new buffer. Measured on one cipher kept across 256 MiB (Node
 * 20, 2 shared cores): 0.22-0.32 s of CPU with 8 or 16 KiB per update,
 * 0.44-0.84 s (twice the system time) with 64 KiB, as fresh pages are mapped
 * and faulted in for the larger answers.
 */
const CHACHA20_UPDATE_BYTES = 16 * 1024

/** Zeros fed to a fresh cipher to reach a position inside a 64-byte block. */
const BLOCK_OF_ZEROS = new Uint8Array(CHACHA20_BLOCK_BYTES)

/** The ChaCha20 stream on the native module: in place, no buffer per call. */
class NativeChaCha20Stream implements ChaCha20Stream {
  constructor(
    private readonly native: NativeChaCha20,
    private readonly context: NativeChaCha20Context,
    public position: number,
  ) {}

  xorInto(input: Uint8Array, output: Uint8Array): Uint8Array {
    assertXorRange(this.position, input, output)
    // OpenSSL works in place, or between arrays apart; arrays that overlap otherwise get a copy first.
    this.native.xor(this.context, overlapsShifted(input, output) ? input.slice() : input, output)
    this.position += input.length
    return output
  }
}

/** Whether two arrays share bytes without being the same range. */
function overlapsShifted(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.buffer === b.buffer &&
    a.byteOffset !== b.byteOffset &&
    a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength
  )
}

/**
 * One OpenSSL ChaCha20 cipher kept across ranges, for when the native module
 * is absent. `cipher.update` cannot write into a caller's array: each answer
 * is a new buffer (Node 20 allocates it twice and zeroes the second), copied
 * into `output`, and collected later: about three times the native module's
 * CPU for the same bytes.
 */
class NodeChaCha20Stream implements ChaCha20Stream {
  constructor(
    private readonly cipher: NodeCrypto.Cipher,
    public position: number,
  ) {}

  xorInto(input: Uint8Array, output: Uint8Array): Uint8Array {
    assertXorRange(this.position, input, output)
    for (let done = 0; done < input.length; done += CHACHA20_UPDATE_BYTES) {
      const part = input.subarray(done, Math.min(input.length, done + CHACHA20_UPDATE_BYTES))
      output.set(this.cipher.update(part), done)
    }
    this.position += input.length
    return output
  }
}

/**
 * Builds the provider over the given `node:crypto` and `node:buffer`.
 *
 * @param modules - the two built-in modules
 * @param native - the native ChaCha20 module, for `chacha20` and `createChaCha20Stream` (same bytes,
 *   in place); without it they go through `node:crypto`
 * @returns the provider, named `'node:crypto'`
 * @internal
 */
export function createNodeCrypto(modules: NodeCryptoModules, native?: NativeChaCha20): CryptoProvider {
  const {
    createCipheriv,
    createDecipheriv,
    createHash,
    createHmac,
    createPrivateKey,
    createPublicKey,
    diffieHellman,
    generateKeyPairSync,
    sign,
    verify,
  } = modules.crypto
  const { Buffer } = modules.buffer
  const oneShot = modules.crypto.hash as
    | ((algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Buffer)
    | undefined

  /**
   * Private KeyObjects of the secrets this provider made or imported, so each
   * is imported once: OpenSSL's PKCS#8 import costs ten times a DH. The entry
   * keeps a copy of the bytes, so a caller that reuses its array for another
   * secret gets the other key.
   */
  const privateKeys = {
    X25519: new WeakMap<Uint8Array, CachedKey>(),
    Ed25519: new WeakMap<Uint8Array, CachedKey>(),
  }

  function privateKeyObject(curve: 'X25519' | 'Ed25519', secretKey: Uint8Array): KeyObject {
    const cached = privateKeys[curve].get(secretKey)
    if (cached !== undefined && sameSecret(cached.bytes, secretKey)) return cached.key
    const der = Buffer.concat([Buffer.from(PKCS8_PREFIX[curve], 'hex'), secretKey])
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    privateKeys[curve].set(secretKey, { bytes: Uint8Array.from(secretKey), key })
    return key
  }

  /** Imports a raw 32-byte public key; JWK is the fastest import path of OpenSSL 3. */
  function publicKeyObject(curve: 'X25519' | 'Ed25519', publicKey: Uint8Array): KeyObject {
    const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('base64url')
    return createPublicKey({ key: { kty: 'OKP', crv: curve, x }, format: 'jwk' })
  }

  function rawPublicKey(privateKey: KeyObject): Uint8Array {
    return fromBase64url(createPublicKey(privateKey).export({ format: 'jwk' }).x)
  }

  function fromBase64url(text: string | undefined): Uint8Array {
    return view(Buffer.from(text ?? '', 'base64url'))
  }

  const sha256Unwrapped =
    typeof oneShot === 'function'
      ? (data: Uint8Array): Uint8Array => oneShot('sha256', data, 'buffer')
      : (data: Uint8Array): Uint8Array => createHash('sha256').update(data).digest()

  const provider: CryptoProvider & { [UNWRAPPED_SHA256]: (data: Uint8Array) => Uint8Array } = {
    name: 'node:crypto',

    [UNWRAPPED_SHA256]: sha256Unwrapped,

    sha256(...parts: Uint8Array[]): Uint8Array {
      if (parts.length === 1) return view(sha256Unwrapped(parts[0] as Uint8Array))
      const hash = createHash('sha256')
      for (const part of parts) hash.update(part)
      return view(hash.digest())
    },

    createSha256: (): IncrementalHash => new NodeIncrementalHash(createHash('sha256')),

    createSha1: (): IncrementalHash => new NodeIncrementalHash(createHash('sha1')),

    hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
      const mac = createHmac('sha256', key)
      for (const part of parts) mac.update(part)
      return view(mac.digest())
    },

    encrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array, headroom: number): Uint8Array {
      assertKeyAndNonce(key, nonce)
      const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: AEAD_TAG_BYTES })
      if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length })
      const ciphertext = cipher.update(plaintext)
      cipher.final()
      const out = Buffer.allocUnsafe(headroom + plaintext.length + AEAD_TAG_BYTES)
      out.fill(0, 0, headroom)
      ciphertext.copy(out, headroom)
      cipher.getAuthTag().copy(out, headroom + plaintext.length)
      return view(out)
    },

    encryptParts(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): [Uint8Array, Uint8Array] {
      assertKeyAndNonce(key, nonce)
      const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: AEAD_TAG_BYTES })
      if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length })
      const ciphertext = cipher.update(plaintext)
      cipher.final()
      return [view(ciphertext), view(cipher.getAuthTag())]
    },

    decrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
      assertKeyAndNonce(key, nonce)
      if (ciphertext.length < AEAD_TAG_BYTES) return null
      const bodyLength = ciphertext.length - AEAD_TAG_BYTES
      const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: AEAD_TAG_BYTES })
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

    decryptStream(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertextLength: number) {
      assertKeyAndNonce(key, nonce)
      assertInteger(ciphertextLength, 'ciphertextLength')
      const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: AEAD_TAG_BYTES })
      if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: ciphertextLength })
      let fed = 0
      return {
        update(ciphertext: Uint8Array): Uint8Array {
          fed += ciphertext.length
          return view(decipher.update(ciphertext))
        },
        final(tag: Uint8Array): Uint8Array | null {
          if (fed !== ciphertextLength) return null
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

    chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array): Uint8Array {
      assertKeyAndNonce(key, nonce)
      assertBytes(input, 'input')
      assertChaCha20Range(counter, input.length)
      // OpenSSL's 16-byte IV is the 32-bit block counter (little-endian), then the 12-byte nonce.
      const iv = Buffer.allocUnsafe(16)
      iv.writeUInt32LE(counter, 0)
      iv.set(nonce, 4)
      if (native !== undefined) {
        const out = new Uint8Array(input.length)
        native.xor(native.open(key, iv), input, out)
        return out
      }
      const cipher = createCipheriv('chacha20', key, iv)
      const out = cipher.update(input)
      cipher.final()
      return view(out)
    },

    createChaCha20Stream(key: Uint8Array, nonce: Uint8Array, position: number): ChaCha20Stream {
      assertKeyAndNonce(key, nonce)
      assertChaCha20Position(position)
      const iv = Buffer.allocUnsafe(16)
      iv.writeUInt32LE(Math.floor(position / CHACHA20_BLOCK_BYTES) % 2 ** 32, 0)
      iv.set(nonce, 4)
      const skip = position % CHACHA20_BLOCK_BYTES
      if (native !== undefined) {
        const context = native.open(key, iv)
        if (skip > 0) native.xor(context, BLOCK_OF_ZEROS.subarray(0, skip), new Uint8Array(skip))
        return new NativeChaCha20Stream(native, context, position)
      }
      const cipher = createCipheriv('chacha20', key, iv)
      if (skip > 0) cipher.update(BLOCK_OF_ZEROS.subarray(0, skip))
      return new NodeChaCha20Stream(cipher, position)
    },

    x25519KeyPair(secretKey?: Uint8Array): KeyPair {
      if (secretKey === undefined) {
        const { privateKey } = generateKeyPairSync('x25519')
        const jwk = privateKey.export({ format: 'jwk' })
        const pair = { secretKey: fromBase64url(jwk.d), publicKey: fromBase64url(jwk.x) }
        privateKeys.X25519.set(pair.secretKey, { bytes: Uint8Array.from(pair.secretKey), key: privateKey })
        return pair
      }
      assertBytes(secretKey, 'secretKey', CURVE25519_KEY_BYTES)
      const secret = Uint8Array.from(secretKey)
      return { secretKey: secret, publicKey: rawPublicKey(privateKeyObject('X25519', secret)) }
    },

    x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
      assertBytes(secretKey, 'secretKey', CURVE25519_KEY_BYTES)
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== CURVE25519_KEY_BYTES) return null
      try {
        const shared = diffieHellman({
          privateKey: privateKeyObject('X25519', secretKey),
          publicKey: publicKeyObject('X25519', publicKey),
        })
        // RFC 7748 section 6.1: an all-zero output means a public key of small order.
        return shared.every((byte) => byte === 0) ? null : new Uint8Array(shared)
      } catch {
        return null
      }
    },

    ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
      assertBytes(secretKey, 'secretKey', CURVE25519_KEY_BYTES)
      return rawPublicKey(privateKeyObject('Ed25519', secretKey))
    },

    ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
      assertBytes(message, 'message')
      assertBytes(secretKey, 'secretKey', CURVE25519_KEY_BYTES)
      return view(sign(null, message, privateKeyObject('Ed25519', secretKey)))
    },

    ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
      // The policy refuses the keys and R of small order that OpenSSL alone would accept.
      if (refusedEd25519(signature, publicKey)) return false
      try {
        return verify(null, message, publicKeyObject('Ed25519', publicKey), signature)
      } catch {
        return false
      }
    },
  }
  return Object.freeze(provider)
}
