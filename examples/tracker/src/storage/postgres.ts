/**
 * The tracker's state in PostgreSQL (`pg`), for operators who outgrow one
 * machine or run several tracker processes on one database: increments add
 * up, rows are locked in one order, the schema is created under an advisory
 * lock.
 * @module
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { RegisteredInfohash } from '../core/registry.js'
import { TrackerError } from '../errors.js'
import { byKey, CHUNK, REGISTRY_VERSION_COUNTER, SCHEMA_VERSION, schemaStatements } from './schema.js'
import { postgresDatabase, type SqlDatabase } from './sql.js'
import type { FlushBatch, StoredSwarm, TrackerStorage } from './storage.js'

/** Key of the advisory lock taken while the schema is created or checked ("mytr"). */
const SCHEMA_LOCK = 0x6d797472
/** OID of PostgreSQL's `bigint`, which `pg` returns as text unless told otherwise. */
const INT8_OID = 20

/** Options of {@link openPostgresStorage}. */
export interface PostgresStorageOptions {
  /** Connections in the pool. Default 4. */
  readonly maxConnections?: number
  /** Called with errors of idle connections (the pool replaces them). */
  readonly onError?: (error: Error) => void
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://…'
  }
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
}

/**
 * Connects to a PostgreSQL database and creates the tracker's tables in it
 * if they are missing (tables of other applications are left alone).
 *
 * @param url - `postgres://user:password@host:port/database`
 * @param options - pool size, error callback
 * @returns the storage
 * @throws {@link TrackerError} `DATABASE_FAILED` when the database cannot be reached or
 *   the schema cannot be created, `SCHEMA_TOO_NEW` for a newer schema
 */
export async function openPostgresStorage(url: string, options: PostgresStorageOptions = {}): Promise<TrackerStorage> {
  const where = redactUrl(url)
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: 10_000,
    types,
  })
  pool.on('error', (error) => options.onError?.(error))
  try {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK])
      for (const statement of schemaStatements('postgres')) await client.query(statement)
      const found = await client.query<{ value: Buffer }>("SELECT value FROM tracker_meta WHERE key = 'schema'")
      const version = found.rows[0] === undefined ? 0 : Number(found.rows[0].value.toString())
      if (version > SCHEMA_VERSION) {
        throw new TrackerError(
          'SCHEMA_TOO_NEW',
          `${where} has tracker schema version ${version}, newer than the ${SCHEMA_VERSION} this mycel-tracker knows; upgrade it`,
        )
      }
      if (version < SCHEMA_VERSION) {
        await client.query(
          "INSERT INTO tracker_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          [Buffer.from(String(SCHEMA_VERSION))],
        )
      }
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  } catch (err) {
    await pool.end().catch(() => {})
    if (err instanceof TrackerError) throw err
    throw new TrackerError('DATABASE_FAILED', `${where}: ${(err as Error).message}`, { cause: err })
  }
  return new PostgresStorage(pool, where)
}

