/**
 * Known answers from an independent BitTorrent v2 implementation: libtorrent
 * 2.0.8 (Debian's python3-libtorrent) hashed the same deterministic files
 * (see fixtures/generate.py); every value and every .torrent byte must match.
 */
import { describe, expect, it } from 'vitest'
import {
  decodeMetadata,
  decodeTorrent,
  encodeMetadata,
  encodeTorrent,
  type IngestSource,
  ingest,
  type Manifest,
  verifyPiece,
} from '../src/index.js'
import { base64, chunked, content, type FixtureCase, fixtures, flipByte, hex, providers } from './helpers.js'

function sources(fixture: FixtureCase): IngestSource[] {
  return fixture.files.map((file) => ({
    path: file.path,
    length: file.length,
    executable: file.executable,
    content: chunked(content(file.seed, file.length), [7919, 16384, 100_000, 1]),
  }))
}

function expectLibtorrentFiles(manifest: Manifest, fixture: FixtureCase): void {
  expect(
    manifest.files.map((file) => ({
      path: [...file.path],
      length: file.length,
      attr: file.attr,
      piecesRoot: hex(file.piecesRoot) ?? null,
      pieceLayer: hex(file.pieceLayer) ?? null,
    })),
  ).toEqual(fixture.v2.files)
}

it('covers every edge case the issue lists', () => {
  const sizes = fixtures.cases.flatMap((c) => c.files.map((f) => ({ length: f.length, pieceLength: c.pieceLength })))
  const has = (test: (s: { length: number; pieceLength: number }) => boolean) => sizes.some(test)
  expect(fixtures.libtorrent).toMatch(/^2\.0\./)
  expect(has((s) => s.length === 0)).toBe(true)
  expect(has((s) => s.length === 1)).toBe(true)
  expect(has((s) => s.length === 16384)).toBe(true)
  expect(has((s) => s.length === 16385)).toBe(true)
  expect(has((s) => s.length === s.pieceLength)).toBe(true)
  expect(has((s) => s.length === s.pieceLength + 1)).toBe(true)
  expect(has((s) => s.length > 50 * s.pieceLength)).toBe(true)
  expect(fixtures.cases.some((c) => c.kind === 'directory' && c.files.some((f) => f.path.length > 2))).toBe(true)
})

describe.each(providers)('libtorrent known answers with $name', (hash) => {
  describe.each(fixtures.cases)('$id', (fixture) => {
    it('ingest gives libtorrent’s files, roots, layers, infohash and v2 .torrent bytes', async () => {
      const manifest = await ingest(sources(fixture), { name: fixture.name, pieceLength: fixture.pieceLength, hash })
      expectLibtorrentFiles(manifest, fixture)
      expect(manifest.infohashHex).toBe(fixture.v2.infohash)
      const torrent = encodeTorrent(manifest, { hash })
      expect(hex(torrent.bytes)).toBe(hex(base64(fixture.v2.torrent)))
      expect(hex(torrent.infohash)).toBe(fixture.v2.infohash)
      expect(torrent.infohashV1).toBeUndefined()
    })

    it('the hybrid export gives libtorrent’s bytes and both infohashes', async () => {
      const manifest = await ingest(sources(fixture), {
        name: fixture.name,
        pieceLength: fixture.pieceLength,
        hash,
        v1: true,
      })
      const torrent = encodeTorrent(manifest, { hybrid: true, tailPadding: fixture.noTailPadding !== true, hash })
      expect(hex(torrent.bytes)).toBe(hex(base64(fixture.hybrid.torrent)))
      expect(hex(torrent.infohash)).toBe(fixture.hybrid.infohashV2)
      expect(hex(torrent.infohashV1)).toBe(fixture.hybrid.infohashV1)
    })

    it('imports libtorrent’s v2 .torrent and writes it back byte for byte', () => {
      const bytes = base64(fixture.v2.torrent)
      const { manifest, infohashV1 } = decodeTorrent(bytes, { hash })
      expect(infohashV1).toBeUndefined()
      expect(manifest.infohashHex).toBe(fixture.v2.infohash)
      expectLibtorrentFiles(manifest, fixture)
      expect(manifest.singleFile).toBe(fixture.files.length === 1 && fixture.files[0]?.path.length === 1)
      expect(hex(encodeTorrent(manifest, { hash }).bytes)).toBe(hex(bytes))
      const again = decodeMetadata(encodeMetadata(manifest), manifest.infohash, { hash })
      expect(again.info).toEqual(manifest.info)
      expect(again.files).toEqual(manifest.files)
    })

    it('imports libtorrent’s hybrid .torrent, checking the v1 half against the v2 tree', () => {
      const bytes = base64(fixture.hybrid.torrent)
      const { manifest, infohashV1 } = decodeTorrent(bytes, { hash })
      expect(hex(infohashV1)).toBe(fixture.hybrid.infohashV1)
      expect(manifest.infohashHex).toBe(fixture.hybrid.infohashV2)
      expect(manifest.hybrid?.tailPadding).toBe(fixture.noTailPadding !== true)
      expect(manifest.singleFile).toBe(fixture.kind === 'file')
      expectLibtorrentFiles(manifest, fixture)
      expect(hex(encodeTorrent(manifest, { hash }).bytes)).toBe(hex(bytes))
      const metadata = decodeMetadata(encodeMetadata(manifest), manifest.infohash, { hash })
      expect(hex(metadata.hybrid?.infohashV1)).toBe(fixture.hybrid.infohashV1)
    })

    it('verifies every piece of the share, and refuses each piece with one byte changed', async () => {
      const manifest = decodeTorrent(base64(fixture.v2.torrent), { hash }).manifest
      for (const [fileIndex, file] of manifest.files.entries()) {
        const input = fixture.files.find((f) => f.path.join('/') === file.path.join('/'))
        const bytes = content(input?.seed ?? -1, file.length)
        for (let k = 0; k < file.pieceCount; k++) {
          const piece = file.firstPiece + k
          const location = manifest.locatePiece(piece)
          expect(location.fileIndex).toBe(fileIndex)
          const slice = bytes.slice(location.offset, location.offset + location.length)
          expect(verifyPiece(manifest, piece, slice, { hash })).toBe(true)
          flipByte(slice, slice.length - 1, 1)
          expect(verifyPiece(manifest, piece, slice, { hash })).toBe(false)
        }
      }
    })
  })
})
