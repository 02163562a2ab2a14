/**
 * Manifests, .torrent files and metadata from the network are hostile: every
 * malformed, unsafe or oversized one must give a PiecesError with the right
 * code, and random or mutated bytes must give a value or a PiecesError.
 */
import { type BencodeInput, decodeBencode, encodeBencode } from '@mycel/wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  Bitfield,
  BLOCK_SIZE,
  decodeMetadata,
  decodeTorrent,
  encodeMetadata,
  FileHasher,
  PiecesError,
  type PiecesErrorCode,
  parseMagnet,
} from '../src/index.js'
import { base64, content, errorCode, fixtures, sha256 } from './helpers.js'

const ascii = (text: string) => new TextEncoder().encode(text)

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** A metadata blob around raw info bytes and layers, with the matching infohash. */
function blob(info: Uint8Array, layers: { root: Uint8Array; layer: Uint8Array }[] = []) {
  const sorted = [...layers].sort((a, b) => Buffer.compare(a.root, b.root))
  const dict = concat(
    ascii('d'),
    ...sorted.flatMap(({ root, layer }) => [ascii(`${root.length}:`), root, ascii(`${layer.length}:`), layer]),
    ascii('e'),
  )
  return { bytes: concat(ascii('d4:info'), info, ascii('12:piece layers'), dict, ascii('e')), infohash: sha256(info) }
}

function hashed(length: number, pieceLength = BLOCK_SIZE) {
  const hasher = new FileHasher(pieceLength)
  hasher.update(content(length, length))
  return hasher.digest()
}

const small = hashed(100)
const big = hashed(3 * BLOCK_SIZE)
const leaf = (h: { length: number; piecesRoot?: Uint8Array }) => ({
  '': { length: h.length, 'pieces root': h.piecesRoot },
})
const bigLayer = { root: big.piecesRoot as Uint8Array, layer: big.pieceLayer as Uint8Array }

function info(tree: BencodeInput, extra: Record<string, BencodeInput | undefined> = {}): Uint8Array {
  return encodeBencode({ 'file tree': tree, 'meta version': 2, name: 'share', 'piece length': BLOCK_SIZE, ...extra })
}

function refused(bytes: Uint8Array, infohash: Uint8Array, code: PiecesErrorCode, limits = {}): void {
  expect(errorCode(() => decodeMetadata(bytes, infohash, { limits }))).toBe(code)
}

function refusedInfo(infoBytes: Uint8Array, code: PiecesErrorCode, layers = [bigLayer], limits = {}): void {
  const { bytes, infohash } = blob(infoBytes, layers)
  refused(bytes, infohash, code, limits)
}

