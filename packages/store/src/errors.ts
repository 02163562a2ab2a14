import { MycelError, type MycelErrorOptions } from '@mycel/wire'

/**
 * Stable codes of {@link StoreError}. They never change meaning once
 * released; `docs/errors.md` describes each.
 */
export type StoreErrorCode =
  | 'PATH_ESCAPE'
  | 'PATH_CONFLICT'
  | 'NOT_WRITABLE'
  | 'NOT_READABLE'
  | 'DISK_FULL'
  | 'DATA_MISSING'
  | 'FILE_EXISTS'
  | 'READ_ONLY'
  | 'IO_FAILED'
  | 'DATABASE_CORRUPT'
  | 'DATABASE_FOREIGN'
  | 'DATABASE_FAILED'
  | 'DATABASE_LOCKED'
  | 'SCHEMA_TOO_NEW'
  | 'SQLITE_UNAVAILABLE'
  | 'UNKNOWN_SHARE'
  | 'SHARE_EXISTS'
  | 'CLOSED'
  | 'ABORTED'

/**
 * The one error class of `@mycel/store`, a {@link MycelError} (`ABORTED` and
 * `CLOSED` come from its shared factories). Everything that goes wrong with the
 * disk, the database or a path taken from a manifest is reported with this
 * class and a stable {@link StoreError.code}; the underlying error (a Node
 * `ENOSPC`, a SQLite `SQLITE_CORRUPT`) is kept as `cause`. Programming
 * mistakes of the caller (a range outside a file, a negative delta, a
 * bitfield of the wrong size) throw `TypeError` or `RangeError` instead.
 *
 * @example
 * ```ts
 * try {
 *   await pieces.writePiece(index, bytes)
 * } catch (err) {
 *   if (err instanceof StoreError && err.code === 'DISK_FULL') pauseDownload(err.message)
 *   else throw err
 * }
 * ```
 */
export class StoreError extends MycelError<StoreErrorCode> {
  /**
   * @param code - stable reason code
   * @param message - human-readable detail, naming the file or database concerned
   * @param options - `cause`: the underlying error, if any
   */
  constructor(code: StoreErrorCode, message: string, options?: MycelErrorOptions) {
    super(code, message, options)
    this.name = 'StoreError'
  }

  /** @internal */
  static unknownShare(infohashHex: string): StoreError {
    return new StoreError('UNKNOWN_SHARE', `no share ${infohashHex} in the state store`)
  }
}
