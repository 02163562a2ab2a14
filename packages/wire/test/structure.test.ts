import { Decoder, encode as msgpack } from '@msgpack/msgpack'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest'
import {
  decodeMessage,
  encodeMessage,
  encodeMessageParts,
  encodePexBody,
  MESSAGE_LIMITS as L,
  WireError,
} from '../src/index.js'
import { checkMessageStructure } from '../src/messages/structure.js'
import { message } from './arbitraries.js'
import { errorCode } from './helpers.js'

const MiB = 1024 * 1024
const text = (s: string) => [0xa0 | s.length, ...new TextEncoder().encode(s)]

/** `{ type: 'cancel', id: 1, x: <value> }` with `value` given as raw msgpack bytes, padded to `size` with `fill`. */
function cancelWith(head: number[], fill: number[], tail: number[], size: number): Uint8Array {
  const prefix = [0x83, ...text('type'), ...text('cancel'), ...text('id'), 0x01, ...text('x'), ...head]
  const out = new Uint8Array(size)
  out.set(prefix)
  let offset = prefix.length
  while (fill.length > 0 && offset + fill.length + tail.length <= size) {
    out.set(fill, offset)
    offset += fill.length
  }
  out.set(tail, offset)
  return out.subarray(0, offset + tail.length)
}

let decode: MockInstance
beforeEach(() => {
  decode = vi.spyOn(Decoder.prototype, 'decode')
})
afterEach(() => {
  decode.mockRestore()
})