describe('hostile manifests', () => {
  it('accepts the well-formed base case the others are mutations of', () => {
    const { bytes, infohash } = blob(info({ a: leaf(small), big: leaf(big) }), [bigLayer])
    expect(decodeMetadata(bytes, infohash).files.length).toBe(2)
  })

  it('path traversal and unsafe names', () => {
    for (const key of ['..', '.', 'a/b', '/etc', 'a\\b', 'nul\0', 'x'.repeat(256)]) {
      refusedInfo(info({ [key]: leaf(small), big: leaf(big) }), 'MANIFEST_BAD_PATH')
      refusedInfo(info({ dir: { [key]: leaf(small) }, big: leaf(big) }), 'MANIFEST_BAD_PATH')
    }
    for (const name of ['..', '.', '', 'a/b', '/', 'C:\\x']) {
      refusedInfo(info({ big: leaf(big) }, { name }), 'MANIFEST_BAD_PATH')
    }
    refusedInfo(info({ '': { length: 100, 'pieces root': small.piecesRoot }, big: leaf(big) }), 'MANIFEST_BAD_PATH')
    let deep: BencodeInput = leaf(small)
    for (let i = 0; i < 33; i++) deep = { d: deep }
    refusedInfo(info({ deep, big: leaf(big) }), 'MANIFEST_BAD_PATH')
    let long: BencodeInput = leaf(small)
    for (let i = 0; i < 17; i++) long = { ['d'.repeat(250)]: long }
    refusedInfo(info({ long, big: leaf(big) }), 'MANIFEST_BAD_PATH')
    refusedInfo(info({ big: leaf(big) }, { name: new Uint8Array([0xff, 0xfe]) }), 'MANIFEST_BAD_PATH')
  })

  it('a path that is both a file and a folder', () => {
    refusedInfo(info({ a: { ...leaf(small), b: leaf(small) }, big: leaf(big) }), 'MANIFEST_DUPLICATE_PATH')
  })

  it('absurd sizes and counts', () => {
    refusedInfo(info({ a: { '': { length: -1 } }, big: leaf(big) }), 'MANIFEST_BAD_LENGTH')
    refusedInfo(info({ a: { '': { length: 2n ** 60n, 'pieces root': small.piecesRoot } } }), 'MANIFEST_BAD_LENGTH', [])
    refusedInfo(info({ a: { '': { length: 2 ** 50, 'pieces root': small.piecesRoot } } }), 'MANIFEST_TOO_LARGE', [])
    refusedInfo(info({ a: { '': { 'pieces root': small.piecesRoot } }, big: leaf(big) }), 'MANIFEST_BAD_LENGTH')
    const many: Record<string, BencodeInput> = {}
    for (let i = 0; i < 20; i++) many[`f${i}`] = leaf(small)
    refusedInfo(info(many), 'MANIFEST_TOO_LARGE', [], { maxFiles: 10 })
    const { bytes, infohash } = blob(info({ a: leaf(small) }))
    refused(bytes, infohash, 'MANIFEST_TOO_LARGE', { maxMetadataBytes: bytes.length - 1 })
    refused(bytes, infohash, 'MANIFEST_TOO_LARGE', { maxInfoBytes: 20 })
    refusedInfo(info({ big: leaf(big) }), 'MANIFEST_TOO_LARGE', [bigLayer], { maxPieces: 2 })
  })

  it('piece lengths that are not powers of two in range', () => {
    for (const pieceLength of [0, -16384, 1000, 3 * BLOCK_SIZE, 8192, 32 * 1024 * 1024, 2n ** 62n, 'x']) {
      refusedInfo(info({ a: leaf(small) }, { 'piece length': pieceLength }), 'MANIFEST_BAD_PIECE_LENGTH', [])
    }
    refusedInfo(info({ a: leaf(small) }, { 'piece length': undefined }), 'MANIFEST_BAD_PIECE_LENGTH', [])
  })

  it('versions and structure', () => {
    refusedInfo(info({ a: leaf(small) }, { 'meta version': 1 }), 'MANIFEST_UNSUPPORTED', [])
    refusedInfo(info({ a: leaf(small) }, { 'meta version': 3 }), 'MANIFEST_UNSUPPORTED', [])
    refusedInfo(info({ a: leaf(small) }, { 'meta version': undefined }), 'MANIFEST_MALFORMED', [])
    refusedInfo(
      info({ a: leaf(small) }, { 'meta version': undefined, pieces: new Uint8Array(20) }),
      'TORRENT_V1_ONLY',
      [],
    )
    refusedInfo(info({}), 'MANIFEST_MALFORMED', [])
    refusedInfo(info({ a: {}, big: leaf(big) }), 'MANIFEST_MALFORMED')
    refusedInfo(info({ a: 5 }), 'MANIFEST_MALFORMED', [])
    refusedInfo(info('not a tree'), 'MANIFEST_MALFORMED', [])
    refusedInfo(encodeBencode(['not', 'a', 'dict']), 'MANIFEST_MALFORMED', [])
    refusedInfo(
      info({ a: { '': { length: 100, 'pieces root': small.piecesRoot, attr: 'l' } } }),
      'MANIFEST_UNSUPPORTED',
      [],
    )
    refusedInfo(
      info({ a: { '': { length: 100, 'pieces root': small.piecesRoot, attr: 'p' } } }),
      'MANIFEST_UNSUPPORTED',
      [],
    )
    refusedInfo(info({ a: { '': { length: 0, 'symlink path': ['b'] } }, b: leaf(small) }), 'MANIFEST_UNSUPPORTED', [])
    refusedInfo(info({ a: { '': { length: 0 } } }), 'MANIFEST_EMPTY', [])
  })

  it('pieces roots', () => {
    refusedInfo(info({ a: { '': { length: 100 } } }), 'MANIFEST_BAD_PIECES_ROOT', [])
    refusedInfo(info({ a: { '': { length: 100, 'pieces root': new Uint8Array(31) } } }), 'MANIFEST_BAD_PIECES_ROOT', [])
    refusedInfo(
      info({ a: { '': { length: 0, 'pieces root': small.piecesRoot } }, b: leaf(small) }),
      'MANIFEST_BAD_PIECES_ROOT',
      [],
    )
  })

  it('wrong piece layers', () => {
    const tree = { big: leaf(big) }
    const layer = big.pieceLayer as Uint8Array
    const root = big.piecesRoot as Uint8Array
    refusedInfo(info(tree), 'MANIFEST_BAD_PIECE_LAYER', [])
    refusedInfo(info(tree), 'MANIFEST_BAD_PIECE_LAYER', [{ root, layer: layer.subarray(32) }])
    refusedInfo(info(tree), 'MANIFEST_BAD_PIECE_LAYER', [{ root, layer: concat(layer, new Uint8Array(32)) }])
    refusedInfo(info(tree), 'MANIFEST_BAD_PIECE_LAYER', [{ root, layer: layer.subarray(1) }])
    const swapped = concat(layer.subarray(32, 64), layer.subarray(0, 32), layer.subarray(64))
    refusedInfo(info(tree), 'MANIFEST_BAD_PIECE_LAYER', [{ root, layer: swapped }])
    refusedInfo(info(tree), 'MANIFEST_BAD_PIECE_LAYER', [bigLayer, { root: new Uint8Array(32).fill(7), layer }])
    refusedInfo(info({ ...tree, a: leaf(small) }), 'MANIFEST_BAD_PIECE_LAYER', [
      bigLayer,
      { root: small.piecesRoot as Uint8Array, layer: new Uint8Array(32) },
    ])
    refusedInfo(info(tree), 'MANIFEST_BAD_PIECE_LAYER', [{ root: root.subarray(1), layer }])
  })

  it('infohash and the outer dictionary', () => {
    const good = blob(info({ big: leaf(big) }), [bigLayer])
    refused(good.bytes, new Uint8Array(32), 'INFOHASH_MISMATCH')
    const garbage = blob(ascii('d1:xi1ee'))
    refused(garbage.bytes, new Uint8Array(32), 'INFOHASH_MISMATCH')
    const infoBytes = info({ big: leaf(big) })
    const infohash = sha256(infoBytes)
    refused(concat(good.bytes, ascii('x')), infohash, 'MANIFEST_MALFORMED')
    refused(good.bytes.subarray(0, good.bytes.length - 1), infohash, 'MANIFEST_MALFORMED')
    refused(concat(ascii('d12:piece layersde4:info'), infoBytes, ascii('e')), infohash, 'MANIFEST_MALFORMED')
    refused(concat(ascii('d4:info'), infoBytes, ascii('5:extrai1ee')), infohash, 'MANIFEST_MALFORMED')
    refused(ascii('d12:piece layersdee'), infohash, 'MANIFEST_MALFORMED')
    refused(ascii('le'), infohash, 'MANIFEST_MALFORMED')
    expect(() => decodeMetadata(good.bytes, new Uint8Array(31))).toThrow(RangeError)
  })

  it('hybrid info dictionaries whose v1 half disagrees with the v2 tree', () => {
    const fixture = fixtures.cases.find((c) => c.id === 'dir-mixed')
    const { manifest } = decodeTorrent(base64(fixture?.hybrid.torrent as string))
    const v2 = decodeTorrent(base64(fixture?.v2.torrent as string)).manifest
    const layers = v2.files.flatMap((f) =>
      f.pieceLayer ? [{ root: f.piecesRoot as Uint8Array, layer: f.pieceLayer }] : [],
    )
    const base = (changes: Record<string, BencodeInput | undefined>) =>
      encodeBencode({ ...(decodeBencode(manifest.info) as Record<string, BencodeInput>), ...changes })
    refusedInfo(base({ pieces: new Uint8Array(20) }), 'MANIFEST_HYBRID_MISMATCH', layers)
    refusedInfo(base({ length: 5 }), 'MANIFEST_HYBRID_MISMATCH', layers)
    refusedInfo(base({ files: [{ length: 10, path: ['.hidden'] }] }), 'MANIFEST_HYBRID_MISMATCH', layers)
    refusedInfo(base({ files: undefined }), 'MANIFEST_HYBRID_MISMATCH', layers)
    refusedInfo(base({ pieces: undefined }), 'MANIFEST_HYBRID_MISMATCH', layers)
    refusedInfo(base({ files: [{ length: 10, path: ['..'] }] }), 'MANIFEST_BAD_PATH', layers)
    expect(decodeMetadata(encodeMetadata(manifest), manifest.infohash).hybrid?.tailPadding).toBe(true)
  })
})

