/**
 * The SQLite {@link index!StateStore | StateStore} (Node, `better-sqlite3`, an optional peer
 * dependency: install it to use this entry). WAL mode, schema versioning
 * with migrations, piece marks written in batches, and typed errors for a
 * corrupt, foreign or newer database.
 *
 * @example
 * ```ts
 * import { openSqliteStateStore } from '@mycel/store/sqlite'
 *
 * const state = await openSqliteStateStore('/home/u/.mycel/state.db')
 * await state.putManifest(manifest)
 * state.markVerified(manifest.infohash, 0)
 * console.log((await state.listShares({ status: 'active' })).map((share) => share.name))
 * await state.close()
 * ```
 *
 * @module
 */

export { openSqliteStateStore, type SqliteStateStoreOptions } from './node/sqlite/open-store.js'
export { SCHEMA_VERSION } from './node/sqlite/schema.js'
export type { SqliteStateStore } from './node/sqlite/sqlite-state-store.js'
