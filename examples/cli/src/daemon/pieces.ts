import type { Bitfield, Manifest } from '@mycel/pieces'
import type { StateStore } from '@mycel/store'
import { fromHex } from '@mycel/wire'

/** One file of a share and the part of it verified here. */
export interface FilePiecesView {
  /** Path inside the share (`/`-separated; the share's name for a single file). */
  path: string
  length: number
  /** Global index of its first piece (v2: every file starts at a piece boundary). */
  firstPiece: number
  pieceCount: number
  verifiedPieces: number
  /** Bytes of its verified pieces (the last piece of a file is shorter). */
  verifiedBytes: number
}

/** What the `pieces` method answers. */
export interface PiecesView {
  infohash: string
  pieceLength: number
  pieceCount: number
  verifiedPieces: number
  /** The verified pieces: base64 of a BEP 3 bitfield (piece 0 is the high bit of the first byte). */
  bitfield: string
  files: FilePiecesView[]
}

/**
 * Per-file progress from a share's piece bitfield: in a v2 share each file
 * owns whole pieces (`firstPiece` .. `firstPiece + pieceCount - 1`), so a
 * file's progress is exact, not an estimate.
 *
 * @param manifest - the share's manifest
 * @param have - its verified pieces
 * @returns the view `pieces` answers
 */
export function piecesView(manifest: Manifest, have: Bitfield): PiecesView {
  const files = manifest.files.map((file): FilePiecesView => {
    let verifiedPieces = 0
    for (let piece = file.firstPiece; piece < file.firstPiece + file.pieceCount; piece++) {
      if (have.get(piece)) verifiedPieces++
    }
    const lastPiece = file.firstPiece + file.pieceCount - 1
    const lastLength = file.length - (file.pieceCount - 1) * manifest.pieceLength
    const verifiedBytes =
      file.pieceCount === 0
        ? 0
        : (verifiedPieces - (have.get(lastPiece) ? 1 : 0)) * manifest.pieceLength +
          (have.get(lastPiece) ? lastLength : 0)
    return {
      path: manifest.singleFile ? manifest.name : file.path.join('/'),
      length: file.length,
      firstPiece: file.firstPiece,
      pieceCount: file.pieceCount,
      verifiedPieces,
      verifiedBytes,
    }
  })
  return {
    infohash: manifest.infohashHex,
    pieceLength: manifest.pieceLength,
    pieceCount: manifest.pieceCount,
    verifiedPieces: have.count(),
    bitfield: Buffer.from(have.toBytes()).toString('base64'),
    files,
  }
}

/**
 * The verified pieces of a share as the state store has them now (marks
 * not yet flushed included).
 *
 * @param state - the daemon's state store
 * @param infohash - 64 hex digits
 * @returns the view, or null before the share's manifest is known
 */
export async function readPieces(state: StateStore, infohash: string): Promise<PiecesView | null> {
  const bytes = fromHex(infohash) as Uint8Array
  const manifest = await state.getManifest(bytes)
  if (manifest === undefined) return null
  const have = await state.getBitfield(bytes)
  if (have === undefined) return null
  return piecesView(manifest, have)
}
