import { toHex } from '@mycel/wire'
import { PiecesError } from '../errors.js'
import { HASH_SIZE } from '../limits.js'
import type { V1PieceHashes } from '../merkle/file-hasher.js'

/** One file of a share, in canonical (BEP 52 file tree) order. */
export interface ManifestFile {
  /** Path components relative to the share root, e.g. `['photos', '2024', 'a.jpg']`. */
  readonly path: readonly string[]
  /** Size in bytes. */
  readonly length: number
  /** Root of the file's Merkle tree (32 bytes); absent for an empty file. */
  readonly piecesRoot?: Uint8Array
  /** The file's piece layer (32 bytes per piece); only for files longer than one piece. */
  readonly pieceLayer?: Uint8Array
  /** Global index of the file's first piece (for an empty file: of the next file's first piece). */
  readonly firstPiece: number
  /** Pieces of this file: `ceil(length / pieceLength)`, 0 for an empty file. */
  readonly pieceCount: number
  /** BEP 47 attribute letters from the file tree (`''` if none), e.g. `'x'` for executable. */
  readonly attr: string
}

/** Where a piece lives: which file, where in it, how long. */
export interface PieceLocation {
  /** Index of the file in {@link Manifest.files}. */
  readonly fileIndex: number
  /** Byte offset of the piece in that file. */
  readonly offset: number
  /** Bytes in the piece (the last piece of a file is shorter). */
  readonly length: number
}

/** What a hybrid (v1+v2) info dictionary adds, when the manifest came from one. */
export interface HybridInfo {
  /** SHA-1 of the info dictionary: the v1 infohash (20 bytes). */
  readonly infohashV1: Uint8Array
  /** Whether the v1 file list pads the last file too (libtorrent's default) or not. */
  readonly tailPadding: boolean
}

/** @internal */
export interface ManifestInit {
  infohash: Uint8Array
  info: Uint8Array
  name: string
  pieceLength: number
  files: ManifestFile[]
  singleFile: boolean
  hybrid?: HybridInfo
  v1?: V1PieceHashes
  privateTorrent?: boolean
}

/**
 * A share's metadata: the BEP 52 info dictionary (as the exact bytes its
 * infohash is computed over) and the piece layers, with the files in
 * canonical order and a global piece numbering.
 *
 * Pieces are numbered across the share file by file: v2 pieces never span
 * files, so file `f` owns pieces `files[f].firstPiece` to
 * `files[f].firstPiece + files[f].pieceCount - 1`, and empty files own none.
 * This is also the piece numbering of the hybrid `.torrent` export.
 *
 * Manifests are made by {@link ingest}, {@link createManifest},
 * {@link decodeMetadata} and {@link decodeTorrent}, which all validate them.
 *
 * @example
 * ```ts
 * const manifest = decodeMetadata(bytes, infohash)
 * const { fileIndex, offset, length } = manifest.locatePiece(42)
 * console.log(manifest.files[fileIndex]?.path.join('/'), offset, length)
 * ```
 */
export class Manifest {
  /** SHA-256 of {@link Manifest.info}: the share's identity (32 bytes). */
  readonly infohash: Uint8Array
  /** The bencoded info dictionary, exactly as hashed. */
  readonly info: Uint8Array
  /** The share's name (a file name for a single file, the folder name otherwise). */
  readonly name: string
  /** Bytes per piece: a power of two from 16 KiB to 16 MiB. */
  readonly pieceLength: number
  /** The files, in canonical order (file tree order: path components compared as bytes). */
  readonly files: readonly ManifestFile[]
  /** Pieces in the share, all files together. */
  readonly pieceCount: number
  /** Bytes in the share, all files together (without any padding). */
  readonly totalLength: number
  /**
   * Whether the share is one file rather than a folder: exactly one file, at
   * the top of the file tree, and no v1 `files` list saying otherwise. A
   * store writes a single file at `<dest>/<path[0]>` and a folder's files at
   * `<dest>/<name>/<path...>`, as libtorrent does.
   */
  readonly singleFile: boolean
  /** Present when the info dictionary is a hybrid (v1+v2) one. */
  readonly hybrid?: HybridInfo
  /**
   * Whether the info dictionary says `private` = 1 (BEP 27, a private
   * torrent): peers of the share are to be found only through the trackers
   * of its torrent, never through the DHT or peer exchange.
   */
  readonly privateTorrent: boolean
  /** SHA-1 piece hashes computed at ingest (`v1: true`), for a hybrid `.torrent` export. Not part of the metadata. */
  readonly v1?: V1PieceHashes
  /** `firstPiece` of each file that has pieces, for binary search. */
  private readonly starts: Float64Array
  /** Index in {@link Manifest.files} of each entry of `starts`. */
  private readonly startFiles: Uint32Array

