import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBencode, decodeBencodeEntries, encodeBencode } from '../src/index.js'
import { bencodeValue } from './arbitraries.js'
import { expectWireError } from './helpers.js'

const ascii = (text: string) => new TextEncoder().encode(text)
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** A dictionary with raw byte keys, as a Map, and with its keys sorted and unique. */
const binaryKeyedDict = fc
  .uniqueArray(fc.tuple(fc.uint8Array({ maxLength: 33 }), bencodeValue), {
    selector: ([key]) => Array.from(key).join(','),
    maxLength: 6,
  })
  .map((entries) => new Map(entries))

describe('bencode with raw keys', () => {
  it('reads a piece-layers style dictionary keyed by raw 32-byte roots', () => {
    const rootA = new Uint8Array(32).fill(0xff) // not UTF-8
    const rootB = new Uint8Array(32).fill(0x01)
    const layerA = new Uint8Array(64).fill(7)
    const encoded = encodeBencode(
      new Map([
        [rootA, layerA],
        [rootB, new Uint8Array(32)],
      ]),
    )
    const entries = decodeBencodeEntries(encoded)
    expect(entries.map((e) => e.key)).toEqual([rootB, rootA]) // sorted by raw bytes
    expect(decodeBencode(entries[1]?.value as Uint8Array)).toEqual(layerA)
    expect(entries[0]?.key.buffer).toBe(encoded.buffer) // views, not copies
  })

  it('returns the exact bytes of each value, so an info dict can be hashed as received', () => {
    const torrent = ascii('d8:announce3:url4:infod4:name1:xe5:otheri1ee')
    const entries = decodeBencodeEntries(torrent)
    expect(entries.map((e) => text(e.key))).toEqual(['announce', 'info', 'other'])
    expect(text(entries[1]?.value as Uint8Array)).toBe('d4:name1:xe')
  })

  it('accepts non-UTF-8 keys at any depth, leaving the UTF-8 check to decodeBencode', () => {
    const nested = new Uint8Array([...ascii('d1:ad1:'), 0xff, ...ascii('i1eee')])
    const [entry] = decodeBencodeEntries(nested)
    expectWireError(() => decodeBencode(entry?.value as Uint8Array), 'BENCODE_BAD_KEY')
    expect(decodeBencodeEntries(entry?.value as Uint8Array)[0]?.key).toEqual(new Uint8Array([0xff]))
  })

  it('is as strict as decodeBencode about everything else', () => {
    expectWireError(() => decodeBencodeEntries(ascii('i1e')), 'BENCODE_UNEXPECTED_BYTE')
    expectWireError(() => decodeBencodeEntries(ascii('le')), 'BENCODE_UNEXPECTED_BYTE')
    expectWireError(() => decodeBencodeEntries(ascii('')), 'BENCODE_TRUNCATED')
    expectWireError(() => decodeBencodeEntries(ascii('d1:bi1e1:ai2ee')), 'BENCODE_UNSORTED_KEYS')
    expectWireError(() => decodeBencodeEntries(ascii('d1:ai1e1:ai2ee')), 'BENCODE_DUPLICATE_KEY')
    expectWireError(() => decodeBencodeEntries(ascii('d1:ad1:bi1e1:ai2eee')), 'BENCODE_UNSORTED_KEYS')
    expectWireError(() => decodeBencodeEntries(ascii('d1:ai03ee')), 'BENCODE_BAD_INTEGER')
    expectWireError(() => decodeBencodeEntries(ascii('d1:ai1eei1e')), 'BENCODE_TRAILING_BYTES')
    expectWireError(() => decodeBencodeEntries(ascii('d1:alllleeeee'), { maxDepth: 3 }), 'BENCODE_TOO_DEEP')
    expectWireError(() => decodeBencodeEntries(ascii('d1:ali1ei2eee'), { maxItems: 3 }), 'BENCODE_TOO_LARGE')
    expectWireError(() => decodeBencodeEntries(ascii('d1:a3:abce'), { maxBytes: 5 }), 'BENCODE_TOO_LARGE')
  })

  it('encodes Map dictionaries with byte keys in raw byte order and refuses the same key twice', () => {
    expect(
      text(
        encodeBencode(
          new Map<Uint8Array | string, number>([
            ['b', 1],
            [ascii('a'), 2],
          ]),
        ),
      ),
    ).toBe('d1:ai2e1:bi1ee')
    expectWireError(
      () =>
        encodeBencode(
          new Map<Uint8Array | string, number>([
            ['a', 1],
            [ascii('a'), 2],
          ]),
        ),
      'BENCODE_UNENCODABLE',
    )
    expectWireError(() => encodeBencode(new Map([[1 as never, 1]])), 'BENCODE_UNENCODABLE')
  })

  it('round-trips any binary-keyed dictionary', () => {
    fc.assert(
      fc.property(binaryKeyedDict, (dict) => {
        const encoded = encodeBencode(dict)
        const entries = decodeBencodeEntries(encoded)
        expect(entries.length).toBe(dict.size)
        for (const { key, value } of entries) {
          const original = [...dict].find(([k]) => k.length === key.length && k.every((b, i) => b === key[i]))
          expect(original).toBeDefined()
          expect(value).toEqual(encodeBencode(original?.[1] as never))
        }
      }),
      { numRuns: 300 },
    )
  })
})
