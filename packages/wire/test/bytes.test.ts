import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareBytes, equalBytes, fromHex, toHex } from '../src/index.js'

// Node's Buffer is the independent reference for every helper here.
describe('byte helpers', () => {
  it('toHex agrees with Buffer, and fromHex reads it back in either case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const hex = toHex(bytes)
        expect(hex).toBe(Buffer.from(bytes).toString('hex'))
        expect(fromHex(hex)).toEqual(bytes)
        expect(fromHex(hex.toUpperCase())).toEqual(bytes)
      }),
    )
  })

  it('toHex handles inputs longer than one String.fromCharCode call takes', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff)
    expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'))
  })

  it('fromHex refuses odd lengths and non-hex characters', () => {
    expect(fromHex('abc')).toBeUndefined()
    expect(fromHex('zz')).toBeUndefined()
    expect(fromHex('0x12')).toBeUndefined()
    expect(fromHex(' 12')).toBeUndefined()
    expect(fromHex('')).toEqual(new Uint8Array(0))
  })

  it('equalBytes and compareBytes agree with Buffer.equals and Buffer.compare', () => {
    const short = fc.uint8Array({ maxLength: 6 })
    fc.assert(
      fc.property(short, short, (a, b) => {
        expect(equalBytes(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)))
        expect(Math.sign(compareBytes(a, b))).toBe(Buffer.compare(Buffer.from(a), Buffer.from(b)))
        expect(compareBytes(a, a)).toBe(0)
      }),
    )
  })
})