  /** @internal */
  constructor(init: ManifestInit) {
    this.infohash = init.infohash
    this.info = init.info
    this.name = init.name
    this.pieceLength = init.pieceLength
    this.files = Object.freeze(init.files.map((file) => Object.freeze(file)))
    this.singleFile = init.singleFile
    this.privateTorrent = init.privateTorrent === true
    if (init.hybrid) this.hybrid = init.hybrid
    if (init.v1) this.v1 = init.v1
    const withPieces = init.files.flatMap((file, index) => (file.pieceCount > 0 ? [index] : []))
    this.starts = Float64Array.from(withPieces, (index) => (init.files[index] as ManifestFile).firstPiece)
    this.startFiles = Uint32Array.from(withPieces)
    const last = init.files[init.files.length - 1]
    this.pieceCount = last ? last.firstPiece + last.pieceCount : 0
    this.totalLength = init.files.reduce((sum, file) => sum + file.length, 0)
  }

  /** The infohash as 64 lower-case hex digits. */
  get infohashHex(): string {
    return toHex(this.infohash)
  }

  /**
   * The file a piece belongs to.
   *
   * @param piece - global piece index
   * @returns index in {@link Manifest.files}
   * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE` if there is no such piece
   */
  fileOfPiece(piece: number): number {
    this.assertPiece(piece)
    const starts = this.starts
    let low = 0
    let high = starts.length - 1
    while (low < high) {
      const mid = (low + high + 1) >>> 1
      if ((starts[mid] as number) <= piece) low = mid
      else high = mid - 1
    }
    return this.startFiles[low] as number
  }

  /**
   * Where a piece lives.
   *
   * @param piece - global piece index
   * @returns its file, byte offset in that file and byte length
   * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE` if there is no such piece
   */
  locatePiece(piece: number): PieceLocation {
    const fileIndex = this.fileOfPiece(piece)
    const file = this.files[fileIndex] as ManifestFile
    const offset = (piece - file.firstPiece) * this.pieceLength
    return { fileIndex, offset, length: Math.min(this.pieceLength, file.length - offset) }
  }

  /**
   * Bytes in a piece: the piece length, or less for the last piece of a file.
   *
   * @param piece - global piece index
   * @returns the byte length
   * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE` if there is no such piece
   */
  pieceSize(piece: number): number {
    const file = this.files[this.fileOfPiece(piece)] as ManifestFile
    return Math.min(this.pieceLength, file.length - (piece - file.firstPiece) * this.pieceLength)
  }

  /**
   * The piece holding a byte of a file.
   *
   * @param fileIndex - index in {@link Manifest.files}
   * @param offset - byte offset in that file, below its length
   * @returns the global piece index
   * @throws RangeError if the file or the offset does not exist
   */
  pieceAt(fileIndex: number, offset: number): number {
    const file = this.files[fileIndex]
    if (!Number.isSafeInteger(fileIndex) || file === undefined) throw new RangeError(`no file ${String(fileIndex)}`)
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= file.length) {
      throw new RangeError(`offset ${String(offset)} is outside file ${fileIndex} of ${file.length} bytes`)
    }
    return file.firstPiece + Math.floor(offset / this.pieceLength)
  }

  /**
   * The hash a piece must have: its entry in the file's piece layer, or the
   * file's `pieces root` when the file is not longer than one piece. The
   * returned array is a view; do not modify it.
   *
   * @param piece - global piece index
   * @returns 32 bytes
   * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE` if there is no such piece
   */
  expectedPieceHash(piece: number): Uint8Array {
    const file = this.files[this.fileOfPiece(piece)] as ManifestFile
    if (file.pieceLayer === undefined) return file.piecesRoot as Uint8Array
    const at = (piece - file.firstPiece) * HASH_SIZE
    return file.pieceLayer.subarray(at, at + HASH_SIZE)
  }

  private assertPiece(piece: number): void {
    if (!Number.isSafeInteger(piece) || piece < 0 || piece >= this.pieceCount) {
      throw new PiecesError('PIECE_OUT_OF_RANGE', `piece ${String(piece)} is not in 0..${this.pieceCount - 1}`)
    }
  }
}
