/**
 * Known answers from the specifications, replayed on both providers: FIPS
 * 180-4 examples (NIST CSRC) for SHA-256 and SHA-1, RFC 4231 for
 * HMAC-SHA256, RFC 8439 for ChaCha20-Poly1305, RFC 7748 for X25519 and
 * RFC 8032 for Ed25519. ChaCha20 also on `node:crypto` without the native
 * module (the provider takes it when it is built).
 */
import { describe, expect, it } from 'vitest'
import { chacha20Providers, concat, hex, providers, toHex, utf8 } from './crypto-providers.js'

const MILLION_A = new Uint8Array(1_000_000).fill(0x61)
const TWO_BLOCKS = utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')

describe.each(providers)('%s: known answers', (_, crypto) => {
  it('SHA-256 (FIPS 180-4 examples), one-shot, of parts and streamed', () => {
    const vectors: Array<[Uint8Array, string]> = [
      [new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      [utf8('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      [TWO_BLOCKS, '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
      [MILLION_A, 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
    ]
    for (const [message, digest] of vectors) {
      expect(toHex(crypto.sha256(message))).toBe(digest)
      const half = message.length >> 1
      expect(toHex(crypto.sha256(message.subarray(0, half), message.subarray(half)))).toBe(digest)
      const streamed = crypto.createSha256()
      for (let at = 0; at < message.length; at += 4099) streamed.update(message.subarray(at, at + 4099))
      expect(toHex(streamed.digest())).toBe(digest)
    }
    expect(crypto.sha256(utf8('abc'))).toBeInstanceOf(Uint8Array)
    expect(crypto.sha256(utf8('abc')).constructor).toBe(Uint8Array)
  })

  it('SHA-1 (FIPS 180-4 examples), streamed, and a copy ends independently', () => {
    const vectors: Array<[Uint8Array, string]> = [
      [new Uint8Array(0), 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
      [utf8('abc'), 'a9993e364706816aba3e25717850c26c9cd0d89d'],
      [TWO_BLOCKS, '84983e441c3bd26ebaae4aa1f95129e5e54670f1'],
      [MILLION_A, '34aa973cd4c4daa4f61eeb2bdbad27316534016f'],
    ]
    for (const [message, digest] of vectors) {
      const state = crypto.createSha1()
      state.update(message)
      expect(toHex(state.digest())).toBe(digest)
    }
    const prefix = crypto.createSha1()
    prefix.update(utf8('ab'))
    const fork = prefix.copy()
    prefix.update(utf8('c'))
    fork.update(new Uint8Array(0))
    expect(toHex(prefix.digest())).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    expect(toHex(fork.digest())).toBe('da23614e02469a0d7c7bd1bdab5c9c474b1904dc') // SHA-1("ab")
  })

  it('SHA-256 copy forks the state', () => {
    const state = crypto.createSha256()
    state.update(utf8('ab'))
    const fork = state.copy()
    state.update(utf8('c'))
    expect(toHex(state.digest())).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(toHex(fork.digest())).toBe('fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603') // SHA-256("ab")
  })

  it('HMAC-SHA256 (RFC 4231 test cases 1, 2, 3, 4, 6, 7)', () => {
    const bigKey = new Uint8Array(131).fill(0xaa)
    const cases: Array<[Uint8Array, Uint8Array, string]> = [
      [
        new Uint8Array(20).fill(0x0b),
        utf8('Hi There'),
        'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
      ],
      [
        utf8('Jefe'),
        utf8('what do ya want for nothing?'),
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      ],
      [
        new Uint8Array(20).fill(0xaa),
        new Uint8Array(50).fill(0xdd),
        '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
      ],
      [
        Uint8Array.from({ length: 25 }, (_, i) => i + 1),
        new Uint8Array(50).fill(0xcd),
        '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
      ],
      [
        bigKey,
        utf8('Test Using Larger Than Block-Size Key - Hash Key First'),
        '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
      ],
      [
        bigKey,
        utf8(
          'This is a test using a larger than block-size key and a larger than block-size data. ' +
            'The key needs to be hashed before being used by the HMAC algorithm.',
        ),
        '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
      ],
    ]
    for (const [key, data, mac] of cases) {
      expect(toHex(crypto.hmacSha256(key, data))).toBe(mac)
      expect(toHex(crypto.hmacSha256(key, data.subarray(0, 3), data.subarray(3)))).toBe(mac)
    }
  })

  describe('ChaCha20-Poly1305 (RFC 8439 section 2.8.2)', () => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f')
    const nonce = hex('070000004041424344454647')
    const ad = hex('50515253c0c1c2c3c4c5c6c7')
    const plaintext = utf8(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    )
    const ciphertext =
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
      '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
      '3ff4def08e4b7a9de576d26586cec64b6116'
    const tag = '1ae10b594f09e26a7e902ecbd0600691'

    it('encrypts, with and without headroom, and in parts', () => {
      expect(toHex(crypto.encrypt(key, nonce, ad, plaintext, 0))).toBe(ciphertext + tag)
      const framed = crypto.encrypt(key, nonce, ad, plaintext, 3)
      expect(toHex(framed)).toBe(`000000${ciphertext}${tag}`)
      const [body, mac] = crypto.encryptParts(key, nonce, ad, plaintext)
      expect([toHex(body), toHex(mac)]).toEqual([ciphertext, tag])
    })

    it('decrypts whole and streamed in pieces', () => {
      expect(crypto.decrypt(key, nonce, ad, hex(ciphertext + tag))).toEqual(plaintext)
      const sealed = hex(ciphertext)
      const stream = crypto.decryptStream(key, nonce, ad, sealed.length)
      const out = [stream.update(sealed.subarray(0, 50)), stream.update(sealed.subarray(50))]
      const last = stream.final(hex(tag))
      expect(last).not.toBeNull()
      expect(concat(...out, last as Uint8Array)).toEqual(plaintext)
    })

    it('refuses a changed tag, ciphertext or associated data', () => {
      const sealed = hex(ciphertext + tag)
      for (const at of [0, 57, sealed.length - 1]) {
        const corrupted = Uint8Array.from(sealed)
        corrupted[at] = (corrupted[at] as number) ^ 0x01
        expect(crypto.decrypt(key, nonce, ad, corrupted)).toBeNull()
      }
      expect(crypto.decrypt(key, nonce, ad.subarray(1), sealed)).toBeNull()
      const stream = crypto.decryptStream(key, nonce, ad, sealed.length - 16)
      stream.update(sealed.subarray(0, sealed.length - 16))
      const badTag = hex(tag)
      badTag[0] = (badTag[0] as number) ^ 0x80
      expect(stream.final(badTag)).toBeNull()
    })
  })

  it('X25519 (RFC 7748 sections 5.2 and 6.1)', () => {
    const scalarMult: Array<[string, string, string]> = [
      [
        'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
        'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
        'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
      ],
      [
        '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
        'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
        '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
      ],
    ]
    for (const [scalar, u, out] of scalarMult)
      expect(toHex(crypto.x25519(hex(scalar), hex(u)) ?? new Uint8Array(0))).toBe(out)

    const alice = crypto.x25519KeyPair(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'))
    const bob = crypto.x25519KeyPair(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'))
    expect(toHex(alice.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
    expect(toHex(bob.publicKey)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'
    expect(toHex(crypto.x25519(alice.secretKey, bob.publicKey) ?? new Uint8Array(0))).toBe(shared)
    expect(toHex(crypto.x25519(bob.secretKey, alice.publicKey) ?? new Uint8Array(0))).toBe(shared)
  })

  it('X25519 iterated 1,000 times (RFC 7748 section 5.2)', () => {
    let k = hex('0900000000000000000000000000000000000000000000000000000000000000')
    let u = k
    for (let i = 1; i <= 1000; i++) {
      const next = crypto.x25519(k, u) as Uint8Array
      u = k
      k = next
      if (i === 1) expect(toHex(k)).toBe('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079')
    }
    expect(toHex(k)).toBe('684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51')
  })

  it('Ed25519 (RFC 8032 section 7.1: TEST 1, 2, 3 and SHA(abc))', () => {
    const vectors: Array<[string, string, string, string]> = [
      [
        '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
        'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
        '',
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
      ],
      [
        '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
        '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
        '72',
        '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
      ],
      [
        'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
        'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
        'af82',
        '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
      ],
      [
        '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
        'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
        'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
      ],
    ]
    for (const [secret, publicKey, message, signature] of vectors) {
      expect(toHex(crypto.ed25519PublicKey(hex(secret)))).toBe(publicKey)
      expect(toHex(crypto.ed25519Sign(hex(message), hex(secret)))).toBe(signature)
      expect(crypto.ed25519Verify(hex(signature), hex(message), hex(publicKey))).toBe(true)
      expect(crypto.ed25519Verify(hex(signature), concat(hex(message), Uint8Array.of(0)), hex(publicKey))).toBe(false)
    }
  })
})

describe.each(chacha20Providers)('%s: ChaCha20 (RFC 8439 sections 2.4.2 and A.2)', (_, crypto) => {
  const sunscreen = utf8(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  )
  const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f')
  const nonce = hex('000000000000004a00000000')
  const ciphertext =
    '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b357' +
    '1639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736' +
    '5af90bbf74a35be6b40b8eedf2785e42874d'

  it('encrypts and decrypts the sunscreen text from block 1', () => {
    expect(toHex(crypto.chacha20(key, nonce, 1, sunscreen))).toBe(ciphertext)
    expect(crypto.chacha20(key, nonce, 1, hex(ciphertext))).toEqual(sunscreen)
  })

  it('starts anywhere in the stream: block 2 is the second 64 bytes from block 1', () => {
    expect(toHex(crypto.chacha20(key, nonce, 2, sunscreen.subarray(64)))).toBe(ciphertext.slice(128))
  })

  it('gives the key stream of test vector A.2 #1 (zero key and nonce, block 0)', () => {
    const stream = crypto.chacha20(new Uint8Array(32), new Uint8Array(12), 0, new Uint8Array(64))
    expect(toHex(stream)).toBe(
      '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7' +
        'da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586',
    )
  })

  it('a stream positioned anywhere gives the same bytes, in ranges of any size, in place or not', () => {
    const expected = hex(ciphertext)
    for (const start of [0, 1, 63, 64, 65, 100]) {
      for (const step of [1, 7, 64, 65, 1000]) {
        const stream = crypto.createChaCha20Stream(key, nonce, 64 + start)
        const input = Uint8Array.from(sunscreen.subarray(start))
        const out = new Uint8Array(input.length)
        for (let at = 0; at < input.length; at += step) {
          const end = Math.min(input.length, at + step)
          // Alternate in place and into another array.
          if ((at / step) % 2 === 0) stream.xorInto(input.subarray(at, end), out.subarray(at, end))
          else out.set(stream.xorInto(input.subarray(at, end), input.subarray(at, end)), at)
        }
        expect(stream.position).toBe(64 + sunscreen.length)
        expect(toHex(out)).toBe(toHex(expected.subarray(start)))
      }
    }
  })

  it('a stream refuses a range past block 2^32 - 2, a bad position or output, and moves on only when it XORs', () => {
    const last = 64 * (2 ** 32 - 1)
    const stream = crypto.createChaCha20Stream(key, nonce, last - 65)
    expect(() => stream.xorInto(new Uint8Array(66), new Uint8Array(66))).toThrow(RangeError)
    expect(stream.position).toBe(last - 65)
    expect(() => stream.xorInto(new Uint8Array(2), new Uint8Array(3))).toThrow(RangeError)
    const tail = stream.xorInto(new Uint8Array(65), new Uint8Array(65))
    expect(toHex(tail.subarray(1))).toBe(toHex(crypto.chacha20(key, nonce, 2 ** 32 - 2, new Uint8Array(64))))
    expect(stream.position).toBe(last)
    expect(stream.xorInto(new Uint8Array(0), new Uint8Array(0))).toHaveLength(0)
    expect(() => stream.xorInto(new Uint8Array(1), new Uint8Array(1))).toThrow(RangeError)
    expect(() => crypto.createChaCha20Stream(key, nonce, last + 1)).toThrow(RangeError)
    expect(() => crypto.createChaCha20Stream(key, nonce, -1)).toThrow(RangeError)
    expect(() => crypto.createChaCha20Stream(key, nonce, 0.5)).toThrow(RangeError)
    expect(() => crypto.createChaCha20Stream(key.subarray(1), nonce, 0)).toThrow()
  })

  it('refuses a counter that would wrap', () => {
    expect(() => crypto.chacha20(key, nonce, 2 ** 32 - 1, new Uint8Array(1))).toThrow(RangeError)
    expect(() => crypto.chacha20(key, nonce, 2 ** 32 - 2, new Uint8Array(65))).toThrow(RangeError)
    expect(crypto.chacha20(key, nonce, 2 ** 32 - 2, new Uint8Array(64))).toHaveLength(64)
    expect(crypto.chacha20(key, nonce, 2 ** 32 - 3, new Uint8Array(128))).toHaveLength(128)
    expect(() => crypto.chacha20(key, nonce, -1, new Uint8Array(1))).toThrow(RangeError)
    expect(() => crypto.chacha20(key, nonce, 0.5, new Uint8Array(1))).toThrow(RangeError)
  })
})
