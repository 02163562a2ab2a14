/**
 * Turning Node file-system errors into {@link index!StoreError | StoreError}s whose message
 * names the file and says what failed, and logging the paths a store refuses.
 * @internal
 * @module
 */
import type { Manifest } from '@mycel/pieces'
import { type ComponentLogger, describeError } from '@mycel/wire/log'
import { StoreError, type StoreErrorCode } from '../../errors.js'

/** What the store was doing when the error happened. */
export type FsAction = 'read' | 'write' | 'open' | 'create' | 'sync' | 'check'

const BY_ERRNO: Record<string, StoreErrorCode> = {
  ENOSPC: 'DISK_FULL',
  EDQUOT: 'DISK_FULL',
  EROFS: 'NOT_WRITABLE',
  ELOOP: 'PATH_ESCAPE',
  ENOTDIR: 'PATH_CONFLICT',
  EISDIR: 'PATH_CONFLICT',
  ENOENT: 'DATA_MISSING',
}

function codeFor(errno: string, action: FsAction): StoreErrorCode {
  if (errno === 'EACCES' || errno === 'EPERM') return action === 'read' ? 'NOT_READABLE' : 'NOT_WRITABLE'
  return BY_ERRNO[errno] ?? 'IO_FAILED'
}

const EXPLAINED: Partial<Record<StoreErrorCode, string>> = {
  DISK_FULL: 'no space left on the device',
  NOT_WRITABLE: 'permission denied or read-only file system',
  NOT_READABLE: 'permission denied',
  PATH_ESCAPE: 'a symbolic link is in the way',
  PATH_CONFLICT: 'a file is where a folder should be, or a folder where a file should be',
  DATA_MISSING: 'the file is missing',
}

/** The StoreError for a Node error thrown while doing `action` on `path`; StoreErrors pass through. */
export function fsError(err: unknown, action: FsAction, path: string): unknown {
  if (err instanceof StoreError) return err
  const errno = (err as { code?: unknown } | null)?.code
  if (typeof errno !== 'string') return err
  const code = codeFor(errno, action)
  const why = EXPLAINED[code] ?? (err as Error).message
  return new StoreError(code, `cannot ${action} ${path}: ${why} (${errno})`, { cause: err })
}

/** The codes of a path the store refuses to use: what {@link logRefusal} logs. */
const REFUSALS: ReadonlySet<string> = new Set(['PATH_ESCAPE', 'PATH_CONFLICT', 'FILE_EXISTS'])

/**
 * Logs a path refused for a share (at `debug`: the caller gets the error
 * too), and nothing for other errors.
 * @internal
 */
export function logRefusal(log: ComponentLogger, manifest: Manifest, error: unknown): void {
  if (error instanceof StoreError && REFUSALS.has(error.code) && log.enabled('debug')) {
    log.debug(`refused a path of share ${manifest.name} (${manifest.infohashHex}): ${describeError(error)}`, {
      code: error.code,
    })
  }
}