/** Runs `fn`; anything thrown other than a PiecesError fails the test. */
function onlyValueOrPiecesError(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof PiecesError)) throw err
  }
}

/** Valid encodings with random bytes flipped, inserted, removed or cut off. */
function mutated(valid: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.constantFrom(...valid),
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

const torrents = fixtures.cases.slice(0, 30).flatMap((c) => [base64(c.v2.torrent), base64(c.hybrid.torrent)])
const infos = fixtures.cases.map((c) => decodeTorrent(base64(c.hybrid.torrent)).manifest.info)

describe('random and mutated input', () => {
  it('decodeTorrent: mutated .torrent files give a manifest or a PiecesError', () => {
    fc.assert(
      fc.property(mutated(torrents), (bytes) =>
        onlyValueOrPiecesError(() => {
          const { manifest } = decodeTorrent(bytes)
          expect(decodeMetadata(encodeMetadata(manifest), manifest.infohash).files).toEqual(manifest.files)
        }),
      ),
      { numRuns: 1500 },
    )
  })

  it('decodeMetadata: mutated info dictionaries (with their own infohash) give a manifest or a PiecesError', () => {
    fc.assert(
      fc.property(mutated(infos), (infoBytes) => {
        const { bytes, infohash } = blob(infoBytes)
        onlyValueOrPiecesError(() => {
          const manifest = decodeMetadata(bytes, infohash)
          expect(decodeMetadata(encodeMetadata(manifest), infohash).files).toEqual(manifest.files)
        })
      }),
      { numRuns: 1500 },
    )
  })

  it('decoders of metadata, torrents, magnets and bitfields: random bytes give a value or a PiecesError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 2000 }), (bytes, size) => {
        onlyValueOrPiecesError(() => decodeMetadata(bytes, new Uint8Array(32)))
        onlyValueOrPiecesError(() => decodeTorrent(bytes))
        onlyValueOrPiecesError(() => parseMagnet(new TextDecoder().decode(bytes)))
        onlyValueOrPiecesError(() => Bitfield.fromBytes(bytes, size))
      }),
      { numRuns: 2000 },
    )
  })
})
