import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type BencodeDict, decodeBencode, encodeBencode, type WireErrorCode } from '../src/index.js'
import { bencodeValue } from './arbitraries.js'
import { errorCode, expectWireError } from './helpers.js'

const ascii = (text: string) => new TextEncoder().encode(text)
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

describe('bencode known answers (BEP 3)', () => {
  it('decodes the examples of the specification', () => {
    expect(text(decodeBencode(ascii('4:spam')) as Uint8Array)).toBe('spam')
    expect(decodeBencode(ascii('i3e'))).toBe(3)
    expect(decodeBencode(ascii('i-3e'))).toBe(-3)
    expect(decodeBencode(ascii('i0e'))).toBe(0)
    expect(decodeBencode(ascii('0:'))).toEqual(new Uint8Array(0))
    const list = decodeBencode(ascii('l4:spam4:eggse')) as Uint8Array[]
    expect(list.map(text)).toEqual(['spam', 'eggs'])
    const dict = decodeBencode(ascii('d3:cow3:moo4:spam4:eggse')) as BencodeDict
    expect(Object.keys(dict)).toEqual(['cow', 'spam'])
    expect(text(dict.cow as Uint8Array)).toBe('moo')
    expect(text(dict.spam as Uint8Array)).toBe('eggs')
    const nested = decodeBencode(ascii('d4:spaml1:a1:bee')) as BencodeDict
    expect((nested.spam as Uint8Array[]).map(text)).toEqual(['a', 'b'])
  })

  it('encodes the examples of the specification', () => {
    expect(text(encodeBencode('spam'))).toBe('4:spam')
    expect(text(encodeBencode(3))).toBe('i3e')
    expect(text(encodeBencode(-3))).toBe('i-3e')
    expect(text(encodeBencode(0))).toBe('i0e')
    expect(text(encodeBencode(['spam', 'eggs']))).toBe('l4:spam4:eggse')
    expect(text(encodeBencode({ spam: 'eggs', cow: 'moo' }))).toBe('d3:cow3:moo4:spam4:eggse')
    expect(text(encodeBencode({ spam: ['a', 'b'] }))).toBe('d4:spaml1:a1:bee')
  })

  it('rejects every non-canonical or broken form with a stable code', () => {
    const cases: [string, WireErrorCode][] = [
      ['i-0e', 'BENCODE_BAD_INTEGER'],
      ['i03e', 'BENCODE_BAD_INTEGER'],
      ['i-03e', 'BENCODE_BAD_INTEGER'],
      ['ie', 'BENCODE_BAD_INTEGER'],
      ['i-e', 'BENCODE_BAD_INTEGER'],
      ['i1.5e', 'BENCODE_UNEXPECTED_BYTE'],
      ['i+1e', 'BENCODE_UNEXPECTED_BYTE'],
      ['i9223372036854775808e', 'BENCODE_BAD_INTEGER'],
      ['i-9223372036854775809e', 'BENCODE_BAD_INTEGER'],
      ['i12345678901234567890e', 'BENCODE_BAD_INTEGER'],
      ['i3', 'BENCODE_TRUNCATED'],
      ['', 'BENCODE_TRUNCATED'],
      ['4:spa', 'BENCODE_TRUNCATED'],
      ['04:spam', 'BENCODE_BAD_STRING_LENGTH'],
      ['4spam', 'BENCODE_UNEXPECTED_BYTE'],
      ['l4:spam', 'BENCODE_TRUNCATED'],
      ['d3:cow3:moo', 'BENCODE_TRUNCATED'],
      ['d4:spam4:eggs3:cow3:mooe', 'BENCODE_UNSORTED_KEYS'],
      ['d3:cow3:moo3:cow3:mooe', 'BENCODE_DUPLICATE_KEY'],
      ['di1e3:mooe', 'BENCODE_UNEXPECTED_BYTE'],
      ['d3:cowe', 'BENCODE_UNEXPECTED_BYTE'],
      ['d3:cow', 'BENCODE_TRUNCATED'],
      ['i1ei2e', 'BENCODE_TRAILING_BYTES'],
      ['4:spamx', 'BENCODE_TRAILING_BYTES'],
      ['x', 'BENCODE_UNEXPECTED_BYTE'],
      ['e', 'BENCODE_UNEXPECTED_BYTE'],
    ]
    for (const [input, code] of cases) {
      expect({ input, code: errorCode(() => decodeBencode(ascii(input))) }).toEqual({ input, code })
    }
  })

  it('orders keys by raw bytes, shorter prefix first', () => {
    expect(text(encodeBencode({ ab: 1, a: 2, b: 3, B: 4 }))).toBe('d1:Bi4e1:ai2e2:abi1e1:bi3ee')
    expectWireError(() => decodeBencode(ascii('d2:abi1e1:ai2ee')), 'BENCODE_UNSORTED_KEYS')
  })

  it('orders non-ASCII keys by UTF-8 bytes, not UTF-16 units', () => {
    // U+FF5E (EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in UTF-8, the other way round in UTF-16.
    const encoded = encodeBencode({ '\u{1F600}': 1, '\uFF5E': 2 })
    const decoded = decodeBencode(encoded) as BencodeDict
    expect(Object.keys(decoded)).toEqual(['\uFF5E', '\u{1F600}'])
    expect(encodeBencode(decoded)).toEqual(encoded)
  })

  it('rejects dictionary keys that are not UTF-8', () => {
    const bytes = new Uint8Array([...ascii('d2:'), 0xc3, 0x28, ...ascii('i1ee')])
    expectWireError(() => decodeBencode(bytes), 'BENCODE_BAD_KEY')
  })

  it('keeps a byte order mark in a key, so the key re-encodes identically', () => {
    const bytes = new Uint8Array([...ascii('d4:'), 0xef, 0xbb, 0xbf, 0x61, ...ascii('i1ee')])
    expect(encodeBencode(decodeBencode(bytes))).toEqual(bytes)
  })

  it('decodes integers outside the safe range as bigint and back', () => {
    expect(decodeBencode(ascii('i9223372036854775807e'))).toBe(9223372036854775807n)
    expect(decodeBencode(ascii('i-9223372036854775808e'))).toBe(-9223372036854775808n)
    expect(decodeBencode(ascii('i9007199254740991e'))).toBe(Number.MAX_SAFE_INTEGER)
    expect(decodeBencode(ascii('i9007199254740992e'))).toBe(9007199254740992n)
    expect(text(encodeBencode(9223372036854775807n))).toBe('i9223372036854775807e')
  })

  it('enforces size, depth and count limits', () => {
    expectWireError(() => decodeBencode(ascii('4:spam'), { maxBytes: 5 }), 'BENCODE_TOO_LARGE')
    expectWireError(() => decodeBencode(ascii('4:spam'), { maxStringBytes: 3 }), 'BENCODE_TOO_LARGE')
    expectWireError(() => decodeBencode(ascii('99999999999:'), { maxStringBytes: 1000 }), 'BENCODE_TOO_LARGE')
    expectWireError(() => decodeBencode(ascii('llllee'.padStart(200, 'l') + 'e'.repeat(196))), 'BENCODE_TOO_DEEP')
    expect(decodeBencode(ascii('llee'), { maxDepth: 2 })).toEqual([[]])
    expectWireError(() => decodeBencode(ascii('lllee'), { maxDepth: 2 }), 'BENCODE_TOO_DEEP')
    expectWireError(() => decodeBencode(ascii('li1ei2ei3ee'), { maxItems: 3 }), 'BENCODE_TOO_LARGE')
    // a very deep input fails with a WireError, never a stack overflow
    expectWireError(() => decodeBencode(ascii('l'.repeat(100_000))), 'BENCODE_TOO_DEEP')
  })

  it('refuses values bencode cannot hold', () => {
    const bad: unknown[] = [
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 60,
      2n ** 63n,
      true,
      null,
      undefined,
      [undefined],
      '\uD800',
      Symbol('x'),
    ]
    for (const value of bad) expectWireError(() => encodeBencode(value as never), 'BENCODE_UNENCODABLE')
    const cycle: unknown[] = []
    cycle.push(cycle)
    expectWireError(() => encodeBencode(cycle as never), 'BENCODE_UNENCODABLE')
  })

  it('leaves out undefined dictionary values', () => {
    expect(text(encodeBencode({ a: 1, b: undefined }))).toBe('d1:ai1ee')
  })

  it('decodes a hostile __proto__ key as a plain key', () => {
    const dict = decodeBencode(ascii('d9:__proto__d5:admini1eee')) as BencodeDict
    expect(Object.getPrototypeOf(dict)).toBeNull()
    expect(Object.keys(dict)).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })

  it('returns byte strings as views into the input', () => {
    const input = ascii('4:spam')
    const value = decodeBencode(input) as Uint8Array
    expect(value.buffer).toBe(input.buffer)
  })

  it('rejects arguments of the wrong type with TypeError/RangeError', () => {
    expect(() => decodeBencode('i1e' as never)).toThrow(TypeError)
    expect(() => decodeBencode(ascii('i1e'), { maxDepth: -1 })).toThrow(RangeError)
    expect(() => decodeBencode(ascii('i1e'), { maxBytes: Number.NaN })).toThrow(RangeError)
  })
})

describe('bencode properties', () => {
  it('round-trips every value', () => {
    fc.assert(
      fc.property(bencodeValue, (value) => {
        expect(decodeBencode(encodeBencode(value))).toEqual(value)
      }),
      { numRuns: 500 },
    )
  })

  it('re-encodes decoded bytes identically (canonical form)', () => {
    fc.assert(
      fc.property(bencodeValue, (value) => {
        const bytes = encodeBencode(value)
        expect(encodeBencode(decodeBencode(bytes))).toEqual(bytes)
      }),
      { numRuns: 500 },
    )
  })
})
