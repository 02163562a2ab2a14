/**
 * The catalogue: torrents and manifests users upload, each registered with
 * the tracker (so private mode serves it), listed with its size, files,
 * uploader and live counts, searched by name (SQLite FTS5, PostgreSQL full
 * text on the same normalised words), sorted by date or seeders. Seeder and
 * leecher counts are written to the entries in batches for sorting; the
 * counts shown come from the swarms in memory.
 * @module
 */
import { toHex } from '@mycel/wire'
import type { Caller } from '../accounts/accounts.js'
import { AccountError } from '../accounts/errors.js'
import type { RegisteredInfohash } from '../core/registry.js'
import type { SqlDatabase } from '../storage/sql.js'
import { readUpload, type UploadKind } from './upload.js'

/** Entries per page at most. */
export const MAX_PAGE = 100
/** Words of a search used at most (the rest are ignored), and characters per word. */
export const MAX_QUERY_WORDS = 8
export const MAX_QUERY_WORD = 64

/** An entry as the API shows it. */
export interface CatalogueEntry {
  /** The swarm key (hex): the v1 infohash, or the truncated v2 infohash. */
  readonly infohash: string
  readonly infohashV1: string | null
  readonly infohashV2: string | null
  readonly kind: string
  readonly name: string
  readonly size: number
  readonly files: number
  /** The uploader's name, `null` once their account is deleted. */
  readonly uploader: string | null
  /** ISO 8601. */
  readonly addedAt: string
  readonly seeders: number
  readonly leechers: number
  readonly completed: number
}

/** A stored entry, with its uploaded bytes. */
export interface CatalogueRecord {
  readonly id: number
  readonly swarm: Uint8Array
  readonly infohashV1: Uint8Array | null
  readonly infohashV2: Uint8Array | null
  readonly kind: string
  readonly name: string
  readonly size: number
  readonly files: number
  readonly uploader: string | null
  readonly uploaderId: number | null
  readonly addedAt: number
  readonly source: Uint8Array
}

/** Live counts of a swarm, from the tracker's memory. */
export type SwarmCountsOf = (swarm: Uint8Array) => { seeders: number; leechers: number; completed: number }

/** What the catalogue needs of the tracker. */
export interface CatalogueTracker {
  /** Registers infohashes and applies them at once. */
  register(entries: readonly RegisteredInfohash[]): Promise<void>
  /** Unregisters a torrent's infohashes. */
  unregister(infohashes: readonly Uint8Array[]): Promise<number>
  /** Live counts. */
  readonly counts: SwarmCountsOf
}

/** A listing request. */
export interface ListQuery {
  /** Words the name must have (prefixes); none lists everything. */
  readonly query?: string
  readonly sort?: 'date' | 'seeders'
  readonly limit?: number
  readonly offset?: number
}

const RECORD_COLUMNS =
  'c.id, c.swarm, c.infohash_v1, c.infohash_v2, c.kind, c.name, c.size, c.files, c.uploader_id, c.added_at, u.name AS uploader'

interface Row {
  id: number
  swarm: Uint8Array
  infohash_v1: Uint8Array | null
  infohash_v2: Uint8Array | null
  kind: string
  name: string
  size: number
  files: number
  uploader_id: number | null
  added_at: number
  uploader: string | null
  source?: Uint8Array
}

function toRecord(row: Row): CatalogueRecord {
  return {
    id: Number(row.id),
    swarm: row.swarm,
    infohashV1: row.infohash_v1,
    infohashV2: row.infohash_v2,
    kind: row.kind,
    name: row.name,
    size: Number(row.size),
    files: Number(row.files),
    uploader: row.uploader,
    uploaderId: row.uploader_id === null ? null : Number(row.uploader_id),
    addedAt: Number(row.added_at),
    source: row.source ?? new Uint8Array(0),
  }
}

/**
 * The words of a name or a query: lower-case runs of letters and digits.
 *
 * @param text - a name or a query
 * @returns the words
 */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
}

/** The catalogue on the tracker's database. */
export class Catalogue {
  /** Swarm keys (hex) of the entries whose counts are kept sorted, with the counts last written. */
  private readonly written = new Map<string, { id: number; seeders: number; leechers: number }>()
  private lastId = 0

  /**
   * @param sql - the tracker's database
   * @param tracker - registration and live counts
   * @param nowSeconds - the clock
   */
  constructor(
    private readonly sql: SqlDatabase,
    private readonly tracker: CatalogueTracker,
    private readonly nowSeconds: () => number,
  ) {}

