import { TrackerError } from '../errors.js'
import { openPostgresStorage } from './postgres.js'
import { openSqliteStorage } from './sqlite.js'
import type { TrackerStorage } from './storage.js'

/** Options of {@link openStorage}. */
export interface OpenStorageOptions {
  /** Called with errors of idle PostgreSQL connections (the pool replaces them). */
  readonly onError?: (error: Error) => void
}

/**
 * Opens the storage a `--database` value names: a `postgres://` or
 * `postgresql://` URL, or a SQLite file (a path, or `sqlite:<path>`).
 *
 * @param database - the URL or path
 * @param options - error callback
 * @returns the storage
 * @throws {@link TrackerError} `DATABASE_URL_INVALID` for an empty value or another URL scheme,
 *   and the errors of the storage it opens
 */
export async function openStorage(database: string, options: OpenStorageOptions = {}): Promise<TrackerStorage> {
  if (/^postgres(ql)?:\/\//i.test(database)) {
    return openPostgresStorage(database, options.onError === undefined ? {} : { onError: options.onError })
  }
  const path = database.startsWith('sqlite:') ? database.slice('sqlite:'.length) : database
  if (path === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new TrackerError(
      'DATABASE_URL_INVALID',
      `--database must be a SQLite file or a postgres:// URL, got ${JSON.stringify(database.replace(/:[^:@/]*@/, ':***@'))}`,
    )
  }
  return openSqliteStorage(path)
}
