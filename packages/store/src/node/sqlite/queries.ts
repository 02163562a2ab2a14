/**
 * Statements whose shape depends on the call (filters, number of search
 * terms), prepared on first use and kept.
 * @internal
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3'
import type { ResolvedFilter } from '../../state/records.js'
import type { SearchHit, ShareRole } from '../../state-store.js'
import { blob, SHARE_COLUMNS, SHARE_FROM, type ShareSqlRow } from './statements.js'

interface FileHitRow {
  infohash: Uint8Array
  name: string
  role: ShareRole
  file_index: number
  path: string
}

interface ShareHitRow {
  infohash: Uint8Array
  name: string
  role: ShareRole
}

/** Prepares and caches the variable statements of one database. */
export class Queries {
  private readonly cache = new Map<string, BetterSqlite3.Statement>()

  constructor(private readonly db: BetterSqlite3.Database) {}

  /** Share rows passing a filter, oldest first. */
  listShares(filter: ResolvedFilter): ShareSqlRow[] {
    const where: string[] = []
    const params: unknown[] = []
    if (filter.role !== undefined) {
      where.push('s.role = ?')
      params.push(filter.role)
    }
    if (filter.statuses !== undefined) {
      if (filter.statuses.length === 0) return []
      where.push(`s.status IN (${filter.statuses.map(() => '?').join(', ')})`)
      params.push(...filter.statuses)
    }
    const sql = `SELECT ${SHARE_COLUMNS} FROM ${SHARE_FROM} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY s.added_at, s.infohash LIMIT ? OFFSET ?`
    return this.statement(sql).all(...params, filter.limit, filter.offset) as ShareSqlRow[]
  }

  /** Share hits then file hits for folded terms (see `StateStore.search`). */
  search(terms: readonly string[], role: ShareRole | undefined, limit: number): SearchHit[] {
    const roleClause = role === undefined ? '' : 'AND s.role = ?'
    const roleParams = role === undefined ? [] : [role]
    const nameMatch = terms.map(() => 'instr(s.name_folded, ?) > 0').join(' AND ')
    const shareRows = this.statement(
      `SELECT s.infohash, s.name, s.role FROM shares s WHERE ${nameMatch} ${roleClause}
       ORDER BY s.added_at, s.infohash LIMIT ?`,
    ).all(...terms, ...roleParams, limit) as ShareHitRow[]
    const hits: SearchHit[] = shareRows.map((row) => ({
      infohash: blob(row.infohash),
      shareName: row.name,
      role: row.role,
      fileIndex: undefined,
      path: undefined,
    }))
    if (hits.length >= limit) return hits
    const pathMatch = terms.map(() => 'instr(f.path_folded, ?) > 0').join(' AND ')
    const fileRows = this.statement(
      `SELECT s.infohash, s.name, s.role, f.file_index, f.path FROM shares s JOIN files f ON f.infohash = s.infohash
       WHERE ${pathMatch} ${roleClause} ORDER BY s.added_at, s.infohash, f.file_index LIMIT ?`,
    ).all(...terms, ...roleParams, limit - hits.length) as FileHitRow[]
    for (const row of fileRows) {
      hits.push({
        infohash: blob(row.infohash),
        shareName: row.name,
        role: row.role,
        fileIndex: row.file_index,
        path: JSON.parse(row.path) as string[],
      })
    }
    return hits
  }

  /** Peers ordered by score, optionally without those banned at `now`. */
  listPeers(order: 'best' | 'worst', excludeBannedAt: number | undefined, limit: number): unknown[] {
    const where = excludeBannedAt === undefined ? '' : 'WHERE banned_until <= ?'
    const direction = order === 'best' ? 'DESC' : 'ASC'
    const sql = `SELECT peer_id, score, banned_until, updated_at FROM peers ${where}
      ORDER BY score ${direction}, peer_id LIMIT ?`
    return this.statement(sql).all(...(excludeBannedAt === undefined ? [] : [excludeBannedAt]), limit)
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let statement = this.cache.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      this.cache.set(sql, statement)
    }
    return statement
  }
}
