/** How the UI writes sizes, rates, percentages, and reads a piece bitfield. */
import { describe, expect, it } from 'vitest'
import { formatBytes, formatPercent, formatRate } from '../src/format.js'
import { bitfieldBytes, hasPiece } from '../src/widgets/piece-map.js'

describe('formats', () => {
  it('writes sizes and rates in binary units', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(6 * 1024 * 1024 + 4321)).toBe('6.0 MiB')
    expect(formatRate(1024 * 1024)).toBe('1.0 MiB/s')
  })

  it('says 100% only when complete, ? when the total is not known', () => {
    expect(formatPercent(999, 1000)).toBe('99%')
    expect(formatPercent(1000, 1000)).toBe('100%')
    expect(formatPercent(0, 1000)).toBe('0%')
    expect(formatPercent(0, null)).toBe('?')
    expect(formatPercent(0, 0)).toBe('100%')
  })
})

describe('the piece bitfield', () => {
  it('reads piece 0 as the high bit of the first byte (BEP 3)', () => {
    const bytes = bitfieldBytes(btoa(String.fromCharCode(0b1000_0001, 0b0100_0000)))
    const set = Array.from({ length: 16 }, (_, piece) => piece).filter((piece) => hasPiece(bytes, piece))
    expect(set).toEqual([0, 7, 9])
    expect(hasPiece(bytes, 100)).toBe(false)
  })
})
