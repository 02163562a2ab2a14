import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  BLOCK_SIZE,
  createManifest,
  decodeMetadata,
  encodeMetadata,
  encodeTorrent,
  FileHasher,
  type ManifestFileInput,
  PiecesError,
} from '../src/index.js'
import { content, expectPiecesError, hex } from './helpers.js'

/** A hashed file for createManifest. */
function file(path: string[], length: number, pieceLength: number, seed = length): ManifestFileInput {
  const hasher = new FileHasher(pieceLength)
  hasher.update(content(seed, length))
  return { path, ...hasher.digest() }
}

const utf8 = new TextEncoder()

/** Orders paths as BEP 52 does: component by component, as UTF-8 bytes. */
function byteOrder(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = Buffer.compare(utf8.encode(a[i] as string), utf8.encode(b[i] as string))
    if (order !== 0) return order
  }
  return a.length - b.length
}

describe('createManifest', () => {
  it('orders files by path bytes, whatever names JavaScript would order differently', () => {
    const names = ['9', '10', 'a', 'B', '__proto__', 'constructor', 'é', '\u{1F600}', '\uFFFD', 'a.txt', 'a-b']
    const paths = [...names.map((n) => [n]), ['a0', 'x'], ['a0', '10'], ['a0', '9']]
    const manifest = createManifest({
      name: 'share',
      pieceLength: BLOCK_SIZE,
      files: paths.map((path, i) => file(path, i * 1000 + 1, BLOCK_SIZE)),
    })
    expect(manifest.files.map((f) => f.path)).toEqual([...paths].sort(byteOrder))
    const again = decodeMetadata(encodeMetadata(manifest), manifest.infohash)
    expect(again.files.map((f) => f.path)).toEqual(manifest.files.map((f) => f.path))
    expect(again.info).toEqual(manifest.info)
  })

  it('numbers pieces across files, and the geometry helpers agree with each other', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 * BLOCK_SIZE }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(BLOCK_SIZE, 2 * BLOCK_SIZE, 4 * BLOCK_SIZE),
        (lengths, pieceLength) => {
          fc.pre(lengths.some((n) => n > 0))
          const manifest = createManifest({
            name: 'geo',
            pieceLength,
            files: lengths.map((n, i) => file([`f${i}`], n, pieceLength, i)),
          })
          expect(manifest.totalLength).toBe(lengths.reduce((a, b) => a + b, 0))
          let sum = 0
          let previous = 0
          for (let piece = 0; piece < manifest.pieceCount; piece++) {
            const at = manifest.locatePiece(piece)
            const f = manifest.files[at.fileIndex]
            expect(at.fileIndex).toBeGreaterThanOrEqual(previous)
            previous = at.fileIndex
            expect(manifest.fileOfPiece(piece)).toBe(at.fileIndex)
            expect(manifest.pieceSize(piece)).toBe(at.length)
            expect(at.length).toBeGreaterThan(0)
            expect(at.length).toBeLessThanOrEqual(pieceLength)
            expect(manifest.pieceAt(at.fileIndex, at.offset)).toBe(piece)
            expect(manifest.pieceAt(at.fileIndex, at.offset + at.length - 1)).toBe(piece)
            expect(f?.firstPiece).toBeLessThanOrEqual(piece)
            sum += at.length
          }
          expect(sum).toBe(manifest.totalLength)
          expect(manifest.pieceCount).toBe(lengths.reduce((n, l) => n + Math.ceil(l / pieceLength), 0))
        },
      ),
      { numRuns: 100 },
    )
  })

  it('metadata round trip: decodeMetadata(encodeMetadata(m)) is m', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.array(fc.constantFrom('a', 'b', 'ü', '0', '.x'), { minLength: 1, maxLength: 3 }), {
          minLength: 1,
          maxLength: 6,
          selector: (p) => p.join('/'),
        }),
        fc.array(fc.integer({ min: 0, max: 3 * BLOCK_SIZE + 5 }), { minLength: 6, maxLength: 6 }),
        (rawPaths, lengths) => {
          const paths = rawPaths.map((p) => p.map((c) => (c === '.x' ? 'dot.x' : c)))
          const sorted = [...paths].sort(byteOrder)
          fc.pre(sorted.every((p, i) => i === 0 || !(sorted[i - 1] as string[]).every((c, k) => c === p[k])))
          fc.pre(lengths.slice(0, paths.length).some((n) => n > 0))
          const manifest = createManifest({
            name: 'rt',
            pieceLength: BLOCK_SIZE,
            files: paths.map((p, i) => file(p, lengths[i] as number, BLOCK_SIZE)),
          })
          const again = decodeMetadata(encodeMetadata(manifest), manifest.infohash)
          expect(hex(again.infohash)).toBe(hex(manifest.infohash))
          expect(again.files).toEqual(manifest.files)
          expect(again.pieceCount).toBe(manifest.pieceCount)
          expect(encodeMetadata(again)).toEqual(encodeMetadata(manifest))
        },
      ),
      { numRuns: 100 },
    )
  })

  it('files with the same content share one piece layer entry', () => {
    const pieceLength = BLOCK_SIZE
    const manifest = createManifest({
      name: 'twins',
      pieceLength,
      files: [file(['a'], 3 * BLOCK_SIZE, pieceLength, 1), file(['b'], 3 * BLOCK_SIZE, pieceLength, 1)],
    })
    expect(manifest.files[0]?.piecesRoot).toEqual(manifest.files[1]?.piecesRoot)
    const metadata = encodeMetadata(manifest)
    expect(metadata.length).toBe(manifest.info.length + 'd4:info12:piece layersd32:96:ee'.length + 32 + 96)
    expect(decodeMetadata(metadata, manifest.infohash).files).toEqual(manifest.files)
  })

  it('refuses what would make an unsafe or inconsistent share', () => {
    const pl = BLOCK_SIZE
    const good = file(['a'], 100, pl)
    const big = file(['big'], 3 * BLOCK_SIZE, pl)
    const make =
      (files: ManifestFileInput[], name = 'x', pieceLength = pl) =>
      () =>
        createManifest({ name, pieceLength, files })
    expectPiecesError(make([good, { ...good }]), 'MANIFEST_DUPLICATE_PATH')
    expectPiecesError(make([good, { ...good, path: ['a', 'b'] }]), 'MANIFEST_DUPLICATE_PATH')
    for (const bad of [[''], ['.'], ['..'], ['a/b'], ['a\\b'], ['a\0'], [], ['\uD800'], ['x'.repeat(256)]]) {
      expectPiecesError(make([{ ...good, path: bad }]), 'MANIFEST_BAD_PATH')
    }
    expectPiecesError(make([{ ...good, path: Array(33).fill('d') }]), 'MANIFEST_BAD_PATH')
    expectPiecesError(make([{ ...good, path: Array(20).fill('d'.repeat(250)) }]), 'MANIFEST_BAD_PATH')
    for (const name of ['', '..', 'a/b']) expectPiecesError(make([good], name), 'MANIFEST_BAD_PATH')
    for (const pieceLength of [0, 1000, 3 * BLOCK_SIZE, 8192, 32 * 1024 * 1024]) {
      expectPiecesError(make([good], 'x', pieceLength), 'MANIFEST_BAD_PIECE_LENGTH')
    }
    expectPiecesError(make([{ path: ['a'], length: 5 }]), 'MANIFEST_BAD_PIECES_ROOT')
    expectPiecesError(make([{ ...good, piecesRoot: new Uint8Array(31) }]), 'MANIFEST_BAD_PIECES_ROOT')
    expectPiecesError(
      make([{ path: ['e'], length: 0, piecesRoot: new Uint8Array(32) }, good]),
      'MANIFEST_BAD_PIECES_ROOT',
    )
    expectPiecesError(make([{ ...big, pieceLayer: undefined }]), 'MANIFEST_BAD_PIECE_LAYER')
    expectPiecesError(make([{ ...big, pieceLayer: big.pieceLayer?.subarray(32) }]), 'MANIFEST_BAD_PIECE_LAYER')
    expectPiecesError(make([{ ...big, pieceLayer: new Uint8Array(96) }]), 'MANIFEST_BAD_PIECE_LAYER')
    expectPiecesError(make([{ ...good, pieceLayer: new Uint8Array(32) }]), 'MANIFEST_BAD_PIECE_LAYER')
    expectPiecesError(make([{ ...good, length: -1 }]), 'MANIFEST_BAD_LENGTH')
    expectPiecesError(make([{ ...good, length: 1.5 }]), 'MANIFEST_BAD_LENGTH')
    expectPiecesError(make([]), 'MANIFEST_EMPTY')
    expectPiecesError(make([{ path: ['e'], length: 0 }]), 'MANIFEST_EMPTY')
    expectPiecesError(
      () => createManifest({ name: 'x', pieceLength: pl, files: [big], limits: { maxPieces: 2 } }),
      'MANIFEST_TOO_LARGE',
    )
    expectPiecesError(
      () => createManifest({ name: 'x', pieceLength: pl, files: [good, big], limits: { maxFiles: 1 } }),
      'MANIFEST_TOO_LARGE',
    )
    expect(() => createManifest({ name: 'x', pieceLength: pl, files: [good], limits: { maxFiles: -1 } })).toThrow(
      RangeError,
    )
  })

  it('geometry helpers refuse pieces and offsets that do not exist', () => {
    const manifest = createManifest({ name: 'x', pieceLength: BLOCK_SIZE, files: [file(['a'], 100, BLOCK_SIZE)] })
    expect(() => manifest.locatePiece(1)).toThrow(PiecesError)
    expect(() => manifest.pieceAt(0, 100)).toThrow(RangeError)
    expect(() => manifest.pieceAt(1, 0)).toThrow(RangeError)
    expect(manifest.expectedPieceHash(0)).toEqual(manifest.files[0]?.piecesRoot)
    expect(() => encodeTorrent(manifest, { hybrid: true })).toThrow(TypeError)
  })
})
