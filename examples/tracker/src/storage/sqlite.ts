/**
 * The tracker's state in one SQLite file (better-sqlite3): the default,
 * nothing to set up. WAL mode, so `mycel-tracker whitelist add` can write
 * while the server runs.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { RegisteredInfohash } from '../core/registry.js'
import { TrackerError } from '../errors.js'
import {
  byKey,
  CHUNK,
  REGISTRY_VERSION_COUNTER,
  SCHEMA_VERSION,
  SQLITE_APPLICATION_ID,
  schemaStatements,
} from './schema.js'
import { type SqlDatabase, sqliteDatabase } from './sql.js'
import type { FlushBatch, StoredSwarm, TrackerStorage } from './storage.js'

interface SwarmRow {
  info_hash: Uint8Array
  completed: number
}

interface InfohashRow {
  info_hash: Uint8Array
  swarm: Uint8Array
  torrent: Uint8Array
  name: string | null
  added_at: number
}

function failed(path: string, what: string, err: unknown): TrackerError {
  if (err instanceof TrackerError) return err
  const code = (err as { code?: string }).code
  if (code === 'SQLITE_NOTADB') {
    return new TrackerError('DATABASE_FOREIGN', `${path} is not a SQLite database; it was left untouched`, {
      cause: err,
    })
  }
  return new TrackerError('DATABASE_FAILED', `${path}: ${what} failed: ${(err as Error).message}`, { cause: err })
}

/** Refuses a database of another application, without writing to it; returns its schema version. */
function checkIdentity(db: Database.Database, path: string): number {
  const applicationId = db.pragma('application_id', { simple: true }) as number
  const version = db.pragma('user_version', { simple: true }) as number
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]
  if (applicationId === 0 && version === 0 && tables.length === 0) return 0
  if (applicationId !== SQLITE_APPLICATION_ID) {
    throw new TrackerError(
      'DATABASE_FOREIGN',
      `${path} is a SQLite database of another application (tables ${tables.slice(0, 5).join(', ') || 'none'}); it was left untouched`,
    )
  }
  if (version > SCHEMA_VERSION) {
    throw new TrackerError(
      'SCHEMA_TOO_NEW',
      `${path} has schema version ${version}, newer than the ${SCHEMA_VERSION} this mycel-tracker knows; upgrade it`,
    )
  }
  return version
}

/**
 * Opens (creating if needed) a tracker database file.
 *
 * @param path - the file (its folder is created), or `:memory:`
 * @returns the storage
 * @throws {@link TrackerError} `DATABASE_FOREIGN` for a file that is not a mycel
 *   tracker database (left untouched), `SCHEMA_TOO_NEW`, `DATABASE_FAILED`
 */
