import type { Manifest, ManifestFile, PieceLocation } from '@mycel/pieces'
import { assertBytes, assertInteger } from '@mycel/wire/assert'

/** Options of every {@link PieceStore} operation. */
export interface PieceIoOptions {
  /** Aborts the operation: it rejects with `StoreError('ABORTED')` (an I/O already handed to the OS completes). */
  signal?: AbortSignal
}

/**
 * The bytes of one share, addressed as its manifest lays them out: by file
 * index (in `manifest.files` order) and byte offset in that file, with
 * piece-level conveniences on top (v2 pieces never span files, so a piece is
 * one range of one file).
 *
 * A store does not verify anything: the caller verifies a piece before
 * writing it, and records it verified (in a {@link StateStore}) only after
 * the write has resolved. Bytes a store holds but no state store vouches for
 * are untrusted; {@link index!recheck | recheck} turns them into a bitfield.
 *
 * Ranges outside a file are programming mistakes and throw `RangeError`;
 * disk and path problems reject with {@link StoreError}. Implementations:
 * {@link MemoryPieceStore}, and the file-system store of `@mycel/store/fs`.
 *
 * @example
 * ```ts
 * if (verifyPiece(manifest, index, bytes)) {
 *   await pieces.writePiece(index, bytes)
 *   state.markVerified(manifest.infohash, index)
 * }
 * const block = await pieces.read(fileIndex, offset, 16384) // serve a request
 * ```
 */
export interface PieceStore {
  /** The share whose bytes this store holds. */
  readonly manifest: Manifest
  /** Whether writes are refused (a share seeded in place is opened read-only). */
  readonly readOnly: boolean

  /**
   * Writes bytes of one file at an offset, in place (no read-modify-write).
   *
   * @param fileIndex - index in `manifest.files`
   * @param offset - byte offset in that file
   * @param bytes - the bytes; `offset + bytes.length` must not pass the file's end
   * @param options - abort signal
   * @throws RangeError for a range outside the file
   * @throws {@link StoreError} `READ_ONLY`, `DISK_FULL`, `NOT_WRITABLE`, `PATH_ESCAPE`, `PATH_CONFLICT`, `IO_FAILED`, `CLOSED`, `ABORTED`
   */
  write(fileIndex: number, offset: number, bytes: Uint8Array, options?: PieceIoOptions): Promise<void>

  /**
   * Reads bytes of one file: any range inside it, across piece boundaries
   * too (a streaming reader reads file ranges with this). Bytes of the file
   * that were never written read as zeros.
   *
   * @param fileIndex - index in `manifest.files`
   * @param offset - byte offset in that file
   * @param length - bytes to read; `offset + length` must not pass the file's end
   * @param options - abort signal
   * @returns a new array of `length` bytes
   * @throws RangeError for a range outside the file
   * @throws {@link StoreError} `DATA_MISSING` if the file is gone or shorter than the manifest says, `NOT_READABLE`, `PATH_ESCAPE`, `PATH_CONFLICT`, `IO_FAILED`, `CLOSED`, `ABORTED`
   */
  read(fileIndex: number, offset: number, length: number, options?: PieceIoOptions): Promise<Uint8Array>

  /**
   * Reads bytes of one file into a buffer the caller owns (no allocation):
   * exactly `target.length` bytes starting at `offset`.
   *
   * @param fileIndex - index in `manifest.files`
   * @param offset - byte offset in that file
   * @param target - filled completely
   * @param options - abort signal
   * @returns `target`
   * @throws as {@link PieceStore.read}
   */
  readInto(fileIndex: number, offset: number, target: Uint8Array, options?: PieceIoOptions): Promise<Uint8Array>

  /**
   * Writes a whole piece at its place (`manifest.locatePiece`).
   *
   * @param piece - global piece index
   * @param bytes - exactly the piece's bytes (`manifest.pieceSize`)
   * @param options - abort signal
   * @throws RangeError if `bytes` is not the piece's size or the piece does not exist
   * @throws {@link StoreError} as {@link PieceStore.write}
   */
  writePiece(piece: number, bytes: Uint8Array, options?: PieceIoOptions): Promise<void>

  /**
   * Reads a whole piece.
   *
   * @param piece - global piece index
   * @param options - abort signal
   * @returns a new array of the piece's size
   * @throws RangeError if the piece does not exist
   * @throws {@link StoreError} as {@link PieceStore.read}
   */
  readPiece(piece: number, options?: PieceIoOptions): Promise<Uint8Array>

