/**
 * The SQLite schema of the state store, built by its migrations. A database
 * is mycel's when its `application_id` is {@link APPLICATION_ID}; its
 * `user_version` is the number of migrations applied. Migrations run in one
 * transaction, so a database is always at one version or the next.
 * @internal
 * @module
 */
import { decodeMetadata } from '@mycel/pieces'
import type BetterSqlite3 from 'better-sqlite3'
import { foldText, pathText } from '../../state/search.js'

/** `PRAGMA application_id` of mycel state databases: the ASCII bytes `mycl`. */
export const APPLICATION_ID = 0x6d79636c

/** One step of the schema. */
export interface Migration {
  /** The version the database has after this step. */
  readonly version: number
  /** What the step does, for error messages. */
  readonly description: string
  /** Applies the step inside the migration transaction. */
  readonly up: (db: BetterSqlite3.Database) => void
}

const CORE_TABLES = `
CREATE TABLE manifests (
  infohash BLOB PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  piece_count INTEGER NOT NULL,
  total_length INTEGER NOT NULL,
  single_file INTEGER NOT NULL,
  metadata BLOB NOT NULL
);
CREATE TABLE bitfields (
  infohash BLOB PRIMARY KEY NOT NULL REFERENCES manifests (infohash) ON DELETE CASCADE,
  size INTEGER NOT NULL,
  verified INTEGER NOT NULL,
  bits BLOB NOT NULL
);
CREATE TABLE shares (
  infohash BLOB PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  name_folded TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('seed', 'download')),
  content_path TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'complete', 'error')),
  added_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  completed_at INTEGER,
  last_error TEXT
);
CREATE INDEX shares_by_age ON shares (added_at, infohash);
CREATE TABLE peers (
  peer_id BLOB PRIMARY KEY NOT NULL,
  score REAL NOT NULL,
  banned_until INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX peers_by_score ON peers (score, peer_id);
CREATE INDEX peers_by_age ON peers (updated_at, peer_id);
CREATE TABLE kv (
  key TEXT PRIMARY KEY NOT NULL,
  value BLOB NOT NULL
);
`

const FILE_INDEX = `
CREATE TABLE files (
  infohash BLOB NOT NULL REFERENCES manifests (infohash) ON DELETE CASCADE,
  file_index INTEGER NOT NULL,
  path TEXT NOT NULL,
  path_folded TEXT NOT NULL,
  PRIMARY KEY (infohash, file_index)
) WITHOUT ROWID;
`

/** Rows of the `files` table for a manifest's files (none for a single file: its share hit covers it). */
export function fileRows(
  manifest: { singleFile: boolean; files: readonly { path: readonly string[] }[] },
  insert: (index: number, path: string, folded: string) => void,
): void {
  if (manifest.singleFile) return
  manifest.files.forEach((file, index) => {
    insert(index, JSON.stringify(file.path), foldText(pathText(file.path)))
  })
}

/** Every migration, oldest first. Version N is the database after the first N. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'manifests, bitfields, shares, peers and key/value tables',
    up: (db) => {
      db.exec(CORE_TABLES)
    },
  },
  {
    version: 2,
    description: 'search index of file paths, filled from the stored manifests',
    up: (db) => {
      db.exec(FILE_INDEX)
      const insert = db.prepare('INSERT INTO files (infohash, file_index, path, path_folded) VALUES (?, ?, ?, ?)')
      const infohashes = db
        .prepare('SELECT infohash FROM manifests WHERE single_file = 0')
        .pluck()
        .all() as Uint8Array[]
      const metadataOf = db.prepare('SELECT metadata FROM manifests WHERE infohash = ?').pluck()
      for (const infohash of infohashes) {
        const manifest = decodeMetadata(metadataOf.get(infohash) as Uint8Array, infohash)
        fileRows(manifest, (index, path, folded) => insert.run(infohash, index, path, folded))
      }
    },
  },
  {
    version: 3,
    description: 'bytes uploaded and downloaded per share, all time',
    up: (db) => {
      db.exec(`
ALTER TABLE shares ADD COLUMN bytes_uploaded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shares ADD COLUMN bytes_downloaded INTEGER NOT NULL DEFAULT 0;
`)
    },
  },
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = (MIGRATIONS[MIGRATIONS.length - 1] as Migration).version

/** Tables a database at {@link SCHEMA_VERSION} must have. */
export const REQUIRED_TABLES = ['manifests', 'bitfields', 'shares', 'peers', 'kv', 'files']

/**
 * Applies the migrations after `from` up to `to` in one transaction,
 * stamping the application id and the new version.
 */
export function migrate(db: BetterSqlite3.Database, from: number, to = SCHEMA_VERSION): void {
  db.transaction(() => {
    for (const migration of MIGRATIONS) {
      if (migration.version > from && migration.version <= to) migration.up(db)
    }
    db.pragma(`application_id = ${APPLICATION_ID}`)
    db.pragma(`user_version = ${to}`)
  })()
}
