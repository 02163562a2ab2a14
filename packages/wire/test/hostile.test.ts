import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeBencode,
  decodeBencodeEntries,
  decodeMessage,
  encodeBencode,
  encodeMessage,
  FrameDecoder,
  WireError,
} from '../src/index.js'
import { bencodeValue, message } from './arbitraries.js'

/** Runs `fn`; anything thrown other than a WireError fails the test. */
function onlyValueOrWireError(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof WireError)) throw err
    expect(typeof err.code).toBe('string')
  }
}

/** Valid encodings with random bytes flipped, inserted, removed or cut off. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.nat({ max: 3 })), { minLength: 1, maxLength: 4 }),
    )
    .map(([bytes, edits]) => {
      let out = Array.from(bytes)
      for (const [at, byte, kind] of edits) {
        const i = out.length === 0 ? 0 : at % out.length
        if (kind === 0) out[i] = byte
        else if (kind === 1) out.splice(i, 0, byte)
        else if (kind === 2) out.splice(i, 1)
        else out = out.slice(0, i)
      }
      return new Uint8Array(out)
    })
}

const garbage = fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 1000, maxLength: 5000 }))

describe('hostile input', () => {
  it('bencode decoder: random bytes give a value or a WireError', () => {
    fc.assert(
      fc.property(garbage, (bytes) => onlyValueOrWireError(() => decodeBencode(bytes))),
      { numRuns: 2000 },
    )
  })

  it('bencode decoder: mutated valid input gives a value or a WireError', () => {
    const valid = bencodeValue.map((v) => encodeBencode(v))
    fc.assert(
      fc.property(mutated(valid), (bytes) => onlyValueOrWireError(() => decodeBencode(bytes))),
      {
        numRuns: 2000,
      },
    )
  })

  it('bencode decoder: a value it accepts re-encodes to the same bytes', () => {
    const valid = bencodeValue.map((v) => encodeBencode(v))
    fc.assert(
      fc.property(mutated(valid), (bytes) => {
        let value: unknown
        try {
          value = decodeBencode(bytes)
        } catch {
          return
        }
        expect(encodeBencode(value as never)).toEqual(bytes)
      }),
      { numRuns: 2000 },
    )
  })

  it('raw-key dictionary reader: random and mutated input give entries or a WireError', () => {
    const valid = bencodeValue.map((v) => encodeBencode({ v }))
    fc.assert(
      fc.property(fc.oneof(garbage, mutated(valid)), (bytes) =>
        onlyValueOrWireError(() => decodeBencodeEntries(bytes)),
      ),
      { numRuns: 2000 },
    )
  })

  it('message decoder: random bytes give a message or a WireError', () => {
    fc.assert(
      fc.property(garbage, (bytes) => onlyValueOrWireError(() => decodeMessage(bytes))),
      { numRuns: 2000 },
    )
  })

  it('message decoder: mutated valid messages give a message or a WireError', () => {
    const valid = message.map((m) => encodeMessage(m))
    fc.assert(
      fc.property(mutated(valid), (bytes) =>
        onlyValueOrWireError(() => {
          // whatever decodes must be a message we would send ourselves
          const decoded = decodeMessage(bytes)
          expect(decodeMessage(encodeMessage(decoded))).toEqual(decoded)
        }),
      ),
      { numRuns: 2000 },
    )
  })

  it('frame decoder: random chunks give frames or a WireError', () => {
    fc.assert(
      fc.property(
        fc.array(garbage, { maxLength: 5 }),
        fc.constantFrom(2 as const, 4 as const),
        (chunks, prefixLength) =>
          onlyValueOrWireError(() => {
            const decoder = new FrameDecoder({
              prefixLength,
              maxFrameLength: 4096,
              onFrame: (f) => expect(f.length).toBeLessThanOrEqual(4096),
            })
            for (const chunk of chunks) decoder.push(chunk)
            decoder.end()
          }),
      ),
      { numRuns: 1000 },
    )
  })
})
