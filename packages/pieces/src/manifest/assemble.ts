/**
 * Checks shared by every way a manifest is made: piece length, sizes and
 * counts under the limits, pieces roots and piece layers consistent.
 * @internal
 * @module
 */

import { equalBytes } from '@mycel/wire'
import { PiecesError } from '../errors.js'
import type { HashProvider } from '../hash/provider.js'
import { BLOCK_SIZE, HASH_SIZE, type ManifestLimits } from '../limits.js'
import { MerkleAccumulator } from '../merkle/tree.js'
import { ceilLog2, isPowerOfTwo, log2 } from '../power-of-two.js'
import type { ManifestFile } from './model.js'

/** A file before its place in the piece numbering is known. */
export interface FileEntry {
  path: readonly string[]
  length: number
  piecesRoot?: Uint8Array | undefined
  pieceLayer?: Uint8Array | undefined
  attr: string
}

/** Refuses a piece length that is not a power of two in the allowed range. */
export function assertPieceLength(pieceLength: unknown, limits: ManifestLimits): number {
  if (
    typeof pieceLength !== 'number' ||
    !isPowerOfTwo(pieceLength) ||
    pieceLength < limits.minPieceLength ||
    pieceLength > limits.maxPieceLength
  ) {
    throw new PiecesError(
      'MANIFEST_BAD_PIECE_LENGTH',
      `piece length ${String(pieceLength)} is not a power of two from ${limits.minPieceLength} to ${limits.maxPieceLength}`,
    )
  }
  return pieceLength
}

/** Refuses a file length that is not a non-negative safe integer. */
export function assertFileLength(length: unknown, path: readonly string[]): number {
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new PiecesError('MANIFEST_BAD_LENGTH', `file ${JSON.stringify(path.join('/'))} has length ${String(length)}`)
  }
  return length
}

/**
 * Numbers the pieces of files already in canonical order and checks every
 * root and layer against the lengths: a root exactly for non-empty files, a
 * layer exactly for files longer than one piece, of 32 bytes per piece, whose
 * tree gives the root.
 */
export function placeFiles(
  entries: readonly FileEntry[],
  pieceLength: number,
  limits: ManifestLimits,
  hash: HashProvider,
): ManifestFile[] {
  if (entries.length === 0) throw new PiecesError('MANIFEST_EMPTY', 'a share needs at least one file')
  if (entries.length > limits.maxFiles) throw PiecesError.tooLarge('file count', entries.length, limits.maxFiles)
  let firstPiece = 0
  let totalLength = 0
  const files: ManifestFile[] = []
  for (const entry of entries) {
    const length = assertFileLength(entry.length, entry.path)
    const pieceCount = Math.ceil(length / pieceLength)
    totalLength += length
    if (firstPiece + pieceCount > limits.maxPieces) {
      throw PiecesError.tooLarge('piece count', firstPiece + pieceCount, limits.maxPieces)
    }
    checkHashes(entry, pieceCount, pieceLength, hash)
    files.push({
      path: Object.freeze([...entry.path]),
      length,
      ...(entry.piecesRoot ? { piecesRoot: entry.piecesRoot } : {}),
      ...(entry.pieceLayer ? { pieceLayer: entry.pieceLayer } : {}),
      firstPiece,
      pieceCount,
      attr: entry.attr,
    })
    firstPiece += pieceCount
  }
  if (totalLength === 0) throw new PiecesError('MANIFEST_EMPTY', 'a share must hold at least one byte')
  return files
}

function checkHashes(entry: FileEntry, pieceCount: number, pieceLength: number, hash: HashProvider): void {
  const name = JSON.stringify(entry.path.join('/'))
  const { piecesRoot, pieceLayer } = entry
  if (pieceCount === 0) {
    if (piecesRoot !== undefined) throw new PiecesError('MANIFEST_BAD_PIECES_ROOT', `empty file ${name} has a root`)
    if (pieceLayer !== undefined) throw new PiecesError('MANIFEST_BAD_PIECE_LAYER', `empty file ${name} has a layer`)
    return
  }
  if (!(piecesRoot instanceof Uint8Array) || piecesRoot.length !== HASH_SIZE) {
    throw new PiecesError('MANIFEST_BAD_PIECES_ROOT', `file ${name} needs a 32-byte pieces root`)
  }
  if (pieceCount === 1) {
    if (pieceLayer !== undefined) {
      throw new PiecesError('MANIFEST_BAD_PIECE_LAYER', `file ${name} of one piece has a piece layer`)
    }
    return
  }
  if (!(pieceLayer instanceof Uint8Array)) {
    throw new PiecesError('MANIFEST_BAD_PIECE_LAYER', `file ${name} of ${pieceCount} pieces has no piece layer`)
  }
  if (pieceLayer.length !== pieceCount * HASH_SIZE) {
    throw new PiecesError(
      'MANIFEST_BAD_PIECE_LAYER',
      `piece layer of ${name} is ${pieceLayer.length} bytes, expected ${pieceCount * HASH_SIZE}`,
    )
  }
  if (!equalBytes(layerRoot(pieceLayer, pieceLength, hash), piecesRoot)) {
    throw new PiecesError('MANIFEST_BAD_PIECE_LAYER', `piece layer of ${name} does not match its pieces root`)
  }
}

/** The root of a file's tree computed from its piece layer. */
export function layerRoot(pieceLayer: Uint8Array, pieceLength: number, hash: HashProvider): Uint8Array {
  const pieceLevel = log2(pieceLength / BLOCK_SIZE)
  const tree = new MerkleAccumulator(hash)
  const count = pieceLayer.length / HASH_SIZE
  for (let i = 0; i < count; i++) tree.push(pieceLayer.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE), pieceLevel)
  return tree.root(pieceLevel + ceilLog2(count))
}
