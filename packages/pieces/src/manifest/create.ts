import { type BencodeInput, encodeBencode } from '@mycel/wire'
import { type HashProvider, resolveHashProvider } from '../hash/provider.js'
import { type ManifestLimits, resolveLimits, SHA1_SIZE } from '../limits.js'
import type { V1PieceHashes } from '../merkle/file-hasher.js'
import { assertPieceLength, type FileEntry, placeFiles } from './assemble.js'
import { Manifest, type ManifestFile } from './model.js'
import { assertDistinctPaths, assertSafeComponent, assertSafePath, comparePaths } from './paths.js'

/** One file handed to {@link createManifest}: its path and the values a {@link FileHasher} computed. */
export interface ManifestFileInput {
  /** Path components relative to the share root. */
  readonly path: readonly string[]
  /** Size in bytes. */
  readonly length: number
  /** Root of the file's Merkle tree; required unless the file is empty. */
  readonly piecesRoot?: Uint8Array | undefined
  /** The piece layer; required exactly when the file is longer than one piece. */
  readonly pieceLayer?: Uint8Array | undefined
  /** Whether to mark the file executable (BEP 47 attribute `x`). Default false. */
  readonly executable?: boolean | undefined
  /** The file's v1 piece hashes, to allow a hybrid `.torrent` export. */
  readonly v1?: V1PieceHashes | undefined
}

/** Options of {@link createManifest}. */
export interface CreateManifestOptions {
  /** The share's name: the file name for a single file, the folder name otherwise. */
  readonly name: string
  /** Bytes per piece: a power of two from 16 KiB to 16 MiB. */
  readonly pieceLength: number
  /** The files, in any order. */
  readonly files: readonly ManifestFileInput[]
  /** Hash functions; default {@link getDefaultHashProvider}. */
  readonly hash?: HashProvider
  /** Tighter or looser bounds than {@link MANIFEST_LIMITS}. */
  readonly limits?: Partial<ManifestLimits>
}

/**
 * Builds a manifest from files already hashed: sorts them canonically, checks
 * every path and hash, writes the BEP 52 info dictionary canonically and
 * hashes it into the infohash. {@link ingest} is this plus the hashing.
 *
 * @param options - name, piece length and files
 * @returns the manifest
 * @throws {@link PiecesError} `MANIFEST_BAD_PATH`, `MANIFEST_DUPLICATE_PATH`,
 *   `MANIFEST_BAD_PIECE_LENGTH`, `MANIFEST_BAD_LENGTH`, `MANIFEST_BAD_PIECES_ROOT`,
 *   `MANIFEST_BAD_PIECE_LAYER`, `MANIFEST_TOO_LARGE` or `MANIFEST_EMPTY` if the
 *   files do not make a valid share
 *
 * @example
 * ```ts
 * const hasher = new FileHasher(16384)
 * hasher.update(new TextEncoder().encode('hello'))
 * const manifest = createManifest({ name: 'hello.txt', pieceLength: 16384, files: [{ path: ['hello.txt'], ...hasher.digest() }] })
 * ```
 */
export function createManifest(options: CreateManifestOptions): Manifest {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  const limits = resolveLimits(options.limits)
  const hash = resolveHashProvider(options.hash)
  assertSafeComponent(options.name, limits, 'name')
  const pieceLength = assertPieceLength(options.pieceLength, limits)
  if (!Array.isArray(options.files)) throw new TypeError('files must be an array')
  const inputs = [...options.files]
  for (const file of inputs) assertSafePath(file.path, limits)
  inputs.sort((a, b) => comparePaths(a.path, b.path))
  assertDistinctPaths(inputs.map((file) => file.path))
  const entries: FileEntry[] = inputs.map((file) => ({
    path: file.path,
    length: file.length,
    piecesRoot: file.piecesRoot,
    pieceLayer: file.pieceLayer,
    attr: file.executable === true ? 'x' : '',
  }))
  const files = placeFiles(entries, pieceLength, limits, hash)
  const info = encodeBencode(infoDict(options.name, pieceLength, files))
  const v1 = combineV1(inputs, pieceLength)
  return new Manifest({
    infohash: hash.sha256(info),
    info,
    name: options.name,
    pieceLength,
    files,
    singleFile: files.length === 1 && (files[0] as ManifestFile).path.length === 1,
    ...(v1 ? { v1 } : {}),
  })
}

/** The BEP 52 info dictionary of files in canonical order. */
export function infoDict(name: string, pieceLength: number, files: readonly ManifestFile[]): BencodeInput {
  const tree: Record<string, BencodeInput> = Object.create(null)
  for (const file of files) {
    let node = tree
    for (const component of file.path) {
      let child = node[component] as Record<string, BencodeInput> | undefined
      if (child === undefined) {
        child = Object.create(null) as Record<string, BencodeInput>
        node[component] = child
      }
      node = child
    }
    node[''] = {
      attr: file.attr === '' ? undefined : file.attr,
      length: file.length,
      'pieces root': file.piecesRoot,
    }
  }
  return { 'file tree': tree, 'meta version': 2, name, 'piece length': pieceLength }
}

/** Concatenates the v1 hashes of files in canonical order, if every non-empty file has them. */
function combineV1(files: readonly ManifestFileInput[], pieceLength: number): V1PieceHashes | undefined {
  const parts = files.filter((file) => file.length > 0)
  if (parts.length === 0 || parts.some((file) => file.v1 === undefined)) return undefined
  for (const file of parts) {
    const { pieces, lastPieceUnpadded } = file.v1 as V1PieceHashes
    if (pieces.length !== SHA1_SIZE * Math.ceil(file.length / pieceLength) || lastPieceUnpadded.length !== SHA1_SIZE) {
      throw new RangeError(`v1 hashes of ${JSON.stringify(file.path.join('/'))} do not match its length`)
    }
  }
  const size = parts.reduce((sum, file) => sum + (file.v1 as V1PieceHashes).pieces.length, 0)
  const pieces = new Uint8Array(size)
  let at = 0
  for (const file of parts) {
    pieces.set((file.v1 as V1PieceHashes).pieces, at)
    at += (file.v1 as V1PieceHashes).pieces.length
  }
  const last = parts[parts.length - 1]?.v1 as V1PieceHashes
  return { pieces, lastPieceUnpadded: last.lastPieceUnpadded }
}