  /**
   * Whether the store may hold a piece's bytes: false when it certainly does
   * not (never written to a memory store; file missing or too short on
   * disk). True does not mean verified; `recheck` uses this to skip what is
   * certainly absent.
   *
   * @param piece - global piece index
   * @param options - abort signal
   * @returns false if the piece's bytes are certainly not there
   * @throws RangeError if the piece does not exist
   * @throws `StoreError` `PATH_ESCAPE`, `PATH_CONFLICT`, `IO_FAILED`, `CLOSED`, `ABORTED`
   */
  has(piece: number, options?: PieceIoOptions): Promise<boolean>

  /**
   * Makes every byte written so far durable (`fdatasync` of the files
   * written since the last sync). Call it before recording pieces verified
   * when the record must survive a power loss, not just a crash of the
   * process.
   *
   * @param options - abort signal
   * @throws {@link StoreError} `DISK_FULL`, `IO_FAILED`, `CLOSED`, `ABORTED`
   */
  sync(options?: PieceIoOptions): Promise<void>

  /** Releases files and handles. Idempotent: every call returns the same promise. */
  close(): Promise<void>
}

/**
 * A base for {@link PieceStore} implementations: it provides
 * {@link PieceStore.read}, {@link PieceStore.writePiece} and
 * {@link PieceStore.readPiece} (with their argument checks) on top of the
 * five operations an implementation supplies.
 *
 * @example
 * ```ts
 * class IndexedDbPieceStore extends AbstractPieceStore {
 *   // manifest, readOnly, write, readInto, has, sync, close
 * }
 * ```
 */
export abstract class AbstractPieceStore implements PieceStore {
  /** {@inheritDoc index!PieceStore.manifest} */
  abstract readonly manifest: Manifest
  /** {@inheritDoc index!PieceStore.readOnly} */
  abstract readonly readOnly: boolean
  /** {@inheritDoc index!PieceStore.write} */
  abstract write(fileIndex: number, offset: number, bytes: Uint8Array, options?: PieceIoOptions): Promise<void>
  /** {@inheritDoc index!PieceStore.readInto} */
  abstract readInto(
    fileIndex: number,
    offset: number,
    target: Uint8Array,
    options?: PieceIoOptions,
  ): Promise<Uint8Array>
  /** {@inheritDoc index!PieceStore.has} */
  abstract has(piece: number, options?: PieceIoOptions): Promise<boolean>
  /** {@inheritDoc index!PieceStore.sync} */
  abstract sync(options?: PieceIoOptions): Promise<void>
  /** {@inheritDoc index!PieceStore.close} */
  abstract close(): Promise<void>

  /** {@inheritDoc index!PieceStore.read} */
  async read(fileIndex: number, offset: number, length: number, options: PieceIoOptions = {}): Promise<Uint8Array> {
    assertFileRange(this.manifest, fileIndex, offset, length)
    return this.readInto(fileIndex, offset, new Uint8Array(length), options)
  }

  /** {@inheritDoc index!PieceStore.writePiece} */
  async writePiece(piece: number, bytes: Uint8Array, options: PieceIoOptions = {}): Promise<void> {
    const { fileIndex, offset } = locateChecked(this.manifest, piece, bytes)
    return this.write(fileIndex, offset, bytes, options)
  }

  /** {@inheritDoc index!PieceStore.readPiece} */
  async readPiece(piece: number, options: PieceIoOptions = {}): Promise<Uint8Array> {
    const { fileIndex, offset, length } = locateChecked(this.manifest, piece)
    return this.read(fileIndex, offset, length, options)
  }
}

/**
 * Checks that a range lies inside one file of a manifest.
 * @returns the file
 * @internal
 */
export function assertFileRange(manifest: Manifest, fileIndex: number, offset: number, length: number): ManifestFile {
  assertInteger(fileIndex, 'fileIndex', { max: Math.max(0, manifest.files.length - 1) })
  const file = manifest.files[fileIndex] as ManifestFile
  assertInteger(offset, 'offset')
  assertInteger(length, 'length')
  if (offset + length > file.length) {
    throw new RangeError(`${length} bytes at ${offset} pass the end of file ${fileIndex} (${file.length} bytes)`)
  }
  return file
}

/**
 * Where a piece lives, with `bytes` (if given) checked to be its size.
 * @internal
 */
export function locateChecked(manifest: Manifest, piece: number, bytes?: Uint8Array): PieceLocation {
  assertInteger(piece, 'piece', { max: manifest.pieceCount - 1 })
  const location = manifest.locatePiece(piece)
  if (bytes !== undefined) {
    assertBytes(bytes, 'bytes')
    if (bytes.length !== location.length) {
      throw new RangeError(`piece ${piece} has ${location.length} bytes, got ${bytes.length}`)
    }
  }
  return location
}
