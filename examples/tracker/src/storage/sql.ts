/**
 * One small asynchronous SQL interface over both databases, for the parts
 * of the tracker that are not on the announce path (accounts, sessions, the
 * catalogue, credits): statements are written once, with PostgreSQL's `$1`
 * placeholders (SQLite reads `$1` as a named parameter, bound by position
 * here), and the few places the dialects differ branch on
 * {@link SqlDatabase.dialect}.
 * @module
 */

import { MycelError } from '@mycel/wire'
import type Database from 'better-sqlite3'
import type pg from 'pg'
import { TrackerError } from '../errors.js'

/** A value bound to a placeholder or read from a column. */
export type SqlValue = string | number | Uint8Array | null

/** Statements on one database. Every failure is a `TrackerError` `DATABASE_FAILED` (or `CLOSED`). */
export interface SqlDatabase {
  /** Which database it is. */
  readonly dialect: 'sqlite' | 'postgres'
  /**
   * Runs a query.
   *
   * @param sql - the statement, placeholders `$1`, `$2`, ...
   * @param params - their values, in order
   * @returns the rows (BLOB/BYTEA columns as `Uint8Array`, integers as numbers)
   */
  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>
  /**
   * Runs a statement.
   *
   * @param sql - the statement
   * @param params - its values
   * @returns how many rows it changed
   */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back
   * when it throws. `work` must do nothing but statements on `tx` (no other
   * waits): on SQLite the transaction holds the one connection.
   *
   * @param work - the statements
   * @returns what `work` returned
   */
  transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T>
}

/** `$1`..`$n` as SQLite's named parameters `$1`..: an object keyed `1`..`n`. */
function namedParams(params: readonly SqlValue[]): Record<string, SqlValue> {
  const out: Record<string, SqlValue> = {}
  for (let i = 0; i < params.length; i++) out[String(i + 1)] = params[i] ?? null
  return out
}

function fromSqlite<Row>(row: unknown): Row {
  const record = row as Record<string, unknown>
  for (const key of Object.keys(record)) {
    const value = record[key]
    if (Buffer.isBuffer(value)) record[key] = new Uint8Array(value)
  }
  return record as Row
}

function toDriver(params: readonly SqlValue[]): unknown[] {
  return params.map((value) => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value))
}

/**
 * The SQL interface on a better-sqlite3 connection. Transactions are
 * queued: one at a time, statements outside them wait for them.
 *
 * @param db - the open connection
 * @param where - the file, for messages
 * @param isClosed - whether the storage was closed
 * @returns the interface
 */
export function sqliteDatabase(db: Database.Database, where: string, isClosed: () => boolean): SqlDatabase {
  const cache = new Map<string, Database.Statement>()
  const prepare = (sql: string) => {
    let statement = cache.get(sql)
    if (statement === undefined) {
      statement = db.prepare(sql)
      if (cache.size < 256) cache.set(sql, statement)
    }
    return statement
  }
  const guard = <T>(work: () => T): T => {
    if (isClosed()) throw TrackerError.closed()
    try {
      return work()
    } catch (err) {
      if (err instanceof TrackerError) throw err
      throw new TrackerError('DATABASE_FAILED', `${where}: ${(err as Error).message}`, { cause: err })
    }
  }
  const direct: SqlDatabase = {
    dialect: 'sqlite',
    async all<Row>(sql: string, params: readonly SqlValue[] = []) {
      return guard(() =>
        prepare(sql)
          .all(namedParams(toDriver(params) as SqlValue[]))
          .map((row) => fromSqlite<Row>(row)),
      )
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return guard(() => prepare(sql).run(namedParams(toDriver(params) as SqlValue[])).changes)
    },
    transaction: (work) => queued(work),
  }
  let tail: Promise<unknown> = Promise.resolve()
  const queued = <T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T> => {
    const next = tail.then(async () => {
      guard(() => db.exec('BEGIN IMMEDIATE'))
      try {
        const result = await work(direct)
        guard(() => db.exec('COMMIT'))
        return result
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK')
        throw err
      }
    })
    tail = next.catch(() => {})
    return next
  }
  return {
    dialect: 'sqlite',
    all: async (sql, params) => {
      await tail
      return direct.all(sql, params)
    },
    run: async (sql, params) => {
      await tail
      return direct.run(sql, params)
    },
    transaction: queued,
  }
}

function mapPgError(where: string, err: unknown): Error {
  // Errors of the caller's own (an account refused, a TrackerError) pass through; the driver's are wrapped.
  if (err instanceof MycelError) return err
  return new TrackerError('DATABASE_FAILED', `${where}: ${(err as Error).message}`, { cause: err })
}

function fromPg<Row>(row: unknown): Row {
  return fromSqlite<Row>(row)
}

/**
 * The SQL interface on a `pg` pool.
 *
 * @param pool - the pool
 * @param where - the URL without its password, for messages
 * @param isClosed - whether the storage was closed
 * @returns the interface
 */
export function postgresDatabase(pool: pg.Pool, where: string, isClosed: () => boolean): SqlDatabase {
  const on = (client: pg.Pool | pg.PoolClient): SqlDatabase => ({
    dialect: 'postgres',
    async all<Row>(sql: string, params: readonly SqlValue[] = []) {
      if (isClosed()) throw TrackerError.closed()
      try {
        const result = await client.query(sql, toDriver(params))
        return result.rows.map((row) => fromPg<Row>(row))
      } catch (err) {
        throw mapPgError(where, err)
      }
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      if (isClosed()) throw TrackerError.closed()
      try {
        return (await client.query(sql, toDriver(params))).rowCount ?? 0
      } catch (err) {
        throw mapPgError(where, err)
      }
    },
    async transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T> {
      if (client !== pool) return work(on(client))
      if (isClosed()) throw TrackerError.closed()
      const connection = await pool.connect().catch((err: unknown) => {
        throw mapPgError(where, err)
      })
      try {
        await connection.query('BEGIN')
        const result = await work(on(connection))
        await connection.query('COMMIT')
        return result
      } catch (err) {
        await connection.query('ROLLBACK').catch(() => {})
        throw mapPgError(where, err)
      } finally {
        connection.release()
      }
    },
  })
  return on(pool)
}
