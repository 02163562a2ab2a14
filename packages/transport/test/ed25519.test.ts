import { createPublicKey, verify } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { SMALL_ORDER_POINTS } from '../src/crypto/small-order.js'
import { Identity } from '../src/index.js'
import { providers } from './providers.js'

function openSslAccepts(signature: Uint8Array, message: Uint8Array, key: Uint8Array): boolean {
  try {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key).toString('base64url') } as const
    return verify(null, message, createPublicKey({ key: jwk, format: 'jwk' }), signature)
  } catch {
    return false
  }
}

describe('Ed25519 verification agrees across providers', () => {
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
      points.add(point.toHex())
    }
    // The points of small order form a group of eight: all of them are here.
    expect(points.size).toBe(8)
  })

  it('both providers refuse every small-order key and R, some of which OpenSSL itself accepts', () => {
    let acceptedByOpenSsl = 0
    for (const key of SMALL_ORDER_POINTS) {
      for (const r of SMALL_ORDER_POINTS) {
        const signature = new Uint8Array(64)
        signature.set(r)
        for (let m = 0; m < 8; m++) {
          const message = Uint8Array.of(m)
          for (const [, provider] of providers) expect(provider.ed25519Verify(signature, message, key)).toBe(false)
          if (openSslAccepts(signature, message, key)) acceptedByOpenSsl++
        }
      }
    }
    expect(acceptedByOpenSsl).toBeGreaterThan(0)
  })

  it('both providers accept honest signatures and refuse a flipped bit', () => {
    for (let i = 0; i < 32; i++) {
      const identity = Identity.generate()
      const message = crypto.getRandomValues(new Uint8Array(40 + i))
      const signature = identity.sign(message)
      const flipped = Uint8Array.from(signature)
      flipped[i * 2] = (flipped[i * 2] as number) ^ 1
      for (const [, provider] of providers) {
        expect(provider.ed25519Verify(signature, message, identity.peerId)).toBe(true)
        expect(provider.ed25519Verify(flipped, message, identity.peerId)).toBe(false)
      }
    }
  })
})
