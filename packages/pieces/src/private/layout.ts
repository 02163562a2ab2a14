/**
 * Files laid out as a piece store addresses them, without hashes: a private
 * share's plaintext files (which are never hashed: the ciphertext is) as a
 * {@link Manifest}, so that a store made for shares can read and write them
 * by file index and offset.
 * @module
 */
import { MANIFEST_LIMITS } from '../limits.js'
import { Manifest, type ManifestFile } from '../manifest/model.js'
import { assertSafeComponent, assertSafePath } from '../manifest/paths.js'

/** A file to lay out: its path in the folder (or `[name]` alone) and its length. */
export interface LayoutFile {
  readonly path: readonly string[]
  readonly length: number
  readonly executable?: boolean
}

/**
 * Lays out files for a piece store: a manifest with the files in the order
 * given, pieces of 16 MiB, and no hashes (its infohash, pieces roots and
 * info dictionary are empty: nothing can be verified against it, and it
 * must never be served or saved as a share).
 *
 * @param name - the folder's name (or the single file's)
 * @param files - the files (a single file: one file whose path is `[name]`)
 * @returns the layout
 * @throws PiecesError `MANIFEST_BAD_PATH` for an unsafe name or path; RangeError for a bad length
 *
 * @example
 * ```ts
 * const layout = layoutManifest('tax-2026', opened.manifest.files)
 * const store = await openSeedStore(layout, '/home/u/tax-2026')
 * ```
 */
export function layoutManifest(name: string, files: readonly LayoutFile[]): Manifest {
  assertSafeComponent(name, MANIFEST_LIMITS, 'name')
  const pieceLength = MANIFEST_LIMITS.maxPieceLength
  let firstPiece = 0
  const placed: ManifestFile[] = files.map((file) => {
    assertSafePath(file.path, MANIFEST_LIMITS)
    if (!Number.isSafeInteger(file.length) || file.length < 0) throw new RangeError('length must be a size')
    const pieceCount = Math.ceil(file.length / pieceLength)
    const placedFile = {
      path: [...file.path],
      length: file.length,
      firstPiece,
      pieceCount,
      attr: file.executable ? 'x' : '',
    }
    firstPiece += pieceCount
    return placedFile
  })
  return new Manifest({
    infohash: new Uint8Array(32),
    info: new Uint8Array(0),
    name,
    pieceLength,
    files: placed,
    singleFile: placed.length === 1 && (placed[0] as ManifestFile).path.length === 1,
  })
}