export function openSqliteStorage(path: string): TrackerStorage {
  let db: Database.Database
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    db = new Database(path, { timeout: 5000 })
  } catch (err) {
    throw failed(path, 'opening', err)
  }
  try {
    const version = checkIdentity(db, path)
    if (path !== ':memory:') db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    if (version < SCHEMA_VERSION) {
      db.transaction(() => {
        for (const statement of schemaStatements('sqlite')) db.exec(statement)
        db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`)
        db.pragma(`user_version = ${SCHEMA_VERSION}`)
      })()
    }
  } catch (err) {
    db.close()
    throw failed(path, 'opening', err)
  }
  return new SqliteStorage(db, path)
}

class SqliteStorage implements TrackerStorage {
  readonly kind = 'sqlite' as const
  private closed = false
  private readonly addCompleted: Database.Statement
  private readonly addCounter: Database.Statement
  private readonly readSecret: Database.Statement
  private readonly insertSecret: Database.Statement
  readonly sql: SqlDatabase

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    this.sql = sqliteDatabase(db, path, () => this.closed)
    this.addCompleted = db.prepare(
      'INSERT INTO tracker_swarms (info_hash, completed) VALUES (?, ?) ON CONFLICT (info_hash) DO UPDATE SET completed = completed + excluded.completed',
    )
    this.addCounter = db.prepare(
      'INSERT INTO tracker_counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
    )
    this.readSecret = db.prepare("SELECT value FROM tracker_meta WHERE key = 'secret'").pluck()
    this.insertSecret = db.prepare(
      "INSERT INTO tracker_meta (key, value) VALUES ('secret', ?) ON CONFLICT (key) DO NOTHING",
    )
  }

  /** Runs `work` on the open database, mapping its errors. */
  private run<T>(what: string, work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(TrackerError.closed())
    try {
      return Promise.resolve(work())
    } catch (err) {
      return Promise.reject(failed(this.path, what, err))
    }
  }

  secret(): Promise<Uint8Array> {
    return this.run('reading the secret', () => {
      this.insertSecret.run(randomBytes(32))
      return new Uint8Array(this.readSecret.get() as Buffer)
    })
  }

  flush(batch: FlushBatch): Promise<void> {
    return this.run('flushing', () =>
      this.db.transaction(() => {
        for (const { infohash, delta } of byKey(batch.completed)) this.addCompleted.run(infohash, delta)
        for (const { name, delta } of batch.counters) this.addCounter.run(name, delta)
      })(),
    )
  }

  loadSwarms(limit: number): Promise<{ swarms: StoredSwarm[]; total: number }> {
    return this.run('loading swarms', () => {
      const rows = this.db
        .prepare('SELECT info_hash, completed FROM tracker_swarms ORDER BY completed DESC LIMIT ?')
        .all(limit) as SwarmRow[]
      const total = this.db.prepare('SELECT count(*) FROM tracker_swarms').pluck().get() as number
      return { swarms: rows.map(toSwarm), total }
    })
  }

  swarms(infohashes: readonly Uint8Array[]): Promise<StoredSwarm[]> {
    return this.run('reading swarms', () => {
      const out: StoredSwarm[] = []
      for (let at = 0; at < infohashes.length; at += CHUNK) {
        const chunk = infohashes.slice(at, at + CHUNK)
        const rows = this.db
          .prepare(
            `SELECT info_hash, completed FROM tracker_swarms WHERE info_hash IN (${chunk.map(() => '?').join(',')})`,
          )
          .all(...chunk) as SwarmRow[]
        out.push(...rows.map(toSwarm))
      }
      return out
    })
  }

  counters(): Promise<Map<string, number>> {
    return this.run('reading counters', () => {
      const rows = this.db
        .prepare('SELECT name, value FROM tracker_counters WHERE name <> ?')
        .all(REGISTRY_VERSION_COUNTER) as Array<{ name: string; value: number }>
      return new Map(rows.map((row) => [row.name, row.value]))
    })
  }

  register(entries: readonly RegisteredInfohash[]): Promise<void> {
    return this.run('registering', () => {
      const upsert = this.db.prepare(
        'INSERT INTO tracker_infohashes (info_hash, swarm, torrent, name, added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (info_hash) DO UPDATE SET swarm = excluded.swarm, torrent = excluded.torrent, name = excluded.name',
      )
      this.db.transaction(() => {
        for (const entry of byKey(entries)) {
          upsert.run(entry.infohash, entry.swarm, entry.torrent, entry.name ?? null, entry.addedAt)
        }
        this.addCounter.run(REGISTRY_VERSION_COUNTER, 1)
      })()
    })
  }

  unregister(infohashes: readonly Uint8Array[]): Promise<number> {
    return this.run('unregistering', () => {
      const torrentOf = this.db.prepare('SELECT torrent FROM tracker_infohashes WHERE info_hash = ?').pluck()
      const remove = this.db.prepare('DELETE FROM tracker_infohashes WHERE torrent = ?')
      return this.db.transaction(() => {
        let removed = 0
        for (const infohash of infohashes) {
          const torrent = torrentOf.get(infohash) as Uint8Array | undefined
          if (torrent !== undefined) removed += remove.run(torrent).changes
        }
        this.addCounter.run(REGISTRY_VERSION_COUNTER, 1)
        return removed
      })()
    })
  }

  registered(): Promise<RegisteredInfohash[]> {
    return this.run('reading the registry', () => {
      const rows = this.db
        .prepare('SELECT info_hash, swarm, torrent, name, added_at FROM tracker_infohashes ORDER BY info_hash')
        .all() as InfohashRow[]
      return rows.map((row) => ({
        infohash: new Uint8Array(row.info_hash),
        swarm: new Uint8Array(row.swarm),
        torrent: new Uint8Array(row.torrent),
        ...(row.name !== null ? { name: row.name } : {}),
        addedAt: row.added_at,
      }))
    })
  }

  registryVersion(): Promise<number> {
    return this.run('reading the registry version', () => {
      const value = this.db
        .prepare('SELECT value FROM tracker_counters WHERE name = ?')
        .pluck()
        .get(REGISTRY_VERSION_COUNTER) as number | undefined
      return value ?? 0
    })
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      this.db.close()
    }
    return Promise.resolve()
  }
}

function toSwarm(row: SwarmRow): StoredSwarm {
  return { infohash: new Uint8Array(row.info_hash), completed: row.completed }
}
