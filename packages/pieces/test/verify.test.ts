import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  BLOCK_SIZE,
  createBlockProof,
  createWebCryptoHashProvider,
  decodeTorrent,
  type HashProvider,
  isProofRange,
  type Manifest,
  PieceTree,
  pieceHash,
  verifyBlocks,
  verifyPiece,
  verifyPieceAsync,
} from '../src/index.js'
import { base64, content, expectPiecesError, type FixtureCase, fixtures, flipByte, hex, providers } from './helpers.js'

function load(id: string): { manifest: Manifest; fixture: FixtureCase } {
  const fixture = fixtures.cases.find((c) => c.id === id) as FixtureCase
  return { manifest: decodeTorrent(base64(fixture.v2.torrent)).manifest, fixture }
}

/** The bytes of a piece of a fixture share. */
function pieceBytes(manifest: Manifest, fixture: FixtureCase, piece: number): Uint8Array {
  const { fileIndex, offset, length } = manifest.locatePiece(piece)
  const file = manifest.files[fileIndex]
  const input = fixture.files.find((f) => f.path.join('/') === file?.path.join('/'))
  return content(input?.seed ?? -1, file?.length ?? 0).slice(offset, offset + length)
}

/** Every aligned run of 2^k blocks in a piece of `size` bytes whose tree has `2^level` leaves. */
function* ranges(size: number): Generator<{ offset: number; length: number }> {
  const blocks = Math.ceil(size / BLOCK_SIZE)
  for (let span = 1; span <= 1024; span *= 2) {
    for (let first = 0; first < blocks; first += span) {
      const offset = first * BLOCK_SIZE
      yield { offset, length: Math.min(span * BLOCK_SIZE, size - offset) }
    }
    if (span >= blocks) break
  }
}

const cases = ['file-large-piece', 'file-under-one-large-piece', 'dir-mixed', 'file-piece-is-block-many']

