/**
 * Hostile and mistaken inputs, thrown at every primitive of both providers:
 * what comes from the network (public keys, ciphertexts, tags, signatures)
 * never throws and gives the same refusal from both; a programming mistake
 * (a key or nonce of the wrong length) throws `TypeError`/`RangeError` from
 * both, before any work.
 */
import { describe, expect, it } from 'vitest'
import { hex, providers } from './crypto-providers.js'

const P = 2n ** 255n - 19n

function littleEndian(value: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let rest = value
  for (let i = 0; i < 32; i++) {
    out[i] = Number(rest & 255n)
    rest >>= 8n
  }
  return out
}

/**
 * u-coordinates of the X25519 points of small order (RFC 7748 section 6.1
 * and the cr.yp.to list): 0, 1, the two points of order 8, p - 1, and their
 * non-canonical forms p, p + 1 and with the masked top bit set.
 */
const SMALL_ORDER_U = [
  0n,
  1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
  P - 1n,
  P,
  P + 1n,
].flatMap((u) => [littleEndian(u), littleEndian(u + 2n ** 255n)])

const KEY = new Uint8Array(32).fill(7)
const NONCE = new Uint8Array(12).fill(9)
const EMPTY = new Uint8Array(0)

/** Values that are not what a byte argument must be, with the error each gives. */
const wrongBytes: Array<[string, unknown, ErrorConstructor]> = [
  ['undefined', undefined, TypeError],
  ['null', null, TypeError],
  ['a string', 'x'.repeat(32), TypeError],
  ['an array', Array.from({ length: 32 }, () => 0), TypeError],
  ['an ArrayBuffer', new ArrayBuffer(32), TypeError],
  ['31 bytes', new Uint8Array(31), RangeError],
  ['33 bytes', new Uint8Array(33), RangeError],
  ['0 bytes', EMPTY, RangeError],
]

describe.each(providers)('%s: hostile inputs', (_, crypto) => {
  it('X25519 refuses every public key of small order with null, never a throw', () => {
    const secret = crypto.x25519KeyPair().secretKey
    for (const u of SMALL_ORDER_U) expect(crypto.x25519(secret, u)).toBeNull()
  })

  it('X25519 gives null for a public key that is not 32 bytes', () => {
    const secret = crypto.x25519KeyPair().secretKey
    for (const [, value] of wrongBytes) expect(crypto.x25519(secret, value as Uint8Array)).toBeNull()
  })

  it('ChaCha20-Poly1305 gives null for truncated, extended and forged ciphertexts', () => {
    const sealed = crypto.encrypt(KEY, NONCE, EMPTY, new Uint8Array(100), 0)
    for (const length of [0, 1, 15, 16, 115])
      expect(crypto.decrypt(KEY, NONCE, EMPTY, sealed.subarray(0, length))).toBeNull()
    expect(crypto.decrypt(KEY, NONCE, EMPTY, Uint8Array.of(...sealed, 0))).toBeNull()
    expect(crypto.decrypt(KEY, NONCE, EMPTY, new Uint8Array(116))).toBeNull()
    // An empty plaintext is a tag alone, and opens to empty bytes.
    expect(crypto.decrypt(KEY, NONCE, EMPTY, crypto.encrypt(KEY, NONCE, EMPTY, EMPTY, 0))).toEqual(EMPTY)
  })

  it('a streamed decryption gives null for too little or too much ciphertext, or a tag that is not 16 bytes', () => {
    const [body, tag] = crypto.encryptParts(KEY, NONCE, EMPTY, new Uint8Array(100))
    const short = crypto.decryptStream(KEY, NONCE, EMPTY, 100)
    short.update(body.subarray(0, 99))
    expect(short.final(tag)).toBeNull()
    const long = crypto.decryptStream(KEY, NONCE, EMPTY, 100)
    long.update(body)
    long.update(Uint8Array.of(0))
    expect(long.final(tag)).toBeNull()
    for (const badTag of [tag.subarray(0, 15), Uint8Array.of(...tag, 0), EMPTY]) {
      const stream = crypto.decryptStream(KEY, NONCE, EMPTY, 100)
      stream.update(body)
      expect(stream.final(badTag)).toBeNull()
    }
  })

  it('refuses a key or nonce of the wrong type or length, naming it', () => {
    for (const [what, value, error] of wrongBytes) {
      const key = value as Uint8Array
      expect(() => crypto.encrypt(key, NONCE, EMPTY, EMPTY, 0), what).toThrow(error)
      expect(() => crypto.encryptParts(key, NONCE, EMPTY, EMPTY), what).toThrow(error)
      expect(() => crypto.decrypt(key, NONCE, EMPTY, new Uint8Array(16)), what).toThrow(/^key must/)
      expect(() => crypto.decryptStream(key, NONCE, EMPTY, 0), what).toThrow(error)
      expect(() => crypto.encrypt(KEY, key, EMPTY, EMPTY, 0), what).toThrow(/^nonce must/)
      expect(() => crypto.decrypt(KEY, key, EMPTY, new Uint8Array(16)), what).toThrow(error)
    }
    expect(() => crypto.decryptStream(KEY, NONCE, EMPTY, -1)).toThrow(RangeError)
    expect(() => crypto.decryptStream(KEY, NONCE, EMPTY, 1.5)).toThrow(RangeError)
  })

  it('refuses a secret key of the wrong type or length, naming it', () => {
    for (const [what, value, error] of wrongBytes) {
      const secret = value as Uint8Array
      // x25519KeyPair(undefined) is a fresh pair
      if (value !== undefined) expect(() => crypto.x25519KeyPair(secret), what).toThrow(error)
      expect(() => crypto.x25519(secret, KEY), what).toThrow(/^secretKey must/)
      expect(() => crypto.ed25519PublicKey(secret), what).toThrow(error)
      expect(() => crypto.ed25519Sign(EMPTY, secret), what).toThrow(error)
    }
    expect(() => crypto.ed25519Sign('text' as never, KEY)).toThrow(TypeError)
  })

  it('the small-order list and the X25519 refusal hold for points taken from the RFC test vectors', () => {
    // A real public key works; the same bytes with every bit cleared but the first are of small order.
    const bob = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
    expect(crypto.x25519(KEY, bob)).not.toBeNull()
    expect(crypto.x25519(KEY, littleEndian(1n))).toBeNull()
  })
})
