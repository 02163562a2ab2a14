/**
 * Opening the state database: loading the optional driver, refusing files
 * that are not mycel state databases (without writing to them), setting the
 * pragmas and migrating the schema.
 * @internal
 * @module
 */
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { StoreError } from '../../errors.js'
import { APPLICATION_ID, migrate, REQUIRED_TABLES, SCHEMA_VERSION } from './schema.js'
import { databaseError } from './sqlite-errors.js'

/** How the database is opened. */
export interface DatabaseSettings {
  synchronous: 'normal' | 'full'
  busyTimeout: number
  maxBytes: number | undefined
  integrityCheck: boolean
}

type DatabaseConstructor = typeof BetterSqlite3

/** Loads better-sqlite3, which is an optional peer dependency. */
async function loadDriver(): Promise<DatabaseConstructor> {
  try {
    const module = (await import('better-sqlite3')) as { default: DatabaseConstructor }
    return module.default
  } catch (err) {
    throw new StoreError(
      'SQLITE_UNAVAILABLE',
      'the SQLite state store needs the better-sqlite3 package: npm install better-sqlite3',
      { cause: err },
    )
  }
}

/** Refuses a database that is not (or not yet understood as) a mycel state database. Reads only. */
function checkIdentity(db: BetterSqlite3.Database, path: string): number {
  const applicationId = db.pragma('application_id', { simple: true }) as number
  const version = db.pragma('user_version', { simple: true }) as number
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]
  if (applicationId === 0 && version === 0 && tables.length === 0) return 0
  if (applicationId !== APPLICATION_ID) {
    throw new StoreError(
      'DATABASE_FOREIGN',
      `${path} is a SQLite database of another application (application_id ${applicationId}, tables ${tables.slice(0, 5).join(', ') || 'none'}); it was left untouched`,
    )
  }
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'SCHEMA_TOO_NEW',
      `${path} has schema version ${version}, newer than the ${SCHEMA_VERSION} this version of mycel knows; upgrade mycel`,
    )
  }
  return version
}

/** After migration: the tables must all be there. */
function checkTables(db: BetterSqlite3.Database, path: string): void {
  const tables = new Set(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[])
  const missing = REQUIRED_TABLES.filter((table) => !tables.has(table))
  if (missing.length > 0) {
    throw new StoreError('DATABASE_CORRUPT', `${path} is a mycel state database without table(s) ${missing.join(', ')}`)
  }
}

/**
 * Opens (creating if needed) the state database at `path` and brings its
 * schema to the current version.
 *
 * @throws StoreError `SQLITE_UNAVAILABLE`, `NOT_WRITABLE`, `DATABASE_CORRUPT`,
 *   `DATABASE_FOREIGN`, `SCHEMA_TOO_NEW`, `DATABASE_LOCKED`, `DISK_FULL`
 */
export async function openDatabase(path: string, settings: DatabaseSettings): Promise<BetterSqlite3.Database> {
  const Database = await loadDriver()
  const inMemory = path === ':memory:'
  if (!inMemory) {
    try {
      await mkdir(dirname(path), { recursive: true })
    } catch (err) {
      throw databaseError(err, path)
    }
  }
  let db: BetterSqlite3.Database
  try {
    db = new Database(path, { timeout: settings.busyTimeout })
  } catch (err) {
    throw databaseError(err, path)
  }
  try {
    // One store per database: the exclusive lock, taken by the first write
    // below and held until close, makes a second opener fail with
    // DATABASE_LOCKED instead of both keeping diverging caches.
    db.pragma('locking_mode = EXCLUSIVE')
    const version = checkIdentity(db, path)
    if (!inMemory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true })
      if (mode !== 'wal') throw new StoreError('DATABASE_FAILED', `${path}: could not switch to WAL mode (got ${mode})`)
    }
    db.pragma(`synchronous = ${settings.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma('foreign_keys = ON')
    if (settings.maxBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(settings.maxBytes / pageSize))}`)
    }
    if (version < SCHEMA_VERSION) {
      try {
        migrate(db, version)
      } catch (err) {
        const mapped = databaseError(err, path)
        if (mapped instanceof StoreError) throw mapped
        throw new StoreError('DATABASE_FAILED', `${path}: migrating from schema version ${version} failed`, {
          cause: err,
        })
      }
    }
    checkTables(db, path)
    if (settings.integrityCheck) {
      const result = db.pragma('quick_check', { simple: true })
      if (result !== 'ok')
        throw new StoreError('DATABASE_CORRUPT', `${path} fails its integrity check: ${String(result)}`)
    }
    return db
  } catch (err) {
    db.close()
    throw databaseError(err, path)
  }
}
