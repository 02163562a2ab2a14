import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BLOCK_SIZE, choosePieceLength, FileHasher } from '../src/index.js'
import { chunked, content, hex, providers, sha256 } from './helpers.js'

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** A direct, unoptimised BEP 52 tree: all leaves in memory, padded with zero leaves. */
function referenceRoot(bytes: Uint8Array, leavesWanted: number): Uint8Array {
  let layer: Uint8Array[] = []
  for (let at = 0; at < bytes.length; at += BLOCK_SIZE) layer.push(sha256(bytes.subarray(at, at + BLOCK_SIZE)))
  while (layer.length < leavesWanted) layer.push(new Uint8Array(32))
  while (layer.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < layer.length; i += 2)
      next.push(sha256(concat(layer[i] as Uint8Array, layer[i + 1] as Uint8Array)))
    layer = next
  }
  return layer[0] as Uint8Array
}

function nextPowerOfTwo(n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}

describe.each(providers)('FileHasher with $name', (hash) => {
  it('a file of one block has the block’s SHA-256 as root (no padding of the last block)', () => {
    for (const length of [1, 100, BLOCK_SIZE]) {
      const bytes = content(7, length)
      const hasher = new FileHasher(BLOCK_SIZE, { hash })
      hasher.update(bytes)
      const result = hasher.digest()
      expect(hex(result.piecesRoot)).toBe(hex(sha256(bytes)))
      expect(result.pieceLayer).toBeUndefined()
      expect(result.pieceCount).toBe(1)
    }
  })

  it('an empty file has no root, no layer and no pieces', () => {
    const hasher = new FileHasher(BLOCK_SIZE, { hash, v1: true })
    hasher.update(new Uint8Array(0))
    expect(hasher.digest()).toEqual({ length: 0, pieceCount: 0 })
  })

  it('matches a direct tree for random sizes and piece lengths, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 * BLOCK_SIZE + 3 }),
        fc.constantFrom(BLOCK_SIZE, 2 * BLOCK_SIZE, 4 * BLOCK_SIZE),
        fc.array(fc.integer({ min: 1, max: 3 * BLOCK_SIZE }), { minLength: 1, maxLength: 5 }),
        (length, pieceLength, sizes) => {
          const bytes = content(length, length)
          const hasher = new FileHasher(pieceLength, { hash })
          for (const chunk of chunked(bytes, sizes)) hasher.update(chunk)
          const result = hasher.digest()
          const blocks = Math.ceil(length / BLOCK_SIZE)
          const perPiece = pieceLength / BLOCK_SIZE
          const pieces = Math.ceil(length / pieceLength)
          expect(result.pieceCount).toBe(pieces)
          if (pieces === 1) {
            expect(hex(result.piecesRoot)).toBe(hex(referenceRoot(bytes, nextPowerOfTwo(blocks))))
            expect(result.pieceLayer).toBeUndefined()
          } else {
            expect(hex(result.piecesRoot)).toBe(hex(referenceRoot(bytes, nextPowerOfTwo(pieces) * perPiece)))
            const layer = result.pieceLayer as Uint8Array
            expect(layer.length).toBe(32 * pieces)
            for (let p = 0; p < pieces; p++) {
              const piece = bytes.subarray(p * pieceLength, (p + 1) * pieceLength)
              expect(hex(layer.subarray(32 * p, 32 * p + 32))).toBe(hex(referenceRoot(piece, perPiece)))
            }
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  it('v1 hashes are SHA-1 of each piece padded with zeros, and of the last piece unpadded', () => {
    const pieceLength = 2 * BLOCK_SIZE
    const bytes = content(3, 2 * pieceLength + 100)
    const hasher = new FileHasher(pieceLength, { hash, v1: true })
    hasher.update(bytes)
    const { v1 } = hasher.digest()
    const sha1 = (data: Uint8Array) => {
      const state = hash.createSha1()
      state.update(data)
      return hex(state.digest())
    }
    const lastPadded = new Uint8Array(pieceLength)
    lastPadded.set(bytes.subarray(2 * pieceLength))
    expect(hex(v1?.pieces)).toBe(
      [sha1(bytes.subarray(0, pieceLength)), sha1(bytes.subarray(pieceLength, 2 * pieceLength)), sha1(lastPadded)].join(
        '',
      ),
    )
    expect(hex(v1?.lastPieceUnpadded)).toBe(sha1(bytes.subarray(2 * pieceLength)))
  })

  it('refuses bad piece lengths, non-bytes and use after digest', () => {
    for (const bad of [0, 1000, BLOCK_SIZE / 2, 3 * BLOCK_SIZE, 32 * 1024 * 1024, Number.NaN]) {
      expect(() => new FileHasher(bad, { hash })).toThrow(RangeError)
    }
    const hasher = new FileHasher(BLOCK_SIZE, { hash })
    expect(() => hasher.update('text' as unknown as Uint8Array)).toThrow(TypeError)
    hasher.digest()
    expect(() => hasher.update(new Uint8Array(1))).toThrow()
    expect(() => hasher.digest()).toThrow()
  })
})

describe('choosePieceLength', () => {
  it('aims for 1,000 to 2,000 pieces, clamped to 16 KiB .. 16 MiB', () => {
    const MiB = 1024 * 1024
    expect(choosePieceLength(0)).toBe(16 * 1024)
    expect(choosePieceLength(1)).toBe(16 * 1024)
    expect(choosePieceLength(1024 * MiB)).toBe(MiB)
    expect(choosePieceLength(64 * 1024 * 1024 * MiB)).toBe(16 * MiB)
    fc.assert(
      fc.property(fc.integer({ min: 40 * MiB, max: 30 * 1024 * MiB }), (total) => {
        const pieceLength = choosePieceLength(total)
        const pieces = Math.ceil(total / pieceLength)
        expect(pieces).toBeLessThanOrEqual(2000)
        expect(pieces).toBeGreaterThan(1000)
      }),
    )
    expect(() => choosePieceLength(-1)).toThrow(RangeError)
  })
})
