/**
 * The prepared statements of the SQLite state store, and the row shapes
 * they return.
 * @internal
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3'
import type { ShareRow } from '../../state/records.js'
import type { ShareExtent } from '../../state/share-record.js'
import type { PeerRecord, ShareRole, ShareStatus } from '../../state-store.js'

/** A row of `shares` joined with its manifest's size and its verified count. */
export interface ShareSqlRow {
  infohash: Uint8Array
  name: string
  role: ShareRole
  content_path: string
  status: ShareStatus
  added_at: number
  updated_at: number
  completed_at: number | null
  last_error: string | null
  bytes_uploaded: number
  bytes_downloaded: number
  total_length: number | null
  piece_count: number | null
  verified: number | null
}

/** A row of `peers`. */
export interface PeerSqlRow {
  peer_id: Uint8Array
  score: number
  banned_until: number
  updated_at: number
}

/** The columns selected for a share record. */
export const SHARE_COLUMNS = `s.infohash, s.name, s.role, s.content_path, s.status, s.added_at, s.updated_at,
  s.completed_at, s.last_error, s.bytes_uploaded, s.bytes_downloaded, m.total_length, m.piece_count, b.verified`

/** The tables a share record is read from. */
export const SHARE_FROM = `shares s LEFT JOIN manifests m ON m.infohash = s.infohash
  LEFT JOIN bitfields b ON b.infohash = s.infohash`

/** A plain `Uint8Array` copy of a blob (the driver returns Node `Buffer`s). */
export function blob(value: Uint8Array): Uint8Array {
  return new Uint8Array(value)
}

/** The stored part of a share row. */
export function shareRowOf(row: ShareSqlRow): ShareRow {
  return {
    infohash: blob(row.infohash),
    name: row.name,
    role: row.role,
    contentPath: row.content_path,
    status: row.status,
    addedAt: row.added_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at ?? undefined,
    lastError: row.last_error ?? undefined,
    bytesUploaded: row.bytes_uploaded,
    bytesDownloaded: row.bytes_downloaded,
  }
}

/** The manifest-derived part of a share row, if the manifest is stored. */
export function extentOf(row: ShareSqlRow, cachedCount: number | undefined): ShareExtent | undefined {
  if (row.total_length === null || row.piece_count === null) return undefined
  return {
    totalLength: row.total_length,
    pieceCount: row.piece_count,
    verifiedPieces: cachedCount ?? row.verified ?? 0,
  }
}

/** A peer record of a row. */
export function peerOf(row: PeerSqlRow): PeerRecord {
  return { peerId: blob(row.peer_id), score: row.score, bannedUntil: row.banned_until, updatedAt: row.updated_at }
}

/** The fixed statements of the store, by name. */
const SQL = {
  insertManifest:
    'INSERT OR IGNORE INTO manifests (infohash, name, piece_count, total_length, single_file, metadata) VALUES (?, ?, ?, ?, ?, ?)',
  insertBitfield: 'INSERT INTO bitfields (infohash, size, verified, bits) VALUES (?, ?, 0, ?)',
  insertFile: 'INSERT INTO files (infohash, file_index, path, path_folded) VALUES (?, ?, ?, ?)',
  metadata: 'SELECT metadata FROM manifests WHERE infohash = ?',
  loadBitfield: 'SELECT size, bits FROM bitfields WHERE infohash = ?',
  writeBitfield: 'UPDATE bitfields SET bits = ?, verified = ? WHERE infohash = ?',
  deleteManifest: 'DELETE FROM manifests WHERE infohash = ?',
  shareExists: 'SELECT 1 FROM shares WHERE infohash = ?',
  selectShare: `SELECT ${SHARE_COLUMNS} FROM ${SHARE_FROM} WHERE s.infohash = ?`,
  insertShare: `INSERT INTO shares (infohash, name, name_folded, role, content_path, status, added_at, updated_at, completed_at, last_error)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  updateShare: `UPDATE shares SET name = ?, name_folded = ?, content_path = ?, status = ?, updated_at = ?, completed_at = ?, last_error = ?,
    bytes_uploaded = ?, bytes_downloaded = ? WHERE infohash = ?`,
  deleteShare: 'DELETE FROM shares WHERE infohash = ?',
  selectPeer: 'SELECT peer_id, score, banned_until, updated_at FROM peers WHERE peer_id = ?',
  upsertPeer: `INSERT INTO peers (peer_id, score, banned_until, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (peer_id) DO UPDATE SET score = excluded.score, banned_until = excluded.banned_until, updated_at = excluded.updated_at`,
  countPeers: 'SELECT count(*) FROM peers',
  evictPeers: `DELETE FROM peers WHERE peer_id IN
    (SELECT peer_id FROM peers WHERE peer_id != ? ORDER BY updated_at, peer_id LIMIT ?)`,
  deletePeer: 'DELETE FROM peers WHERE peer_id = ?',
  getValue: 'SELECT value FROM kv WHERE key = ?',
  setValue: 'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  deleteValue: 'DELETE FROM kv WHERE key = ?',
}

/** Statements that return their first column's value rather than a row. */
const PLUCKED: ReadonlySet<string> = new Set(['metadata', 'shareExists', 'countPeers', 'getValue'])

/** The prepared statements of a store. */
export type Statements = Record<keyof typeof SQL, BetterSqlite3.Statement>

/** Prepares every fixed statement, once per store. */
export function prepareStatements(db: BetterSqlite3.Database): Statements {
  const statements: Partial<Statements> = {}
  for (const [name, sql] of Object.entries(SQL) as [keyof typeof SQL, string][]) {
    const statement = db.prepare(sql)
    statements[name] = PLUCKED.has(name) ? statement.pluck() : statement
  }
  return statements as Statements
}
