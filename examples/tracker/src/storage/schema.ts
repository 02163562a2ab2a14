/**
 * The tables of the tracker's database, the same in SQLite and PostgreSQL
 * (prefixed `tracker_`, so that they can live in a database shared with
 * other applications).
 * @module
 */

/** The schema version this code writes; a database with a newer one is refused. */
export const SCHEMA_VERSION = 1

/** SQLite `application_id` of a mycel tracker database ("mytr"). */
export const SQLITE_APPLICATION_ID = 0x6d797472

/** The counter under which the registry version is kept (not one of the stats). */
export const REGISTRY_VERSION_COUNTER = '@registry_version'

/** Rows read or written per statement (below SQLite's and PostgreSQL's parameter limits). */
export const CHUNK = 500

/** The tables, for one dialect: the binary column type is its only difference. */
export function schemaStatements(dialect: 'sqlite' | 'postgres'): string[] {
  const bytes = dialect === 'sqlite' ? 'BLOB' : 'BYTEA'
  const integer = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT'
  const withoutRowid = dialect === 'sqlite' ? ' WITHOUT ROWID' : ''
  return [
    `CREATE TABLE IF NOT EXISTS tracker_meta (key TEXT PRIMARY KEY, value ${bytes} NOT NULL)${withoutRowid}`,
    `CREATE TABLE IF NOT EXISTS tracker_swarms (info_hash ${bytes} PRIMARY KEY, completed ${integer} NOT NULL)${withoutRowid}`,
    `CREATE TABLE IF NOT EXISTS tracker_counters (name TEXT PRIMARY KEY, value ${integer} NOT NULL)${withoutRowid}`,
    `CREATE TABLE IF NOT EXISTS tracker_infohashes (info_hash ${bytes} PRIMARY KEY, swarm ${bytes} NOT NULL, torrent ${bytes} NOT NULL, name TEXT, added_at ${integer} NOT NULL)${withoutRowid}`,
    'CREATE INDEX IF NOT EXISTS tracker_infohashes_torrent ON tracker_infohashes (torrent)',
  ]
}

/** Sorts byte keys so that concurrent writers take row locks in one order (no deadlocks). */
export function byKey<T extends { readonly infohash: Uint8Array }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => Buffer.compare(a.infohash, b.infohash))
}