describe.each(providers)('verification with $name', (hash) => {
  it.each(cases)('%s: proofs of every aligned block run verify, tampered ones do not', (id) => {
    const { manifest, fixture } = load(id)
    for (let piece = 0; piece < manifest.pieceCount; piece++) {
      const bytes = pieceBytes(manifest, fixture, piece)
      const tree = new PieceTree(manifest, piece, bytes, { hash })
      expect(tree.valid).toBe(true)
      expect(hex(tree.root)).toBe(hex(manifest.expectedPieceHash(piece)))
      expect(hex(pieceHash(manifest, piece, bytes, { hash }))).toBe(hex(tree.root))
      for (const { offset, length } of ranges(bytes.length)) {
        expect(isProofRange(manifest, piece, offset, length)).toBe(true)
        const proof = tree.proof(offset, length)
        expect(proof.length % 32).toBe(0)
        expect(proof.length / 32).toBeLessThanOrEqual(64)
        const blocks = bytes.subarray(offset, offset + length)
        expect(verifyBlocks(manifest, piece, offset, blocks, proof, { hash })).toBe(true)
        if (length > 4 * BLOCK_SIZE) continue // tampering is checked on the shorter runs, to keep the test fast
        if (proof.length > 0) {
          const bad = proof.slice()
          flipByte(bad, bad.length - 1, 1)
          expect(verifyBlocks(manifest, piece, offset, blocks, bad, { hash })).toBe(false)
          expect(verifyBlocks(manifest, piece, offset, blocks, proof.subarray(32), { hash })).toBe(false)
        }
        const changed = blocks.slice()
        flipByte(changed, 0, 0x80)
        expect(verifyBlocks(manifest, piece, offset, changed, proof, { hash })).toBe(false)
      }
    }
  })

  it('a proof is tied to its position: the same blocks at another offset fail', () => {
    const { manifest, fixture } = load('file-large-piece')
    const bytes = pieceBytes(manifest, fixture, 0)
    const proof = createBlockProof(manifest, 0, bytes, 0, BLOCK_SIZE, { hash })
    expect(verifyBlocks(manifest, 0, 0, bytes.subarray(0, BLOCK_SIZE), proof, { hash })).toBe(true)
    expect(verifyBlocks(manifest, 0, BLOCK_SIZE, bytes.subarray(0, BLOCK_SIZE), proof, { hash })).toBe(false)
    expect(verifyBlocks(manifest, 1, 0, bytes.subarray(0, BLOCK_SIZE), proof, { hash })).toBe(false)
  })

  it('refuses ranges that are not one aligned subtree, and offsets off the block grid', () => {
    const { manifest, fixture } = load('file-large-piece')
    const bytes = pieceBytes(manifest, fixture, 0)
    const tree = new PieceTree(manifest, 0, bytes, { hash })
    for (const [offset, length] of [
      [BLOCK_SIZE, 2 * BLOCK_SIZE],
      [0, 3 * BLOCK_SIZE],
      [100, BLOCK_SIZE],
      [0, 0],
      [bytes.length, BLOCK_SIZE],
      [0, BLOCK_SIZE - 1],
      [-BLOCK_SIZE, BLOCK_SIZE],
      [0, 2 * bytes.length],
    ] as const) {
      expect(isProofRange(manifest, 0, offset, length)).toBe(false)
    }
    expectPiecesError(() => tree.proof(BLOCK_SIZE, 2 * BLOCK_SIZE), 'BLOCK_RANGE_INVALID')
    expectPiecesError(() => tree.proof(0, 3 * BLOCK_SIZE), 'BLOCK_RANGE_INVALID')
    expectPiecesError(() => tree.proof(100, BLOCK_SIZE), 'BLOCK_RANGE_INVALID')
    expectPiecesError(() => tree.proof(0, 0), 'BLOCK_RANGE_INVALID')
    expectPiecesError(() => tree.proof(bytes.length, BLOCK_SIZE), 'BLOCK_RANGE_INVALID')
    expectPiecesError(() => tree.proof(0, BLOCK_SIZE - 1), 'BLOCK_RANGE_INVALID')
    expectPiecesError(
      () => verifyBlocks(manifest, 0, 5, bytes.subarray(0, 10), new Uint8Array(0)),
      'BLOCK_RANGE_INVALID',
    )
    expectPiecesError(() => verifyBlocks(manifest, 99, 0, bytes, new Uint8Array(0)), 'PIECE_OUT_OF_RANGE')
    const proof = tree.proof(2 * BLOCK_SIZE, 2 * BLOCK_SIZE)
    expect(verifyBlocks(manifest, 0, 2 * BLOCK_SIZE, bytes.subarray(2 * BLOCK_SIZE, 3 * BLOCK_SIZE), proof)).toBe(false)
  })

  it('verifyPiece refuses wrong sizes and unknown pieces; pieceHash throws on a wrong size', () => {
    const { manifest, fixture } = load('file-many-pieces')
    const last = manifest.pieceCount - 1
    const bytes = pieceBytes(manifest, fixture, last)
    expect(bytes.length).toBe(123)
    expect(verifyPiece(manifest, last, bytes, { hash })).toBe(true)
    const padded = new Uint8Array(manifest.pieceLength)
    padded.set(bytes)
    expect(verifyPiece(manifest, last, padded, { hash })).toBe(false)
    expect(verifyPiece(manifest, last, bytes.subarray(1), { hash })).toBe(false)
    expect(() => pieceHash(manifest, last, padded, { hash })).toThrow(RangeError)
    for (const bad of [-1, manifest.pieceCount, 1.5, Number.NaN]) {
      expectPiecesError(() => verifyPiece(manifest, bad, bytes, { hash }), 'PIECE_OUT_OF_RANGE')
    }
  })

  it('random corruption of a piece is always caught', () => {
    const { manifest, fixture } = load('file-hundred-pieces')
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: manifest.pieceCount - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (piece, at, flip) => {
          const bytes = pieceBytes(manifest, fixture, piece)
          flipByte(bytes, at % bytes.length, flip)
          expect(verifyPiece(manifest, piece, bytes, { hash })).toBe(false)
        },
      ),
      { numRuns: 50 },
    )
  })
})

/** The WebCrypto batch provider (Node has WebCrypto too), beside the synchronous ones. */
const webCrypto = createWebCryptoHashProvider() as HashProvider

describe.each([...providers, webCrypto])('verifyPieceAsync with $name', (hash) => {
  it.each([...cases, 'file-many-pieces'])(
    '%s: agrees with verifyPiece on every piece, whole and tampered',
    async (id) => {
      const { manifest, fixture } = load(id)
      for (let piece = 0; piece < manifest.pieceCount; piece++) {
        const bytes = pieceBytes(manifest, fixture, piece)
        expect(await verifyPieceAsync(manifest, piece, bytes, { hash })).toBe(true)
        const tampered = bytes.slice()
        flipByte(tampered, (piece * 7919) % bytes.length, 0x01)
        expect(verifyPiece(manifest, piece, tampered, { hash })).toBe(false)
        expect(await verifyPieceAsync(manifest, piece, tampered, { hash })).toBe(false)
        expect(await verifyPieceAsync(manifest, piece, bytes.subarray(1), { hash })).toBe(false)
      }
      await expect(verifyPieceAsync(manifest, manifest.pieceCount, new Uint8Array(1), { hash })).rejects.toMatchObject({
        code: 'PIECE_OUT_OF_RANGE',
      })
    },
  )
})
