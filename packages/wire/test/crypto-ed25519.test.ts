/**
 * The one Ed25519 policy (strict RFC 8032, no key or R of small order), on
 * both providers. Moved here from `@mycel/transport` and `@mycel/dht`, which
 * each kept a copy of the list and of these tests.
 */
import { createPublicKey, verify } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSmallOrderPoint, SMALL_ORDER_POINTS } from '../src/crypto.js'
import { hex, nodeCrypto, providers } from './crypto-providers.js'

const P = 2n ** 255n - 19n
const L = 2n ** 252n + 27742317777372353535851937790883648493n

function littleEndian(value: bigint, signBit = false): Uint8Array {
  const out = new Uint8Array(32)
  let rest = value
  for (let i = 0; i < 32; i++) {
    out[i] = Number(rest & 255n)
    rest >>= 8n
  }
  if (signBit) out[31] = (out[31] as number) | 0x80
  return out
}

function scalar(bytes: Uint8Array): bigint {
  let value = 0n
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] as number)
  return value
}

/** Every encoding of y from p to 2^255 - 1, with and without the sign bit: all non-canonical. */
const nonCanonical = Array.from({ length: 19 }, (_, i) => P + BigInt(i)).flatMap((y) => [
  littleEndian(y),
  littleEndian(y, true),
])

function signature(r: Uint8Array, s: Uint8Array): Uint8Array {
  const out = new Uint8Array(64)
  out.set(r, 0)
  out.set(s, 32)
  return out
}

/** Asserts every provider gives `expected`. */
function agree(sig: Uint8Array, message: Uint8Array, key: Uint8Array, expected: boolean): void {
  for (const [name, provider] of providers) {
    expect(provider.ed25519Verify(sig, message, key), name).toBe(expected)
  }
}

function openSslAccepts(sig: Uint8Array, message: Uint8Array, key: Uint8Array): boolean {
  try {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key).toString('base64url') } as const
    return verify(null, message, createPublicKey({ key: jwk, format: 'jwk' }), sig)
  } catch {
    return false
  }
}

describe('Ed25519: one policy, the same answers from node:crypto and noble', () => {
  it('accept the signature published in BEP 44 (test 1)', () => {
    const key = hex('77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548')
    const buffer = new TextEncoder().encode('3:seqi1e1:v12:Hello World!')
    const sig = hex(
      '305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01',
    )
    agree(sig, buffer, key, true)
  })

  it('sign the same bytes, derive the same keys, accept valid and refuse corrupted signatures (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(64 * 8 - 1),
        (seed, message, flip) => {
          const [[, first], [, second]] = providers as [[string, typeof nodeCrypto], [string, typeof nodeCrypto]]
          const key = first.ed25519PublicKey(seed)
          expect(second.ed25519PublicKey(seed)).toEqual(key)
          const sig = first.ed25519Sign(message, seed)
          expect(second.ed25519Sign(message, seed)).toEqual(sig)
          agree(sig, message, key, true)
          const corrupted = Uint8Array.from(sig)
          corrupted[flip >> 3] = (corrupted[flip >> 3] as number) ^ (1 << (flip & 7))
          agree(corrupted, message, key, false)
          agree(sig, Uint8Array.of(...message, 0), key, false)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('the list holds every point of small order and nothing else', () => {
    const points = new Set<string>()
    for (const encoded of SMALL_ORDER_POINTS) {
      let point: ReturnType<typeof ed25519.Point.fromBytes>
      try {
        point = ed25519.Point.fromBytes(encoded)
      } catch {
        // x = 0 with the sign bit set: not a valid encoding; without the bit it is a point of x = 0
        const unsigned = Uint8Array.from(encoded)
        unsigned[31] = (unsigned[31] as number) & 0x7f
        point = ed25519.Point.fromBytes(unsigned)
      }
      expect(point.isSmallOrder()).toBe(true)
      expect(isSmallOrderPoint(encoded)).toBe(true)
      points.add(point.toHex())
    }
    // The points of small order form a group of eight: all of them are here.
    expect(points.size).toBe(8)
    expect(isSmallOrderPoint(nodeCrypto.ed25519PublicKey(new Uint8Array(32)))).toBe(false)
  })

  it('refuse every key and R of small order, which OpenSSL alone would accept for some', () => {
    let acceptedByOpenSsl = 0
    for (const key of SMALL_ORDER_POINTS) {
      for (const r of SMALL_ORDER_POINTS) {
        for (let m = 0; m < 8; m++) {
          const sig = signature(r, new Uint8Array(32))
          const message = Uint8Array.of(m)
          agree(sig, message, key, false)
          if (openSslAccepts(sig, message, key)) acceptedByOpenSsl++
        }
      }
    }
    // The reason for the refusal in front of OpenSSL.
    expect(acceptedByOpenSsl).toBeGreaterThan(0)
  })

  it('refuse non-canonical keys and R, and S of the group order or more', () => {
    const seed = new Uint8Array(32).fill(7)
    const key = nodeCrypto.ed25519PublicKey(seed)
    const message = new TextEncoder().encode('3:seqi1e1:v12:Hello World!')
    const sig = nodeCrypto.ed25519Sign(message, seed)
    agree(sig, message, key, true)
    for (const encoded of nonCanonical) {
      agree(sig, message, encoded, false)
      agree(signature(encoded, sig.subarray(32)), message, key, false)
    }
    const s = scalar(sig.subarray(32))
    agree(signature(sig.subarray(0, 32), littleEndian(s + L)), message, key, false)
    agree(signature(sig.subarray(0, 32), littleEndian(L)), message, key, false)
  })

  it('refuse wrong lengths and values that are not bytes without throwing', () => {
    const seed = new Uint8Array(32).fill(1)
    const key = nodeCrypto.ed25519PublicKey(seed)
    const sig = nodeCrypto.ed25519Sign(Uint8Array.of(1), seed)
    agree(sig.subarray(0, 63), Uint8Array.of(1), key, false)
    agree(Uint8Array.of(...sig, 0), Uint8Array.of(1), key, false)
    agree(sig, Uint8Array.of(1), key.subarray(0, 31), false)
    agree(sig, Uint8Array.of(1), Uint8Array.of(...key, 0), false)
    for (const [, provider] of providers) {
      expect(provider.ed25519Verify([...sig] as never, Uint8Array.of(1), key)).toBe(false)
      expect(provider.ed25519Verify(sig, Uint8Array.of(1), 'key' as never)).toBe(false)
      expect(provider.ed25519Verify(sig, 'message' as never, key)).toBe(false)
    }
  })
})
