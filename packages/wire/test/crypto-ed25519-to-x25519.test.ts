/**
 * The Ed25519 to X25519 conversions give libsodium's answers
 * (test/default/ed25519_convert), and a key agreed with a converted peer id
 * is the one its owner computes from its seed, on both providers.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { x25519PublicFromEd25519, x25519SecretFromEd25519 } from '../src/crypto.js'
import { hex, nodeCrypto, providers, toHex } from './crypto-providers.js'

describe('Ed25519 identities as X25519 keys', () => {
  it('gives the libsodium vector', () => {
    const seed = hex('421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee')
    const publicKey = nodeCrypto.ed25519PublicKey(seed)
    expect(toHex(publicKey)).toBe('b5076a8474a832daee4dd5b4040983b6623b5f344aca57d4d6ee4baf3f259e6e')
    expect(toHex(x25519PublicFromEd25519(publicKey) as Uint8Array)).toBe(
      'f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50',
    )
    expect(toHex(x25519SecretFromEd25519(seed))).toBe(
      '8052030376d47112be7f73ed7a019293dd12ad910b654455798b4667d73de166',
    )
  })

  it.each(providers)('%s: the converted secret matches the converted public key; both sides agree', (_, crypto) => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (a, b) => {
          const secretA = x25519SecretFromEd25519(a)
          const publicA = x25519PublicFromEd25519(crypto.ed25519PublicKey(a)) as Uint8Array
          const publicB = x25519PublicFromEd25519(crypto.ed25519PublicKey(b)) as Uint8Array
          expect(crypto.x25519KeyPair(secretA).publicKey).toEqual(publicA)
          expect(crypto.x25519(secretA, publicB)).toEqual(crypto.x25519(x25519SecretFromEd25519(b), publicA))
        },
      ),
      { numRuns: 30 },
    )
  })

  it('refuses what is not a usable point, without throwing', () => {
    expect(x25519PublicFromEd25519(new Uint8Array(31))).toBeNull()
    expect(x25519PublicFromEd25519(new Uint8Array(32))).toBeNull() // small order (y = 0)
    expect(x25519PublicFromEd25519(hex('0100000000000000000000000000000000000000000000000000000000000000'))).toBeNull()
    expect(x25519PublicFromEd25519('x' as unknown as Uint8Array)).toBeNull()
    expect(() => x25519SecretFromEd25519(new Uint8Array(31))).toThrow(RangeError)
  })
})
