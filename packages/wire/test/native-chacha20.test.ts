/**
 * The native ChaCha20 module (`native/chacha20.c`, built by `npm run
 * build:native`): it is found here, gives `node:crypto`'s bytes in place and
 * not over ranges of every size, refuses wrong arguments with typed errors
 * (never touching memory it was not given), and can be turned off.
 */
import { createCipheriv, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  findNativeChaCha20,
  findNodeCrypto,
  NATIVE_CHACHA20_ENV,
  type NativeChaCha20,
  nativeChaCha20Problem,
} from '../src/crypto.js'

function native(): NativeChaCha20 {
  const found = findNativeChaCha20()
  if (found === undefined) throw new Error(`no native ChaCha20: ${nativeChaCha20Problem()}`)
  return found
}

function iv(counter: number, nonce: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(16)
  new DataView(bytes.buffer).setUint32(0, counter, true)
  bytes.set(nonce, 4)
  return bytes
}

describe('the native ChaCha20 module', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.resetModules()
  })

  it('is built and found in this repository, beside the package', () => {
    expect(nativeChaCha20Problem()).toBeUndefined()
    expect(native().path).toMatch(/native[/\\]chacha20\.node$/)
  })

  it("gives node:crypto's bytes for any key, counter and cuts, in place and into another array", () => {
    const chacha = native()
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.integer({ min: 0, max: 2 ** 32 - 200 }),
        fc.uint8Array({ maxLength: 4000 }),
        fc.array(fc.nat({ max: 500 }), { maxLength: 6 }),
        fc.boolean(),
        (key, nonce, counter, input, cuts, inPlace) => {
          const expected = createCipheriv('chacha20', key, iv(counter, nonce)).update(input)
          const context = chacha.open(key, iv(counter, nonce))
          const work = Uint8Array.from(input)
          const out = inPlace ? work : new Uint8Array(input.length)
          let at = 0
          for (const cut of [...cuts, input.length]) {
            const end = Math.min(input.length, at + cut)
            chacha.xor(context, work.subarray(at, end), out.subarray(at, end))
            at = end
          }
          expect(Buffer.from(out).equals(expected)).toBe(true)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('works in place over several MiB, as the stores and workers call it', () => {
    const chacha = native()
    const key = randomBytes(32)
    const nonce = randomBytes(12)
    const input = randomBytes(5 * 1024 * 1024 + 17)
    const expected = createCipheriv('chacha20', key, iv(3, nonce)).update(input)
    const bytes = Uint8Array.from(input)
    chacha.xor(chacha.open(key, iv(3, nonce)), bytes, bytes)
    expect(Buffer.from(bytes).equals(expected)).toBe(true)
  })

  it("the provider's stream on it gives the right bytes into an output that overlaps its input shifted", () => {
    const key = randomBytes(32)
    const nonce = randomBytes(12)
    const input = randomBytes(5000)
    const expected = createCipheriv('chacha20', key, iv(0, nonce)).update(input)
    const provider = findNodeCrypto()
    for (const shift of [-100, -1, 1, 64, 4999]) {
      const buffer = new Uint8Array(input.length + 5000 * 2)
      const from = 5000
      buffer.set(input, from)
      const stream = provider?.createChaCha20Stream(key, nonce, 0)
      stream?.xorInto(
        buffer.subarray(from, from + input.length),
        buffer.subarray(from + shift, from + shift + input.length),
      )
      expect(
        Buffer.from(buffer.subarray(from + shift, from + shift + input.length)).equals(expected),
        `shift ${shift}`,
      ).toBe(true)
    }
  })

  it('refuses wrong arguments with a TypeError or RangeError, and changes nothing', () => {
    const chacha = native()
    const key = new Uint8Array(32)
    const context = chacha.open(key, new Uint8Array(16))
    const open = chacha.open as (...args: unknown[]) => unknown
    const xor = chacha.xor as (...args: unknown[]) => unknown
    expect(() => open(key.subarray(1), new Uint8Array(16))).toThrow(RangeError)
    expect(() => open(key, new Uint8Array(12))).toThrow(RangeError)
    expect(() => open('key', new Uint8Array(16))).toThrow(TypeError)
    expect(() => open(new Uint16Array(16), new Uint8Array(16))).toThrow(TypeError)
    expect(() => open(key)).toThrow(TypeError)
    const input = new Uint8Array(10).fill(1)
    const output = new Uint8Array(10)
    expect(() => xor(context, input, new Uint8Array(9))).toThrow(RangeError)
    expect(() => xor({}, input, output)).toThrow(TypeError)
    expect(() => xor(null, input, output)).toThrow(TypeError)
    expect(() => xor(context, [1, 2], output)).toThrow(TypeError)
    expect(() => xor(context, input, new Float64Array(10))).toThrow(TypeError)
    expect(() => xor(context, input)).toThrow(TypeError)
    expect(output.every((byte) => byte === 0)).toBe(true)
    // The context is where it was: the next range is the key stream's first.
    chacha.xor(context, input, output)
    expect(Buffer.from(output).equals(createCipheriv('chacha20', key, new Uint8Array(16)).update(input))).toBe(true)
  })

  it(`is not used with ${NATIVE_CHACHA20_ENV}=0, and the provider gives the same bytes without it`, async () => {
    vi.stubEnv(NATIVE_CHACHA20_ENV, '0')
    const fresh = await import('../src/crypto.js')
    expect(fresh.findNativeChaCha20()).toBeUndefined()
    expect(fresh.nativeChaCha20Problem()).toContain(`${NATIVE_CHACHA20_ENV}=0`)
    const key = randomBytes(32)
    const nonce = randomBytes(12)
    const input = randomBytes(1000)
    const without = fresh.findNodeCrypto()?.chacha20(key, nonce, 5, input) as Uint8Array
    expect(Buffer.from(without).equals(createCipheriv('chacha20', key, iv(5, nonce)).update(input))).toBe(true)
  })

  it(`says why when ${NATIVE_CHACHA20_ENV} names a file that is not there or not a module`, async () => {
    vi.stubEnv(NATIVE_CHACHA20_ENV, '/nonexistent/chacha20.node')
    const fresh = await import('../src/crypto.js')
    expect(fresh.findNativeChaCha20()).toBeUndefined()
    expect(fresh.nativeChaCha20Problem()).toContain('not built')
    vi.resetModules()
    vi.stubEnv(NATIVE_CHACHA20_ENV, new URL('../package.json', import.meta.url).pathname)
    const again = await import('../src/crypto.js')
    expect(again.findNativeChaCha20()).toBeUndefined()
    expect(again.nativeChaCha20Problem()).toMatch(/did not load|other bytes/)
    // The provider works on without it.
    expect(again.findNodeCrypto()?.chacha20(new Uint8Array(32), new Uint8Array(12), 0, new Uint8Array(3))).toHaveLength(
      3,
    )
  })
})
