import { StoreError, type StoreErrorCode } from '../errors.js'

/** The store codes of the `DOMException` names browser storage throws. */
const CODES: Readonly<Record<string, StoreErrorCode>> = {
  QuotaExceededError: 'DISK_FULL',
  NotFoundError: 'DATA_MISSING',
  TypeMismatchError: 'PATH_CONFLICT',
  NotAllowedError: 'NOT_WRITABLE',
  SecurityError: 'NOT_WRITABLE',
  InvalidStateError: 'IO_FAILED',
  NoModificationAllowedError: 'IO_FAILED',
}

/**
 * A browser storage failure as a {@link index!StoreError | StoreError}: a full quota is
 * `DISK_FULL`, a missing entry `DATA_MISSING`, a file where a folder is
 * (or the reverse) `PATH_CONFLICT`, a refused permission `NOT_WRITABLE`,
 * anything else `IO_FAILED`; the exception is the `cause`.
 * @internal
 */
export function browserStorageError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error
  const name = typeof error === 'object' && error !== null ? String((error as { name?: unknown }).name) : ''
  const message = error instanceof Error ? error.message : String(error)
  return new StoreError(CODES[name] ?? 'IO_FAILED', `${what}: ${name || 'error'}: ${message}`, { cause: error })
}
