/**
 * node:crypto and noble give identical bytes on random inputs (property
 * tests), and each opens what the other sealed.
 */
import { createHash, createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nobleCrypto } from '../src/crypto.js'
import { chacha20Providers, concat, nodeCrypto, nodeCryptoWithoutNative, toHex } from './crypto-providers.js'

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
const parts = fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 })

describe('node:crypto and noble give identical bytes', () => {
  it('SHA-256 of parts, streamed, forked; SHA-1 streamed and forked', () => {
    fc.assert(
      fc.property(parts, (chunks) => {
        const all = concat(...chunks)
        const expected = createHash('sha256').update(all).digest('hex')
        const expected1 = createHash('sha1').update(all).digest('hex')
        for (const crypto of [nodeCrypto, nobleCrypto]) {
          expect(toHex(crypto.sha256(all))).toBe(expected)
          expect(toHex(crypto.sha256(...chunks))).toBe(expected)
          const streamed = crypto.createSha256()
          const streamed1 = crypto.createSha1()
          for (const chunk of chunks) {
            streamed.update(chunk)
            streamed1.update(chunk)
          }
          const fork = streamed.copy()
          const fork1 = streamed1.copy()
          fork.update(Uint8Array.of(1))
          fork1.update(Uint8Array.of(1))
          expect(toHex(streamed.digest())).toBe(expected)
          expect(toHex(streamed1.digest())).toBe(expected1)
          expect(toHex(fork.digest())).toBe(createHash('sha256').update(all).update(Uint8Array.of(1)).digest('hex'))
          expect(toHex(fork1.digest())).toBe(createHash('sha1').update(all).update(Uint8Array.of(1)).digest('hex'))
        }
      }),
      { numRuns: 150 },
    )
  })

  it('HMAC-SHA256 of parts, keys of any length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), parts, (key, chunks) => {
        const expected = createHmac('sha256', key)
          .update(concat(...chunks))
          .digest('hex')
        expect(toHex(nodeCrypto.hmacSha256(key, ...chunks))).toBe(expected)
        expect(toHex(nobleCrypto.hmacSha256(key, ...chunks))).toBe(expected)
      }),
      { numRuns: 150 },
    )
  })

  it('ChaCha20-Poly1305: the same ciphertext and tag; each opens the other, whole or streamed in pieces', () => {
    fc.assert(
      fc.property(
        bytes(32),
        bytes(12),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 5000 }),
        fc.nat(16),
        fc.array(fc.nat(5000), { maxLength: 4 }),
        (key, nonce, ad, plaintext, headroom, cuts) => {
          const sealed = nodeCrypto.encrypt(key, nonce, ad, plaintext, headroom)
          expect(toHex(nobleCrypto.encrypt(key, nonce, ad, plaintext, headroom))).toBe(toHex(sealed))
          const [body, tag] = nobleCrypto.encryptParts(key, nonce, ad, plaintext)
          expect(toHex(concat(body, tag))).toBe(toHex(sealed.subarray(headroom)))
          expect(toHex(concat(...nodeCrypto.encryptParts(key, nonce, ad, plaintext)))).toBe(toHex(concat(body, tag)))
          const whole = sealed.subarray(headroom)
          const edges = [...new Set([0, ...cuts.map((cut) => cut % (plaintext.length + 1)), plaintext.length])]
          edges.sort((a, b) => a - b)
          for (const opener of [nodeCrypto, nobleCrypto]) {
            expect(opener.decrypt(key, nonce, ad, whole)).toEqual(plaintext)
            const stream = opener.decryptStream(key, nonce, ad, plaintext.length)
            const out: Uint8Array[] = []
            for (let i = 1; i < edges.length; i++) {
              out.push(stream.update(body.subarray(edges[i - 1] as number, edges[i] as number)))
            }
            const last = stream.final(tag)
            expect(last).not.toBeNull()
            expect(concat(...out, last as Uint8Array)).toEqual(plaintext)
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('ChaCha20: the same key stream from any block; a stream cut anywhere joins up', () => {
    fc.assert(
      fc.property(
        bytes(32),
        bytes(12),
        fc.integer({ min: 0, max: 2 ** 32 - 200 }),
        fc.uint8Array({ maxLength: 5000 }),
        fc.nat(),
        (key, nonce, counter, input, cut) => {
          const whole = nodeCrypto.chacha20(key, nonce, counter, input)
          expect(toHex(nobleCrypto.chacha20(key, nonce, counter, input))).toBe(toHex(whole))
          expect(toHex(nodeCryptoWithoutNative.chacha20(key, nonce, counter, input))).toBe(toHex(whole))
          expect(nobleCrypto.chacha20(key, nonce, counter, whole)).toEqual(input)
          const at = (cut % (Math.floor(input.length / 64) + 1)) * 64
          const tail = nobleCrypto.chacha20(key, nonce, counter + at / 64, input.subarray(at))
          expect(toHex(tail)).toBe(toHex(whole.subarray(at)))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('ChaCha20 streams: every provider (native, node:crypto, noble) gives chacha20 bytes from any position, cut into any ranges', () => {
    fc.assert(
      fc.property(
        bytes(32),
        bytes(12),
        fc.integer({ min: 0, max: 64 * (2 ** 32 - 200) }),
        fc.uint8Array({ maxLength: 5000 }),
        fc.array(fc.nat({ max: 300 }), { maxLength: 8 }),
        (key, nonce, position, input, cuts) => {
          const skip = position % 64
          const padded = new Uint8Array(skip + input.length)
          padded.set(input, skip)
          const expected = nodeCrypto.chacha20(key, nonce, Math.floor(position / 64), padded).subarray(skip)
          for (const [, crypto] of chacha20Providers) {
            const stream = crypto.createChaCha20Stream(key, nonce, position)
            const out = new Uint8Array(input.length)
            let at = 0
            for (const cut of [...cuts, input.length]) {
              const end = Math.min(input.length, at + cut)
              stream.xorInto(input.subarray(at, end), out.subarray(at, end))
              at = end
            }
            expect(stream.position).toBe(position + input.length)
            expect(toHex(out)).toBe(toHex(expected))
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('X25519: the same public keys and shared secrets, both ways', () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), (a, b) => {
        const alice = nodeCrypto.x25519KeyPair(a)
        const bob = nobleCrypto.x25519KeyPair(b)
        expect(nobleCrypto.x25519KeyPair(a).publicKey).toEqual(alice.publicKey)
        expect(nodeCrypto.x25519KeyPair(b).publicKey).toEqual(bob.publicKey)
        const shared = nodeCrypto.x25519(alice.secretKey, bob.publicKey)
        expect(shared).not.toBeNull()
        expect(nobleCrypto.x25519(alice.secretKey, bob.publicKey)).toEqual(shared)
        expect(nodeCrypto.x25519(bob.secretKey, alice.publicKey)).toEqual(shared)
        expect(nobleCrypto.x25519(bob.secretKey, alice.publicKey)).toEqual(shared)
      }),
      { numRuns: 100 },
    )
  })

  it('fresh X25519 key pairs of one provider work with the other', () => {
    for (const [maker, other] of [
      [nodeCrypto, nobleCrypto],
      [nobleCrypto, nodeCrypto],
    ] as const) {
      const pair = maker.x25519KeyPair()
      expect(other.x25519KeyPair(pair.secretKey).publicKey).toEqual(pair.publicKey)
    }
  })

  it('every result is a plain Uint8Array the caller owns', () => {
    const key = new Uint8Array(32).fill(3)
    const nonce = new Uint8Array(12)
    for (const crypto of [nodeCrypto, nobleCrypto]) {
      const sha1 = crypto.createSha1()
      const results = [
        crypto.sha256(Uint8Array.of(1)),
        crypto.sha256(Uint8Array.of(1), Uint8Array.of(2)),
        crypto.createSha256().digest(),
        sha1.digest(),
        crypto.hmacSha256(key, Uint8Array.of(1)),
        crypto.encrypt(key, nonce, Uint8Array.of(1), Uint8Array.of(1), 2),
        ...crypto.encryptParts(key, nonce, Uint8Array.of(1), Uint8Array.of(1)),
        crypto.decrypt(key, nonce, new Uint8Array(0), crypto.encrypt(key, nonce, new Uint8Array(0), key, 0)),
        crypto.x25519KeyPair().publicKey,
        crypto.ed25519PublicKey(key),
        crypto.ed25519Sign(Uint8Array.of(1), key),
      ]
      for (const result of results) expect(result?.constructor).toBe(Uint8Array)
    }
  })

  it('a secret array reused for another secret gives the other key (no stale cache)', () => {
    const secret = new Uint8Array(32).fill(1)
    const first = nodeCrypto.ed25519PublicKey(secret)
    expect(nodeCrypto.ed25519PublicKey(secret)).toEqual(first)
    secret.fill(2)
    expect(nodeCrypto.ed25519PublicKey(secret)).toEqual(nobleCrypto.ed25519PublicKey(secret))
    expect(nodeCrypto.ed25519PublicKey(secret)).not.toEqual(first)
    const peer = nobleCrypto.x25519KeyPair().publicKey
    const dh = new Uint8Array(32).fill(5)
    expect(nodeCrypto.x25519(dh, peer)).toEqual(nobleCrypto.x25519(dh, peer))
    dh.fill(6)
    expect(nodeCrypto.x25519(dh, peer)).toEqual(nobleCrypto.x25519(dh, peer))
    // The same bytes used as an Ed25519 and an X25519 secret are two different keys.
    expect(nodeCrypto.ed25519PublicKey(dh)).toEqual(nobleCrypto.ed25519PublicKey(dh))
  })
})