  /**
   * Adds an upload: checks it, registers its infohashes, stores it.
   *
   * @param bytes - the uploaded file
   * @param kind - a `.torrent` or a mycel manifest
   * @param caller - the uploader
   * @returns the new entry
   * @throws {@link AccountError} `UPLOAD_INVALID`, `BODY_TOO_LARGE`, `ALREADY_LISTED`
   */
  async add(bytes: Uint8Array, kind: UploadKind, caller: Caller): Promise<CatalogueEntry> {
    const now = this.nowSeconds()
    const item = readUpload(bytes, kind, now)
    const existing = await this.sql.all<{ id: number }>('SELECT id FROM tracker_catalogue WHERE swarm = $1', [
      item.swarm,
    ])
    if (existing.length > 0)
      throw new AccountError('ALREADY_LISTED', `${toHex(item.swarm)} is already in the catalogue`)
    try {
      await this.sql.run(
        `INSERT INTO tracker_catalogue (swarm, infohash_v1, infohash_v2, kind, name, search_text, size, files, uploader_id, added_at, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          item.swarm,
          item.infohashV1 ?? null,
          item.infohashV2 ?? null,
          item.kind,
          item.name,
          words(item.name).join(' '),
          item.size,
          item.files,
          caller.user.id,
          now,
          item.source,
        ],
      )
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code
      if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new AccountError('ALREADY_LISTED', `${toHex(item.swarm)} is already in the catalogue`)
      }
      throw err
    }
    await this.tracker.register(item.entries)
    const entry = await this.entry(toHex(item.swarm))
    return entry as CatalogueEntry
  }

  /**
   * Lists entries.
   *
   * @param query - words, sort, page
   * @returns the page of entries
   * @throws {@link AccountError} `REQUEST_INVALID` for a bad sort or page
   */
  async list(query: ListQuery): Promise<CatalogueEntry[]> {
    const limit = query.limit ?? 50
    const offset = query.offset ?? 0
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new AccountError('REQUEST_INVALID', `limit must be 1 to ${MAX_PAGE}`)
    }
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > 1_000_000) {
      throw new AccountError('REQUEST_INVALID', 'offset must be 0 to 1000000')
    }
    const sort = query.sort ?? 'date'
    if (sort !== 'date' && sort !== 'seeders') throw new AccountError('REQUEST_INVALID', 'sort must be date or seeders')
    const order = sort === 'date' ? 'c.added_at DESC, c.id DESC' : 'c.seeders DESC, c.added_at DESC, c.id DESC'
    const terms = words(query.query ?? '')
      .slice(0, MAX_QUERY_WORDS)
      .map((word) => word.slice(0, MAX_QUERY_WORD))
    let rows: Row[]
    if (terms.length === 0) {
      rows = await this.sql.all<Row>(
        `SELECT ${RECORD_COLUMNS} FROM tracker_catalogue c LEFT JOIN tracker_users u ON u.id = c.uploader_id ORDER BY ${order} LIMIT $1 OFFSET $2`,
        [limit, offset],
      )
    } else if (this.sql.dialect === 'sqlite') {
      // Each word a quoted prefix: user input never reaches FTS5's query syntax.
      const match = terms.map((term) => `"${term}"*`).join(' ')
      rows = await this.sql.all<Row>(
        `SELECT ${RECORD_COLUMNS} FROM tracker_catalogue c LEFT JOIN tracker_users u ON u.id = c.uploader_id
         WHERE c.id IN (SELECT rowid FROM tracker_catalogue_fts WHERE tracker_catalogue_fts MATCH $1)
         ORDER BY ${order} LIMIT $2 OFFSET $3`,
        [match, limit, offset],
      )
    } else {
      const match = terms.map((term) => `${term}:*`).join(' & ')
      rows = await this.sql.all<Row>(
        `SELECT ${RECORD_COLUMNS} FROM tracker_catalogue c LEFT JOIN tracker_users u ON u.id = c.uploader_id
         WHERE to_tsvector('simple', c.search_text) @@ to_tsquery('simple', $1)
         ORDER BY ${order} LIMIT $2 OFFSET $3`,
        [match, limit, offset],
      )
    }
    return rows.map((row) => this.show(toRecord(row)))
  }

  /**
   * One entry.
   *
   * @param infohash - hex: the swarm key, a v1 infohash, or a v2 infohash (64 digits)
   * @returns the entry, or `undefined`
   */
  async entry(infohash: string): Promise<CatalogueEntry | undefined> {
    const record = await this.record(infohash, false)
    return record === undefined ? undefined : this.show(record)
  }

  /**
   * One entry with its uploaded bytes.
   *
   * @param infohash - hex, as {@link Catalogue.entry}
   * @param withSource - whether to read the uploaded bytes
   * @returns the record, or `undefined`
   */
  async record(infohash: string, withSource = true): Promise<CatalogueRecord | undefined> {
    if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(infohash)) return undefined
    const bytes = new Uint8Array(Buffer.from(infohash, 'hex'))
    const column = bytes.length === 32 ? 'c.infohash_v2' : 'c.swarm'
    const [row] = await this.sql.all<Row>(
      `SELECT ${RECORD_COLUMNS}${withSource ? ', c.source' : ''} FROM tracker_catalogue c LEFT JOIN tracker_users u ON u.id = c.uploader_id WHERE ${column} = $1`,
      [bytes],
    )
    if (row !== undefined) return toRecord(row)
    if (bytes.length !== 20) return undefined
    // A v2 entry's truncated infohash is its swarm key; a hybrid's is not (its v1 infohash is): match the prefix.
    const [byV2] = await this.sql.all<Row>(
      `SELECT ${RECORD_COLUMNS}${withSource ? ', c.source' : ''} FROM tracker_catalogue c LEFT JOIN tracker_users u ON u.id = c.uploader_id WHERE c.kind = 'hybrid' AND substr(c.infohash_v2, 1, 20) = $1`,
      [bytes],
    )
    return byV2 === undefined ? undefined : toRecord(byV2)
  }

  /**
   * Removes an entry (its uploader or an admin) and unregisters its infohashes.
   *
   * @param infohash - hex
   * @param caller - who asks
   * @throws {@link AccountError} `NOT_FOUND`, `FORBIDDEN`
   */
  async remove(infohash: string, caller: Caller): Promise<void> {
    const record = await this.record(infohash, false)
    if (record === undefined) throw new AccountError('NOT_FOUND', 'no such entry in the catalogue')
    if (caller.user.role !== 'admin' && record.uploaderId !== caller.user.id) {
      throw new AccountError('FORBIDDEN', 'only its uploader or an admin may remove an entry')
    }
    await this.sql.run('DELETE FROM tracker_catalogue WHERE id = $1', [record.id])
    this.written.delete(toHex(record.swarm))
    await this.tracker.unregister([record.swarm])
  }

  /**
   * Writes the seeder and leecher counts that changed since the last call
   * (for sorting by seeders), for the entries this process knows; entries
   * added by another process are picked up first.
   */
  async writeCounts(): Promise<void> {
    const added = await this.sql.all<{ id: number; swarm: Uint8Array }>(
      'SELECT id, swarm FROM tracker_catalogue WHERE id > $1 ORDER BY id LIMIT 10000',
      [this.lastId],
    )
    for (const row of added) {
      this.written.set(toHex(row.swarm), { id: Number(row.id), seeders: -1, leechers: -1 })
      this.lastId = Math.max(this.lastId, Number(row.id))
    }
    const changed: Array<{ hex: string; id: number; seeders: number; leechers: number }> = []
    for (const [hex, last] of this.written) {
      const { seeders, leechers } = this.tracker.counts(Buffer.from(hex, 'hex'))
      if (seeders !== last.seeders || leechers !== last.leechers) changed.push({ hex, id: last.id, seeders, leechers })
    }
    if (changed.length === 0) return
    await this.sql.transaction(async (tx) => {
      for (const { id, seeders, leechers } of changed) {
        await tx.run('UPDATE tracker_catalogue SET seeders = $1, leechers = $2 WHERE id = $3', [seeders, leechers, id])
      }
    })
    for (const { hex, id, seeders, leechers } of changed) this.written.set(hex, { id, seeders, leechers })
  }

  private show(record: CatalogueRecord): CatalogueEntry {
    const counts = this.tracker.counts(record.swarm)
    return {
      infohash: toHex(record.swarm),
      infohashV1: record.infohashV1 === null ? null : toHex(record.infohashV1),
      infohashV2: record.infohashV2 === null ? null : toHex(record.infohashV2),
      kind: record.kind,
      name: record.name,
      size: record.size,
      files: record.files,
      uploader: record.uploader,
      addedAt: new Date(record.addedAt * 1000).toISOString(),
      seeders: counts.seeders,
      leechers: counts.leechers,
      completed: counts.completed,
    }
  }
}
