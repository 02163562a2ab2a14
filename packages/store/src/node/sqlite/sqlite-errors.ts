/**
 * Turning SQLite and file-system failures of the state database into
 * {@link index!StoreError | StoreError}s with a code and a message naming the database.
 * @internal
 * @module
 */
import { PiecesError } from '@mycel/pieces'
import { StoreError, type StoreErrorCode } from '../../errors.js'

/** The StoreError code of a SQLite result code (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`, ...). */
function codeOf(sqliteCode: string): StoreErrorCode {
  if (sqliteCode.startsWith('SQLITE_CORRUPT') || sqliteCode === 'SQLITE_NOTADB') return 'DATABASE_CORRUPT'
  if (sqliteCode === 'SQLITE_FULL') return 'DISK_FULL'
  if (sqliteCode.startsWith('SQLITE_BUSY') || sqliteCode.startsWith('SQLITE_LOCKED')) return 'DATABASE_LOCKED'
  if (
    sqliteCode.startsWith('SQLITE_CANTOPEN') ||
    sqliteCode.startsWith('SQLITE_READONLY') ||
    sqliteCode === 'SQLITE_PERM' ||
    sqliteCode === 'SQLITE_AUTH'
  ) {
    return 'NOT_WRITABLE'
  }
  if (sqliteCode.startsWith('SQLITE_IOERR')) return 'IO_FAILED'
  return 'DATABASE_FAILED'
}

const ERRNO_CODES: Record<string, StoreErrorCode> = {
  ENOSPC: 'DISK_FULL',
  EDQUOT: 'DISK_FULL',
  EACCES: 'NOT_WRITABLE',
  EPERM: 'NOT_WRITABLE',
  EROFS: 'NOT_WRITABLE',
  ENOTDIR: 'NOT_WRITABLE',
  EEXIST: 'NOT_WRITABLE',
}

/**
 * The StoreError for anything thrown while using the database at `path`:
 * StoreErrors pass through; SQLite errors, file-system errors and manifests
 * that no longer decode are mapped; programming errors (TypeError,
 * RangeError) pass through unchanged.
 */
export function databaseError(err: unknown, path: string): unknown {
  if (err instanceof StoreError) return err
  if (err instanceof PiecesError) {
    return new StoreError(
      'DATABASE_CORRUPT',
      `state database ${path} holds a manifest that does not decode: ${err.message}`,
      {
        cause: err,
      },
    )
  }
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    const mapped = codeOf(code)
    return new StoreError(mapped, `state database ${path}: ${describe(mapped)} (${(err as Error).message})`, {
      cause: err,
    })
  }
  if (typeof code === 'string' && ERRNO_CODES[code] !== undefined) {
    const mapped = ERRNO_CODES[code] as StoreErrorCode
    return new StoreError(mapped, `state database ${path}: ${describe(mapped)} (${(err as Error).message})`, {
      cause: err,
    })
  }
  return err
}

function describe(code: StoreErrorCode): string {
  switch (code) {
    case 'DATABASE_CORRUPT':
      return 'the file is not a valid SQLite database or is damaged'
    case 'DISK_FULL':
      return 'no space left for the database'
    case 'DATABASE_LOCKED':
      return 'another process or store has the database open'
    case 'NOT_WRITABLE':
      return 'the database cannot be opened for writing'
    case 'IO_FAILED':
      return 'reading or writing the database failed'
    default:
      return 'the database operation failed'
  }
}
