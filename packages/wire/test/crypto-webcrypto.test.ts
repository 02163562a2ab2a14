import { describe, expect, it } from 'vitest'
import {
  createWebCryptoHashProvider,
  getDefaultHashProvider,
  isBatchHashProvider,
  nobleHashProvider,
} from '../src/hash.js'
import { nodeCrypto, toHex } from './crypto-providers.js'

describe('the WebCrypto hash provider', () => {
  const webCrypto = createWebCryptoHashProvider()

  it('is made where there is crypto.subtle (Node has it), and not without one', () => {
    expect(webCrypto).toBeDefined()
    expect(isBatchHashProvider(webCrypto as NonNullable<typeof webCrypto>)).toBe(true)
    expect(createWebCryptoHashProvider({} as never)).toBeUndefined()
    // In Node, node:crypto stays the default: it is synchronous and as fast.
    expect(isBatchHashProvider(getDefaultHashProvider())).toBe(false)
    expect(isBatchHashProvider(nobleHashProvider)).toBe(false)
  })

  it("sha256Each gives node:crypto's digests, in order, for inputs of every length around the block sizes", async () => {
    const lengths = [0, 1, 55, 56, 63, 64, 65, 1000, 16383, 16384, 16385, 1024 * 1024 + 3]
    const inputs = lengths.map((length, i) => {
      const bytes = new Uint8Array(length)
      for (let at = 0; at < length; at++) bytes[at] = (at * 31 + i) & 0xff
      return bytes
    })
    // A view into a larger buffer hashes only its own bytes.
    const backing = new Uint8Array(100).fill(7)
    inputs.push(backing.subarray(10, 42))
    const digests = await (webCrypto as NonNullable<typeof webCrypto>).sha256Each(inputs)
    expect(digests.map(toHex)).toEqual(inputs.map((input) => toHex(nodeCrypto.sha256(input))))
  })

  it('its synchronous functions are those of @noble/hashes (the HashProvider contract, unchanged)', () => {
    const provider = webCrypto as NonNullable<typeof webCrypto>
    expect(provider.sha256).toBe(nobleHashProvider.sha256)
    expect(provider.createSha256).toBe(nobleHashProvider.createSha256)
    expect(provider.createSha1).toBe(nobleHashProvider.createSha1)
  })
})
