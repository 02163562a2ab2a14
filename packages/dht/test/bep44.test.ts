import { encodeBencode } from '@mycel/wire'
import { sha1 } from '@noble/hashes/legacy.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createItemKeyPair,
  idToHex,
  immutableItemTarget,
  mutableItemTarget,
  mutableSignatureData,
  signMutableItem,
  verifyMutableItem,
} from '../src/index.js'
import { ascii, hex, text } from './helpers.js'

// The test vectors printed in BEP 44. Its private key is given in the expanded
// (ref10) form, which Ed25519 libraries that take a 32-byte seed cannot use, so
// these tests check the signed buffers, the targets, and the published signatures.
const publicKey = hex('77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548')
const value = 'Hello World!'
const vectors = [
  {
    name: 'test 1 (mutable)',
    salt: undefined,
    buffer: '3:seqi1e1:v12:Hello World!',
    target: '4a533d47ec9c7d95b1ad75f576cffc641853b750',
    signature:
      '305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01',
  },
  {
    name: 'test 2 (mutable with salt)',
    salt: ascii('foobar'),
    buffer: '4:salt6:foobar3:seqi1e1:v12:Hello World!',
    target: '411eba73b6f087ca51a3795d9c8c938d365e32c1',
    signature:
      '6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17ddf9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08',
  },
]

describe('BEP 44 test vectors', () => {
  for (const vector of vectors) {
    it(`${vector.name}: signed buffer, target, published signature`, () => {
      const input = { value, seq: 1, salt: vector.salt }
      expect(text(mutableSignatureData(input))).toBe(vector.buffer)
      expect(idToHex(mutableItemTarget(publicKey, vector.salt))).toBe(vector.target)
      expect(verifyMutableItem(publicKey, hex(vector.signature), input)).toBe(true)
    })
  }

  it('test 3 (immutable): the target is SHA-1 of the bencoded value', () => {
    expect(text(encodeBencode(value))).toBe('12:Hello World!')
    expect(idToHex(immutableItemTarget(value))).toBe('e5f96f6f38320f0f33959cb4d3d656452117aadb')
    expect(immutableItemTarget(encodeBencode(value), true)).toEqual(sha1(ascii('12:Hello World!')))
  })

  it('a published signature does not verify anything else', () => {
    const signature = hex(vectors[0]?.signature as string)
    expect(verifyMutableItem(publicKey, signature, { value, seq: 2 })).toBe(false)
    expect(verifyMutableItem(publicKey, signature, { value: 'Hello World?', seq: 1 })).toBe(false)
    expect(verifyMutableItem(publicKey, signature, { value, seq: 1, salt: ascii('foobar') })).toBe(false)
    const flipped = signature.slice()
    flipped[10] = (flipped[10] as number) ^ 1
    expect(verifyMutableItem(publicKey, flipped, { value, seq: 1 })).toBe(false)
    expect(verifyMutableItem(publicKey.subarray(1), signature, { value, seq: 1 })).toBe(false)
    expect(verifyMutableItem(publicKey, signature.subarray(1), { value, seq: 1 })).toBe(false)
    expect(verifyMutableItem(new Uint8Array(32).fill(0xff), signature, { value, seq: 1 })).toBe(false)
    // The all-zero key and signature pass the lenient ZIP 215 rules for every message; not here.
    expect(verifyMutableItem(new Uint8Array(32), new Uint8Array(64), { value, seq: 1 })).toBe(false)
  })

  it('an empty salt is the same as none', () => {
    expect(mutableSignatureData({ value, seq: 1, salt: new Uint8Array(0) })).toEqual(
      mutableSignatureData({ value, seq: 1 }),
    )
    expect(mutableItemTarget(publicKey, new Uint8Array(0))).toEqual(mutableItemTarget(publicKey))
  })

  it('signs the exact buffer for large and bigint sequence numbers and any value type', () => {
    expect(text(mutableSignatureData({ value: { a: [1, 'b'] }, seq: 2n ** 62n }))).toBe(
      `3:seqi${2n ** 62n}e1:vd1:ali1e1:bee`,
    )
    expect(text(mutableSignatureData({ value: encodeBencode(-5), encoded: true, seq: 0 }))).toBe('3:seqi0e1:vi-5e')
    expect(() => mutableSignatureData({ value, seq: -1 })).toThrow(RangeError)
    expect(() => mutableSignatureData({ value, seq: 2n ** 63n })).toThrow(RangeError)
    expect(() => mutableSignatureData({ value, seq: 1, salt: new Uint8Array(65) })).toThrow(RangeError)
  })

  it('signs with a 32-byte secret key so that the signature verifies (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.nat(),
        fc.uint8Array({ maxLength: 64 }),
        (seed, data, seq, salt) => {
          const { secretKey, publicKey: key } = createItemKeyPair(seed)
          const signature = signMutableItem(secretKey, { value: data, seq, salt })
          expect(verifyMutableItem(key, signature, { value: data, seq, salt })).toBe(true)
          expect(verifyMutableItem(key, signature, { value: data, seq: seq + 1, salt })).toBe(false)
        },
      ),
      { numRuns: 20 },
    )
  })
})
