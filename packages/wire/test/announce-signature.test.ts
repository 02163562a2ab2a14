import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ANNOUNCE_KEY_MAX_LENGTH,
  ANNOUNCE_SIGNATURE_DOMAIN,
  isSignedAnnounceKey,
  signAnnounceKey,
  verifyAnnounceKey,
} from '../src/index.js'
import { nodeCrypto, providers } from './crypto-providers.js'
import { expectWireError } from './helpers.js'

const secret = new Uint8Array(32).fill(5)
const infohash = new Uint8Array(20).fill(0xab)

describe('signed announce keys', () => {
  it('signs the domain, the minute and the infohash with the peer key, in the documented form', () => {
    const key = signAnnounceKey(secret, infohash, 29_000_000, nodeCrypto)
    expect(key).toMatch(/^s1\.[A-Za-z0-9_-]{43}\.[0-9a-z]+\.[A-Za-z0-9_-]{86}$/)
    expect(key.length).toBeLessThanOrEqual(ANNOUNCE_KEY_MAX_LENGTH)
    expect(key.split('.')[2]).toBe((29_000_000).toString(36))
    const signature = Buffer.from(key.split('.')[3] as string, 'base64url')
    const message = Buffer.concat([ANNOUNCE_SIGNATURE_DOMAIN, Buffer.from([0x01, 0xba, 0x81, 0x40]), infohash])
    expect(nodeCrypto.ed25519Verify(signature, message, nodeCrypto.ed25519PublicKey(secret))).toBe(true)
    expect(isSignedAnnounceKey(key)).toBe(true)
    expect(isSignedAnnounceKey('Zm9vYmFyYmF6cXV4')).toBe(false)
  })

  for (const [name, crypto] of providers) {
    it(`round-trips with ${name}, and is good for its infohash only (property)`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 20, maxLength: 20 }),
          fc.uint8Array({ minLength: 20, maxLength: 20 }),
          fc.nat({ max: 0xffffffff }),
          (seed, hash, other, minute) => {
            const key = signAnnounceKey(seed, hash, minute, crypto)
            expect(key.length).toBeLessThanOrEqual(ANNOUNCE_KEY_MAX_LENGTH)
            const read = verifyAnnounceKey(key, hash, crypto)
            expect(read.peerKey).toEqual(crypto.ed25519PublicKey(seed))
            expect(read.minute).toBe(minute)
            if (Buffer.compare(hash, other) !== 0) {
              expectWireError(() => verifyAnnounceKey(key, other, crypto), 'TRACKER_INVALID_FIELD')
            }
          },
        ),
        { numRuns: 40 },
      )
    })
  }

  it('refuses hostile keys with typed errors', () => {
    const key = signAnnounceKey(secret, infohash, 1000, nodeCrypto)
    const [, peer, minute, signature] = key.split('.') as [string, string, string, string]
    expectWireError(() => verifyAnnounceKey(`${key}x`.repeat(2), infohash, nodeCrypto), 'TRACKER_TOO_LARGE')
    expectWireError(
      () => verifyAnnounceKey(`s2.${peer}.${minute}.${signature}`, infohash, nodeCrypto),
      'TRACKER_MALFORMED',
    )
    expectWireError(() => verifyAnnounceKey(`s1.${peer}.${minute}`, infohash, nodeCrypto), 'TRACKER_MALFORMED')
    expectWireError(() => verifyAnnounceKey(`s1.${peer}.-1.${signature}`, infohash, nodeCrypto), 'TRACKER_MALFORMED')
    expectWireError(
      () => verifyAnnounceKey(`s1.${peer}.zzzzzzz.${signature}`, infohash, nodeCrypto),
      'TRACKER_INVALID_FIELD',
    )
    expectWireError(
      () => verifyAnnounceKey(`s1.${peer.slice(3)}.${minute}.${signature}`, infohash, nodeCrypto),
      'TRACKER_INVALID_FIELD',
    )
    expectWireError(
      () => verifyAnnounceKey(`s1.${peer}.${minute}.${signature.slice(4)}`, infohash, nodeCrypto),
      'TRACKER_INVALID_FIELD',
    )
    expectWireError(
      () => verifyAnnounceKey(`s1.${peer}.${minute}.${signature.replace(/^./, '!')}`, infohash, nodeCrypto),
      'TRACKER_MALFORMED',
    )
    expectWireError(
      () => verifyAnnounceKey(`s1.${peer}.${(1001).toString(36)}.${signature}`, infohash, nodeCrypto),
      'TRACKER_INVALID_FIELD',
    )
    // 41 characters: a length no base64 text has
    expectWireError(
      () => verifyAnnounceKey(`s1.${peer.slice(2)}.${minute}.${signature}`, infohash, nodeCrypto),
      'TRACKER_MALFORMED',
    )
    expect(() => verifyAnnounceKey(key, new Uint8Array(19), nodeCrypto)).toThrow(RangeError)
    expect(() => signAnnounceKey(secret, infohash, -1, nodeCrypto)).toThrow(RangeError)
    expect(() => signAnnounceKey(new Uint8Array(31), infohash, 1, nodeCrypto)).toThrow(RangeError)
  })
})