class PostgresStorage implements TrackerStorage {
  readonly kind = 'postgres' as const
  private closing: Promise<void> | undefined
  private readonly inFlight = new Set<Promise<unknown>>()
  readonly sql: SqlDatabase

  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
  ) {
    this.sql = postgresDatabase(pool, where, () => this.closing !== undefined)
  }

  /** Runs `work` unless closed, tracks it for close(), maps its errors. */
  private run<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) return Promise.reject(TrackerError.closed())
    const promise = work().catch((err: unknown) => {
      if (err instanceof TrackerError) throw err
      throw new TrackerError('DATABASE_FAILED', `${this.where}: ${what} failed: ${(err as Error).message}`, {
        cause: err,
      })
    })
    this.inFlight.add(promise)
    const forget = () => this.inFlight.delete(promise)
    promise.then(forget, forget)
    return promise
  }

  /** Runs `work` in one transaction. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  secret(): Promise<Uint8Array> {
    return this.run('reading the secret', async () => {
      await this.pool.query(
        "INSERT INTO tracker_meta (key, value) VALUES ('secret', $1) ON CONFLICT (key) DO NOTHING",
        [randomBytes(32)],
      )
      const result = await this.pool.query<{ value: Buffer }>("SELECT value FROM tracker_meta WHERE key = 'secret'")
      return new Uint8Array(result.rows[0]?.value ?? [])
    })
  }

  flush(batch: FlushBatch): Promise<void> {
    return this.run('flushing', () =>
      this.transaction(async (client) => {
        const completed = byKey(batch.completed)
        for (let at = 0; at < completed.length; at += CHUNK) {
          const chunk = completed.slice(at, at + CHUNK)
          await client.query(
            `INSERT INTO tracker_swarms (info_hash, completed)
             SELECT * FROM unnest($1::bytea[], $2::bigint[])
             ON CONFLICT (info_hash) DO UPDATE SET completed = tracker_swarms.completed + excluded.completed`,
            [chunk.map((row) => Buffer.from(row.infohash)), chunk.map((row) => row.delta)],
          )
        }
        const counters = [...batch.counters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        if (counters.length > 0) {
          await client.query(
            `INSERT INTO tracker_counters (name, value)
             SELECT * FROM unnest($1::text[], $2::bigint[])
             ON CONFLICT (name) DO UPDATE SET value = tracker_counters.value + excluded.value`,
            [counters.map((row) => row.name), counters.map((row) => row.delta)],
          )
        }
      }),
    )
  }

  loadSwarms(limit: number): Promise<{ swarms: StoredSwarm[]; total: number }> {
    return this.run('loading swarms', async () => {
      const rows = await this.pool.query<{ info_hash: Buffer; completed: number }>(
        'SELECT info_hash, completed FROM tracker_swarms ORDER BY completed DESC LIMIT $1',
        [limit],
      )
      const total = await this.pool.query<{ count: number }>('SELECT count(*)::bigint AS count FROM tracker_swarms')
      return { swarms: rows.rows.map(toSwarm), total: total.rows[0]?.count ?? 0 }
    })
  }

  swarms(infohashes: readonly Uint8Array[]): Promise<StoredSwarm[]> {
    return this.run('reading swarms', async () => {
      const out: StoredSwarm[] = []
      for (let at = 0; at < infohashes.length; at += CHUNK) {
        const chunk = infohashes.slice(at, at + CHUNK).map((infohash) => Buffer.from(infohash))
        const rows = await this.pool.query<{ info_hash: Buffer; completed: number }>(
          'SELECT info_hash, completed FROM tracker_swarms WHERE info_hash = ANY($1::bytea[])',
          [chunk],
        )
        out.push(...rows.rows.map(toSwarm))
      }
      return out
    })
  }

  counters(): Promise<Map<string, number>> {
    return this.run('reading counters', async () => {
      const rows = await this.pool.query<{ name: string; value: number }>(
        'SELECT name, value FROM tracker_counters WHERE name <> $1',
        [REGISTRY_VERSION_COUNTER],
      )
      return new Map(rows.rows.map((row) => [row.name, row.value]))
    })
  }

  register(entries: readonly RegisteredInfohash[]): Promise<void> {
    return this.run('registering', () =>
      this.transaction(async (client) => {
        const sorted = byKey(entries)
        for (let at = 0; at < sorted.length; at += CHUNK) {
          const chunk = sorted.slice(at, at + CHUNK)
          await client.query(
            `INSERT INTO tracker_infohashes (info_hash, swarm, torrent, name, added_at)
             SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::text[], $5::bigint[])
             ON CONFLICT (info_hash) DO UPDATE SET swarm = excluded.swarm, torrent = excluded.torrent, name = excluded.name`,
            [
              chunk.map((entry) => Buffer.from(entry.infohash)),
              chunk.map((entry) => Buffer.from(entry.swarm)),
              chunk.map((entry) => Buffer.from(entry.torrent)),
              chunk.map((entry) => entry.name ?? null),
              chunk.map((entry) => entry.addedAt),
            ],
          )
        }
        await bumpRegistryVersion(client)
      }),
    )
  }

  unregister(infohashes: readonly Uint8Array[]): Promise<number> {
    return this.run('unregistering', () =>
      this.transaction(async (client) => {
        const result = await client.query(
          `DELETE FROM tracker_infohashes WHERE torrent IN
             (SELECT torrent FROM tracker_infohashes WHERE info_hash = ANY($1::bytea[]))`,
          [infohashes.map((infohash) => Buffer.from(infohash))],
        )
        await bumpRegistryVersion(client)
        return result.rowCount ?? 0
      }),
    )
  }

  registered(): Promise<RegisteredInfohash[]> {
    return this.run('reading the registry', async () => {
      const rows = await this.pool.query<{
        info_hash: Buffer
        swarm: Buffer
        torrent: Buffer
        name: string | null
        added_at: number
      }>('SELECT info_hash, swarm, torrent, name, added_at FROM tracker_infohashes ORDER BY info_hash')
      return rows.rows.map((row) => ({
        infohash: new Uint8Array(row.info_hash),
        swarm: new Uint8Array(row.swarm),
        torrent: new Uint8Array(row.torrent),
        ...(row.name !== null ? { name: row.name } : {}),
        addedAt: row.added_at,
      }))
    })
  }

  registryVersion(): Promise<number> {
    return this.run('reading the registry version', async () => {
      const rows = await this.pool.query<{ value: number }>('SELECT value FROM tracker_counters WHERE name = $1', [
        REGISTRY_VERSION_COUNTER,
      ])
      return rows.rows[0]?.value ?? 0
    })
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight])
      await this.pool.end()
    })()
    return this.closing
  }
}

async function bumpRegistryVersion(client: pg.PoolClient): Promise<void> {
  await client.query(
    `INSERT INTO tracker_counters (name, value) VALUES ($1, 1)
     ON CONFLICT (name) DO UPDATE SET value = tracker_counters.value + 1`,
    [REGISTRY_VERSION_COUNTER],
  )
}

function toSwarm(row: { info_hash: Buffer; completed: number }): StoredSwarm {
  return { infohash: new Uint8Array(row.info_hash), completed: row.completed }
}
