import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeFramePrefix, FrameDecoder, type PrefixLength, writeFramePrefix } from '../src/index.js'
import { expectWireError } from './helpers.js'

function frame(body: Uint8Array, prefixLength: PrefixLength): Uint8Array {
  const out = new Uint8Array(prefixLength + body.length)
  writeFramePrefix(out, 0, body.length, prefixLength)
  out.set(body, prefixLength)
  return out
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let pos = 0
  for (const part of parts) {
    out.set(part, pos)
    pos += part.length
  }
  return out
}

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let last = 0
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(last, point))
    last = point
  }
  return chunks
}

describe('framing', () => {
  it('writes big-endian prefixes', () => {
    expect(encodeFramePrefix(0x0102, 2)).toEqual(new Uint8Array([1, 2]))
    expect(encodeFramePrefix(0x01020304, 4)).toEqual(new Uint8Array([1, 2, 3, 4]))
    expect(encodeFramePrefix(0xffffffff, 4)).toEqual(new Uint8Array([255, 255, 255, 255]))
    expect(() => encodeFramePrefix(0x10000, 2)).toThrow(RangeError)
    expect(() => encodeFramePrefix(-1, 4)).toThrow(RangeError)
  })

  it('yields the same frames however the stream is split', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<PrefixLength>(2, 4),
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (prefixLength, bodies, cuts) => {
          const got: Uint8Array[] = []
          const decoder = new FrameDecoder({ prefixLength, maxFrameLength: 300, onFrame: (f) => got.push(f.slice()) })
          for (const chunk of split(concat(bodies.map((b) => frame(b, prefixLength))), cuts)) decoder.push(chunk)
          decoder.end()
          expect(got).toEqual(bodies)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('with reuseBuffer, assembles split frames in one buffer and still yields every frame right', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bodies, cuts) => {
          const got: Uint8Array[] = []
          const buffers = new Set<ArrayBufferLike>()
          const decoder = new FrameDecoder({
            prefixLength: 4,
            maxFrameLength: 300,
            reuseBuffer: true,
            onFrame: (f) => {
              got.push(f.slice()) // valid only now: copy
              buffers.add(f.buffer)
            },
          })
          const stream = concat(bodies.map((b) => frame(b, 4)))
          const chunks = split(stream, cuts)
          for (const chunk of chunks) decoder.push(chunk)
          decoder.end()
          expect(got).toEqual(bodies)
          // Frames are views of the input chunks or of the one assembly buffer (grown at most as needed).
          const inputs = new Set(chunks.map((c) => c.buffer))
          expect([...buffers].filter((b) => !inputs.has(b)).length).toBeLessThanOrEqual(bodies.length)
        },
      ),
      { numRuns: 300 },
    )
    const reused: ArrayBufferLike[] = []
    const decoder = new FrameDecoder({
      prefixLength: 2,
      maxFrameLength: 100,
      reuseBuffer: true,
      onFrame: (f) => reused.push(f.buffer),
    })
    for (const body of [new Uint8Array(10), new Uint8Array(8)]) {
      const bytes = frame(body, 2)
      decoder.push(bytes.subarray(0, 5))
      decoder.push(bytes.subarray(5))
    }
    expect(reused[0]).toBe(reused[1])
  })

  it('hands out frames that arrive whole as views, without copying', () => {
    const bytes = frame(new Uint8Array([1, 2, 3]), 4)
    let seen: Uint8Array | undefined
    new FrameDecoder({ prefixLength: 4, maxFrameLength: 10, onFrame: (f) => (seen = f) }).push(bytes)
    expect(seen?.buffer).toBe(bytes.buffer)
  })

  it('refuses a frame over the limit as soon as its prefix arrives', () => {
    const decoder = new FrameDecoder({ prefixLength: 4, maxFrameLength: 1024, onFrame: () => {} })
    expectWireError(() => decoder.push(encodeFramePrefix(1025, 4)), 'FRAME_TOO_LARGE')
    const split = new FrameDecoder({ prefixLength: 2, maxFrameLength: 100, onFrame: () => {} })
    split.push(new Uint8Array([0]))
    expectWireError(() => split.push(new Uint8Array([101])), 'FRAME_TOO_LARGE')
  })

  it('reports a stream that ends inside a prefix or a body', () => {
    const inPrefix = new FrameDecoder({ prefixLength: 4, maxFrameLength: 100, onFrame: () => {} })
    inPrefix.push(new Uint8Array([0, 0]))
    expectWireError(() => inPrefix.end(), 'FRAME_TRUNCATED')
    const inBody = new FrameDecoder({ prefixLength: 2, maxFrameLength: 100, onFrame: () => {} })
    inBody.push(new Uint8Array([0, 5, 1, 2]))
    expect(inBody.bufferedBytes).toBe(2)
    expectWireError(() => inBody.end(), 'FRAME_TRUNCATED')
  })

  it('passes empty frames through', () => {
    const got: number[] = []
    const decoder = new FrameDecoder({ prefixLength: 2, maxFrameLength: 10, onFrame: (f) => got.push(f.length) })
    decoder.push(new Uint8Array([0, 0, 0]))
    decoder.push(new Uint8Array([0, 0, 1, 9]))
    expect(got).toEqual([0, 0, 1])
  })

  it('validates its options', () => {
    const onFrame = () => {}
    expect(() => new FrameDecoder({ prefixLength: 3 as PrefixLength, maxFrameLength: 1, onFrame })).toThrow(RangeError)
    expect(() => new FrameDecoder({ prefixLength: 2, maxFrameLength: 0x10000, onFrame })).toThrow(RangeError)
    expect(() => new FrameDecoder({ prefixLength: 2, maxFrameLength: 1, onFrame: null as never })).toThrow(TypeError)
  })
})