describe('message structure checked before decoding', () => {
  it('the spy sees the decoder run for a valid message (so its silence below means something)', () => {
    expect(decodeMessage(encodeMessage({ type: 'cancel', id: 5 }))).toEqual({ type: 'cancel', id: 5 })
    expect(decode).toHaveBeenCalledTimes(1)
  })

  it('refuses 1 MiB of nested lists or maps with MESSAGE_TOO_DEEP, without running the msgpack decoder', () => {
    const hostile = {
      'fixarray of fixarrays': cancelWith([], [0x91], [0x00], MiB),
      'fixmaps of fixmaps': cancelWith([], [0x81, 0xa1, 0x6b], [0x00], MiB),
      'array16 of array16s': cancelWith([], [0xdc, 0x00, 0x01], [0x00], MiB),
      'map32 of map32s': cancelWith([], [0xdf, 0, 0, 0, 1, 0xa0], [0x00], MiB),
      'nesting cut off (never closed)': cancelWith([], [0x91], [], MiB),
      'lists of 2, the nesting in the last item': cancelWith([], [0x92, 0x00], [0x00], MiB),
    }
    for (const [name, bytes] of Object.entries(hostile)) {
      expect(bytes.length, name).toBeGreaterThan(MiB - 16)
      expect(
        errorCode(() => decodeMessage(bytes)),
        name,
      ).toBe('MESSAGE_TOO_DEEP')
    }
    expect(decode).not.toHaveBeenCalled()
  })

  it('allows maxDepth levels of nesting (an unknown field of a newer peer) and refuses one more', () => {
    expect(L.maxDepth).toBe(4)
    // The message map is level 1: three more levels are fine.
    expect(decodeMessage(msgpack({ type: 'cancel', id: 3, future: [[{ a: 1 }]] }))).toEqual({ type: 'cancel', id: 3 })
    expect(errorCode(() => decodeMessage(msgpack({ type: 'cancel', id: 3, future: [[{ a: [] }]] })))).toBe(
      'MESSAGE_TOO_DEEP',
    )
    expect(errorCode(() => decodeMessage(msgpack({ type: 'cancel', id: 3, future: [[[[1]]]] })))).toBe(
      'MESSAGE_TOO_DEEP',
    )
  })

  it('refuses more than maxValues values with MESSAGE_TOO_LARGE, without running the decoder', () => {
    const row = Array.from({ length: L.maxListItems }, (_, i) => i)
    const wide = msgpack({ type: 'cancel', id: 1, x: Array.from({ length: L.maxListItems }, () => row) })
    expect(errorCode(() => decodeMessage(wide))).toBe('MESSAGE_TOO_LARGE')
    // The widest shape the other bounds allow: 64 lists of 64 lists of 64 integers (262,144 values, 270 KB).
    const cube = Array.from({ length: L.maxListItems }, () => Array.from({ length: L.maxListItems }, () => row))
    const huge = msgpack({ type: 'cancel', id: 1, x: cube })
    expect(errorCode(() => decodeMessage(huge))).toBe('MESSAGE_TOO_LARGE')
    expect(decode).not.toHaveBeenCalled()
    // At the bound: 1,024 values in all decode.
    const values = (n: number) => msgpack({ type: 'cancel', id: 1, x: Array.from({ length: n }, () => [0, 0, 0]) })
    // 6 values for the map, its keys and scalars; 1 for x; 4 per row of 3.
    const rows = Math.floor((L.maxValues - 7) / 4)
    expect(decodeMessage(values(Math.min(rows, L.maxListItems)))).toEqual({ type: 'cancel', id: 1 })
  })

  it('refuses oversized lists and maps, extension types, truncated values, trailing bytes and non-maps as MESSAGE_MALFORMED', () => {
    const cases: Record<string, Uint8Array> = {
      'array16 claiming 65,535 items': cancelWith([0xdc, 0xff, 0xff], [], [], 64),
      'list of 65 items': msgpack({ type: 'cancel', id: 1, x: Array(L.maxListItems + 1).fill(0) }),
      'map of 33 entries': msgpack({
        type: 'cancel',
        ...Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, i])),
      }),
      'map32 claiming 2^32 - 1 entries': new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff]),
      'fixext 1': cancelWith([0xd4, 0x01, 0x00], [], [], 64),
      'ext 8': cancelWith([0xc7, 0x01, 0x01, 0x00], [], [], 64),
      'timestamp (ext -1)': msgpack({ type: 'cancel', id: 1, at: new Date(0) }),
      'str 8 cut short': cancelWith([0xd9, 0x10, 0x41], [], [], 64),
      'bin 32 length past the end': cancelWith([0xc6, 0x7f, 0xff, 0xff, 0xff], [], [], 64),
      'header cut short': cancelWith([0xcd, 0x01], [], [], 64),
      'map with a value missing': new Uint8Array([0x82, ...text('type'), ...text('cancel'), ...text('id')]),
      'bytes after the message': new Uint8Array([...msgpack({ type: 'cancel', id: 1 }), 0x00]),
      'the unused byte 0xc1': cancelWith([0xc1], [], [], 64),
      'a list at the top': msgpack([{ type: 'cancel', id: 1 }]),
      '1 MiB of nested lists at the top': new Uint8Array(MiB).fill(0x91),
      empty: new Uint8Array(0),
    }
    for (const [name, bytes] of Object.entries(cases)) {
      expect(
        errorCode(() => checkMessageStructure(bytes)),
        name,
      ).toBe('MESSAGE_MALFORMED')
      expect(
        errorCode(() => decodeMessage(bytes)),
        name,
      ).toBe('MESSAGE_MALFORMED')
    }
    expect(decode).not.toHaveBeenCalled()
  })

  it('passes every message encodeMessage and encodeMessageParts produce', () => {
    fc.assert(
      fc.property(message, (m) => {
        checkMessageStructure(encodeMessage(m))
        checkMessageStructure(new Uint8Array(Buffer.concat(encodeMessageParts(m))))
        expect(decodeMessage(encodeMessage(m))).toEqual(m)
      }),
      { numRuns: 2000 },
    )
    // The largest of each list field, every list at its bound.
    const address = 'x'.repeat(L.maxAddressLength)
    const listen = Array(L.maxAddresses).fill(address)
    const capabilities = Array(L.maxCapabilities).fill('c'.repeat(L.maxCapabilityLength))
    checkMessageStructure(encodeMessage({ type: 'hello', version: 1, agent: 'a', listen, capabilities }))
    const infohash = new Uint8Array(32)
    checkMessageStructure(encodePexBody({ infohash, added: listen, dropped: listen }))
  })

  it('agrees with a walk of the decoded value on depth, value count and sizes (random nested values)', () => {
    type Nested = null | boolean | number | string | Uint8Array | Nested[] | { [key: string]: Nested }
    const nested: fc.Arbitrary<Nested> = fc.letrec<{ value: Nested }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'medium', withCrossShrink: true },
        fc.constant(null),
        fc.boolean(),
        fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.maxSafeInteger()),
        fc.string({ maxLength: 10 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(tie('value'), { maxLength: 6 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 6 }),
      ),
    })).value
    /** What the scan must say, found in the order the bytes come: values first, then size, then depth. */
    function expected(root: Record<string, Nested>): string {
      let values = 0
      const visit = (value: Nested, depth: number): string | undefined => {
        if (++values > L.maxValues) return 'MESSAGE_TOO_LARGE'
        if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return undefined
        const isList = Array.isArray(value)
        const size = isList ? value.length : Object.keys(value).length
        if (size > (isList ? L.maxListItems : L.maxMapEntries)) return 'MESSAGE_MALFORMED'
        if (depth + 1 > L.maxDepth) return 'MESSAGE_TOO_DEEP'
        for (const item of isList ? value : Object.values(value)) {
          if (!isList && ++values > L.maxValues) return 'MESSAGE_TOO_LARGE' // the key comes first
          const found = visit(item, depth + 1)
          if (found !== undefined) return found
        }
        return undefined
      }
      return visit(root, 0) ?? 'accepted'
    }
    const verdicts = new Map<string, number>()
    // Lists of lists of up to 64 integers each: often past maxValues at a depth the bound allows.
    const rows = fc.array(fc.array(fc.integer(), { minLength: 10, maxLength: 64, size: 'max' }), {
      minLength: 5,
      maxLength: 40,
      size: 'max',
    })
    // Lists and maps around their length bounds, holding nested values.
    const long = fc.array(nested, { minLength: L.maxListItems - 3, maxLength: L.maxListItems + 3, size: 'max' })
    const wide = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), nested, {
      minKeys: L.maxMapEntries - 3,
      maxKeys: L.maxMapEntries + 3,
      size: 'max',
    })
    fc.assert(
      fc.property(fc.oneof(nested, rows, long, wide), (future) => {
        const root = { type: 'cancel', id: 1, future }
        const bytes = msgpack(root)
        const verdict = errorCode(() => checkMessageStructure(bytes))
        const want = expected(root)
        expect(verdict === 'nothing thrown' ? 'accepted' : verdict).toBe(want)
        verdicts.set(want, (verdicts.get(want) ?? 0) + 1)
        if (want === 'accepted') expect(decodeMessage(bytes)).toEqual({ type: 'cancel', id: 1 })
      }),
      { numRuns: 1000 },
    )
    // The arbitraries reach past each bound often enough to test it.
    for (const verdict of ['accepted', 'MESSAGE_TOO_DEEP', 'MESSAGE_TOO_LARGE', 'MESSAGE_MALFORMED']) {
      expect(verdicts.get(verdict) ?? 0, verdict).toBeGreaterThan(20)
    }
  })

  it('never throws anything but a WireError for bytes that start like a message', () => {
    const startsLikeAMap = fc
      .tuple(fc.integer({ min: 0x80, max: 0x8f }), fc.uint8Array({ maxLength: 400 }))
      .map(([head, rest]) => new Uint8Array([head, ...rest]))
    fc.assert(
      fc.property(startsLikeAMap, (bytes) => {
        try {
          decodeMessage(bytes)
        } catch (err) {
          expect(err).toBeInstanceOf(WireError)
        }
      }),
      { numRuns: 5000 },
    )
  })
})
