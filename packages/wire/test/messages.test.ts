import { encode as msgpack } from '@msgpack/msgpack'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeMessage, encodeMessage, encodeMessageParts, MESSAGE_LIMITS as L, type Message } from '../src/index.js'
import { message } from './arbitraries.js'
import { errorCode, expectWireError } from './helpers.js'

const infohash = new Uint8Array(32).fill(7)

describe('messages', () => {
  it('round-trips every message type', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m)
      }),
      { numRuns: 1000 },
    )
  })

  it('encodes every message as parts that join into a message decoding to the same value', () => {
    fc.assert(
      fc.property(message, (m) => {
        const parts = encodeMessageParts(m)
        const joined = Buffer.concat(parts)
        expect(decodeMessage(new Uint8Array(joined))).toEqual(m)
        if (m.type === 'data') expect(parts[1]).toBe(m.bytes) // the payload itself, not a copy
      }),
      { numRuns: 1000 },
    )
  })

  it('encodes data payloads of every bin size as parts', () => {
    for (const size of [0, 255, 256, 65535, 65536, L.maxRequestBytes]) {
      const m: Message = { type: 'data', id: 1, bytes: new Uint8Array(size).fill(3), proof: new Uint8Array(64) }
      expect(decodeMessage(new Uint8Array(Buffer.concat(encodeMessageParts(m))))).toEqual(m)
    }
    expectWireError(
      () => encodeMessageParts({ type: 'data', id: -1, bytes: new Uint8Array(1) }),
      'MESSAGE_INVALID_FIELD',
    )
  })

  it('decodes a 16 KiB data message without copying the payload', () => {
    const payload = new Uint8Array(16 * 1024).map((_, i) => i & 0xff)
    const encoded = encodeMessage({ type: 'data', id: 9, bytes: payload })
    const decoded = decodeMessage(encoded)
    if (decoded.type !== 'data') throw new Error('wrong type')
    expect(decoded.bytes).toEqual(payload)
    expect(decoded.bytes.buffer).toBe(encoded.buffer) // a view into the frame, zero copies
  })

  it('sends only the fields defined for the type', () => {
    const extra = { type: 'cancel', id: 3, secret: 'do not send' } as unknown as Message
    expect(decodeMessage(encodeMessage(extra))).toEqual({ type: 'cancel', id: 3 })
  })

  it('ignores unknown fields from newer peers', () => {
    expect(decodeMessage(msgpack({ type: 'cancel', id: 3, future: [1, 2] }))).toEqual({ type: 'cancel', id: 3 })
  })

  it('rejects malformed, unknown and out-of-bounds messages with a stable code', () => {
    const cases: [unknown, string][] = [
      [[1, 2], 'MESSAGE_MALFORMED'],
      ['hello', 'MESSAGE_MALFORMED'],
      [null, 'MESSAGE_MALFORMED'],
      [{ id: 1 }, 'MESSAGE_MALFORMED'],
      [{ type: 7 }, 'MESSAGE_MALFORMED'],
      [{ type: 'bogus' }, 'MESSAGE_UNKNOWN_TYPE'],
      [{ type: 'cancel' }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'cancel', id: -1 }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'cancel', id: 1.5 }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'cancel', id: 2 ** 32 }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'cancel', id: '1' }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'have', infohash: new Uint8Array(31), piece: 0 }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'have', infohash, piece: L.maxPieces }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'request', id: 1, infohash, piece: 0, offset: 0, length: 0, proof: false }, 'MESSAGE_INVALID_FIELD'],
      [
        { type: 'request', id: 1, infohash, piece: 0, offset: 0, length: L.maxRequestBytes + 1, proof: false },
        'MESSAGE_INVALID_FIELD',
      ],
      [
        { type: 'request', id: 1, infohash, piece: 0, offset: L.maxPieceOffset - 10, length: 11, proof: false },
        'MESSAGE_INVALID_FIELD',
      ],
      [{ type: 'request', id: 1, infohash, piece: 0, offset: 0, length: 1, proof: 1 }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'data', id: 1, bytes: new Uint8Array(L.maxRequestBytes + 1) }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'data', id: 1, bytes: new Uint8Array(1), proof: new Uint8Array(33) }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'data', id: 1, bytes: 'text' }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'meta', id: 1, total: 10, offset: 8, bytes: new Uint8Array(3) }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'meta', id: 1, total: 10, offset: 11, bytes: new Uint8Array(0) }, 'MESSAGE_INVALID_FIELD'],
      [
        { type: 'meta', id: 1, total: L.maxMetadataBytes + 1, offset: 0, bytes: new Uint8Array(0) },
        'MESSAGE_INVALID_FIELD',
      ],
      [{ type: 'bitfield', infohash, bits: new Uint8Array(L.maxPieces / 8 + 1) }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'hello', version: 1, agent: 'x'.repeat(65), listen: [], capabilities: [] }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'hello', version: 1, agent: 'x', listen: [1], capabilities: [] }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'hello', version: 1, agent: 'x', listen: 'tcp://x', capabilities: [] }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'hello', version: 70000, agent: 'x', listen: [], capabilities: [] }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'reject', id: 1, code: '' }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'reject', id: 1, code: 'X', reason: 5 }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'ext', protocol: '', body: new Uint8Array(1) }, 'MESSAGE_INVALID_FIELD'],
      [
        { type: 'ext', protocol: 'x'.repeat(L.maxCapabilityLength + 1), body: new Uint8Array(1) },
        'MESSAGE_INVALID_FIELD',
      ],
      [{ type: 'ext', protocol: 'pex/1', body: 'not bytes' }, 'MESSAGE_INVALID_FIELD'],
      [{ type: 'pex', infohash, added: [], dropped: [] }, 'MESSAGE_UNKNOWN_TYPE'],
    ]
    for (const [raw, code] of cases) {
      const label = JSON.stringify(raw, (_, v) => (v instanceof Uint8Array ? `bytes(${v.length})` : v))
      expect({ label, code: errorCode(() => decodeMessage(msgpack(raw))) }).toEqual({ label, code })
    }
  })

  it('refuses to encode what it would refuse to decode', () => {
    expectWireError(
      () => encodeMessage({ type: 'have', infohash: new Uint8Array(3), piece: 1 }),
      'MESSAGE_INVALID_FIELD',
    )
    expectWireError(() => encodeMessage({ type: 'nope' } as unknown as Message), 'MESSAGE_UNKNOWN_TYPE')
    expect(() => encodeMessage(null as unknown as Message)).toThrow(TypeError)
  })

  it('rejects input over the size limit before decoding it', () => {
    expectWireError(() => decodeMessage(new Uint8Array(L.maxMessageBytes + 1)), 'MESSAGE_TOO_LARGE')
  })

  it('rejects bytes that are not msgpack', () => {
    expectWireError(() => decodeMessage(new Uint8Array([0xc1])), 'MESSAGE_MALFORMED')
    expectWireError(() => decodeMessage(new Uint8Array([])), 'MESSAGE_MALFORMED')
    expectWireError(() => decodeMessage(new Uint8Array([0x81])), 'MESSAGE_MALFORMED')
  })
})
