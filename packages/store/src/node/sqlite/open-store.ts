import { resolve } from 'node:path'
import { assertInteger } from '@mycel/wire/assert'
import { componentLogger, type Logger } from '@mycel/wire/log'
import { DEFAULT_MAX_PEERS } from '../../limits.js'
import { openDatabase } from './open.js'
import { databaseError } from './sqlite-errors.js'
import { SqliteDatabaseStore, type SqliteStateStore } from './sqlite-state-store.js'

/** Options of {@link openSqliteStateStore}. */
export interface SqliteStateStoreOptions {
  /**
   * Milliseconds between the automatic flushes of pending piece marks
   * (default 100). At most this much progress is lost by a crash; it is
   * re-verified or re-downloaded, never trusted wrongly.
   */
  flushInterval?: number
  /**
   * SQLite `synchronous` setting. `normal` (the default): a commit survives a
   * crash of the process; after a power loss the last commits may be rolled
   * back, never half-applied. `full`: commits also survive a power loss, at
   * the cost of an fsync per commit.
   */
  synchronous?: 'normal' | 'full'
  /**
   * Called before each batch of piece marks is committed, after the batch
   * was taken: make the marked pieces' bytes durable here
   * (`pieceStore.sync()`) so that no record of a verified piece can reach
   * the disk before the piece itself, even across a power loss. A rejection
   * fails the flush and keeps the batch pending.
   */
  beforeCommit?: () => Promise<void> | void
  /** Cap on the database size in bytes; writes beyond it fail with `DISK_FULL`. Default none. */
  maxBytes?: number
  /** Run `PRAGMA quick_check` when opening (slow for large databases). Default false. */
  integrityCheck?: boolean
  /** Milliseconds to wait for a lock held by another connection. Default 2,000. */
  busyTimeout?: number
  /** Decoded manifests kept in memory. Default 8. */
  manifestCacheSize?: number
  /** Most peer records kept; default 10,000. */
  maxPeers?: number
  /** The clock (ms since the epoch); default `Date.now`. */
  now?: () => number
  /**
   * Where the store logs, under `mycel:store`: a commit of piece marks that
   * failed (`warn`, once per run of failures; the marks stay pending and are
   * retried) and its recovery (`info`). Default: silent.
   */
  logger?: Logger
}

/**
 * Opens (creating if needed) a SQLite state database: WAL mode, an
 * exclusive lock (one store per database), schema created or migrated to
 * the current version. A file that is not a mycel state database is refused
 * and left untouched.
 *
 * @param path - the database file (its folder is created if missing), or `':memory:'`
 * @param options - flushing, durability, size cap, clock
 * @returns the open store
 * @throws {@link index!StoreError | StoreError} `SQLITE_UNAVAILABLE` (better-sqlite3 not installed),
 *   `NOT_WRITABLE`, `DATABASE_CORRUPT` (not SQLite, or damaged), `DATABASE_FOREIGN`
 *   (another application's database), `SCHEMA_TOO_NEW`, `DATABASE_LOCKED` (open elsewhere),
 *   `DISK_FULL`
 *
 * @example
 * ```ts
 * const state = await openSqliteStateStore(join(dataDir, 'state.db'), { beforeCommit: () => pieces.sync() })
 * state.markVerified(infohash, 7)
 * await state.close() // flushes
 * ```
 */
export async function openSqliteStateStore(
  path: string,
  options: SqliteStateStoreOptions = {},
): Promise<SqliteStateStore> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string')
  const flushInterval = assertInteger(options.flushInterval ?? 100, 'flushInterval', { min: 1 })
  const manifestCacheSize = assertInteger(options.manifestCacheSize ?? 8, 'manifestCacheSize')
  const maxPeers = assertInteger(options.maxPeers ?? DEFAULT_MAX_PEERS, 'maxPeers', { min: 1 })
  if (options.synchronous !== undefined && options.synchronous !== 'normal' && options.synchronous !== 'full') {
    throw new TypeError(`synchronous must be 'normal' or 'full'`)
  }
  const log = componentLogger(options.logger, 'mycel:store')
  const where = path === ':memory:' ? path : resolve(path)
  const db = await openDatabase(where, {
    synchronous: options.synchronous ?? 'normal',
    busyTimeout: assertInteger(options.busyTimeout ?? 2000, 'busyTimeout'),
    maxBytes: options.maxBytes === undefined ? undefined : assertInteger(options.maxBytes, 'maxBytes', { min: 1 }),
    integrityCheck: options.integrityCheck === true,
  })
  try {
    return new SqliteDatabaseStore(db, where, {
      flushInterval,
      manifestCacheSize,
      maxPeers,
      now: options.now ?? Date.now,
      beforeCommit: options.beforeCommit,
      log,
    })
  } catch (err) {
    db.close()
    throw databaseError(err, where)
  }
}
