/**
 * Browser storage for mycel: piece stores in the origin private file system
 * (OPFS: synchronous access handles in a dedicated worker where the browser
 * has them, the asynchronous API otherwise) with IndexedDB as the fallback,
 * and a state store on IndexedDB. Both pass the compliance suites of
 * `@mycel/store/testing` in Chromium. This entry imports no Node module;
 * it loads in Node too, where opening a store fails (there is no OPFS or
 * IndexedDB).
 *
 * @example
 * ```ts
 * import { openBrowserPieceStore, openIndexedDbStateStore } from '@mycel/store/browser'
 *
 * const state = await openIndexedDbStateStore()
 * const pieces = await openBrowserPieceStore(manifest, { contentPath: `downloads/${manifest.name}` })
 * pieces.storage // 'OPFS (worker)' in Chromium
 * ```
 *
 * @packageDocumentation
 */
export {
  type BrowserExistingFiles,
  BrowserPieceStore,
  type BrowserPieceStoreOptions,
} from './browser/browser-piece-store.js'
export { IDB_CHUNK_BYTES } from './browser/idb-access.js'
export {
  DEFAULT_IDB_FLUSH_INTERVAL,
  DEFAULT_STATE_DATABASE,
  IndexedDbStateStore,
  type IndexedDbStateStoreOptions,
  openIndexedDbStateStore,
} from './browser/idb-state-store.js'
export {
  BrowserStorage,
  type BrowserStorageOptions,
  type BrowserStoreOptions,
  DEFAULT_PIECE_DATABASE,
  type IndexedDbPieceStoreOptions,
  type IndexedDbStorageOptions,
  type OpfsPieceStoreOptions,
  type OpfsStorageOptions,
  openBrowserPieceStore,
  openBrowserStorage,
  openIndexedDbPieceStore,
  openIndexedDbStorage,
  openOpfsPieceStore,
  openOpfsStorage,
} from './browser/open-piece-store.js'
