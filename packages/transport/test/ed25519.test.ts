import { createPublicKey, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Identity } from '../src/index.js'
import { hex, providers } from './providers.js'

/** The points of small order: canonical encodings, and x = 0 with the sign bit. */
const smallOrder = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
].map(hex)

function openSslAccepts(signature: Uint8Array, message: Uint8Array, key: Uint8Array): boolean {
  try {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key).toString('base64url') } as const
    return verify(null, message, createPublicKey({ key: jwk, format: 'jwk' }), signature)
  } catch {
    return false
  }
}

describe('Ed25519 verification agrees across providers', () => {
  it('both providers refuse every small-order key and R, some of which OpenSSL itself accepts', () => {
    let acceptedByOpenSsl = 0
    for (const key of smallOrder) {
      for (const r of smallOrder) {
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
