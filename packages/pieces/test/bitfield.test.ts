import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Bitfield } from '../src/index.js'
import { expectPiecesError } from './helpers.js'

describe('Bitfield', () => {
  it('uses the wire layout: bit 7 of byte 0 is piece 0', () => {
    const field = new Bitfield(10)
    field.set(0)
    field.set(9)
    expect([...field.toBytes()]).toEqual([0x80, 0x40])
    expect(field.count()).toBe(2)
    expect(field.get(0)).toBe(true)
    expect(field.get(1)).toBe(false)
    expect(field.set(0)).toBe(false)
    expect(field.set(0, false)).toBe(true)
    expect(field.count()).toBe(1)
    expect([...field.pieces()]).toEqual([9])
    expect(Bitfield.full(10).isComplete()).toBe(true)
    expect([...Bitfield.full(10).toBytes()]).toEqual([0xff, 0xc0])
    expect(new Bitfield(0).isComplete()).toBe(true)
  })

  it('round-trips through bytes and keeps its count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.array(fc.nat()), (size, indices) => {
        const field = new Bitfield(size)
        const set = new Set<number>()
        for (const i of indices) {
          if (size === 0) break
          field.set(i % size)
          set.add(i % size)
        }
        const full = new Bitfield(size)
        for (let i = 0; i < size; i++) full.set(i)
        expect(Bitfield.full(size).toBytes()).toEqual(full.toBytes())
        expect(Bitfield.full(size).count()).toBe(size)
        const again = Bitfield.fromBytes(field.toBytes(), size)
        expect(again.count()).toBe(set.size)
        expect([...again.pieces()]).toEqual([...set].sort((a, b) => a - b))
        expect(again.isComplete()).toBe(set.size === size)
        const copy = again.clone()
        if (size > 0) copy.set(0, !copy.get(0))
        expect(again.toBytes()).toEqual(field.toBytes())
      }),
    )
  })

  it('refuses wrong lengths and set spare bits', () => {
    expectPiecesError(() => Bitfield.fromBytes(new Uint8Array(1), 10), 'BITFIELD_MALFORMED')
    expectPiecesError(() => Bitfield.fromBytes(new Uint8Array(3), 10), 'BITFIELD_MALFORMED')
    expectPiecesError(() => Bitfield.fromBytes(new Uint8Array([0, 0x20]), 10), 'BITFIELD_MALFORMED')
    expectPiecesError(() => Bitfield.fromBytes(new Uint8Array([0, 0x01]), 10), 'BITFIELD_MALFORMED')
    expect(Bitfield.fromBytes(new Uint8Array([0, 0x40]), 10).get(9)).toBe(true)
    expect(() => new Bitfield(-1)).toThrow(RangeError)
    expect(() => new Bitfield(2 ** 20 + 1)).toThrow(RangeError)
    expect(() => new Bitfield(8).get(8)).toThrow(RangeError)
    expect(() => new Bitfield(8).set(-1)).toThrow(RangeError)
  })
})
