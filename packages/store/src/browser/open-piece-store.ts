import type { Manifest } from '@mycel/pieces'
import { StoreError } from '../errors.js'
import { BrowserPieceStore, type BrowserPieceStoreOptions, shareFilePaths } from './browser-piece-store.js'
import type { FileAccess } from './file-access.js'
import { indexedDbFactory } from './idb.js'
import { IndexedDbAccess, openFileDatabase } from './idb-access.js'
import { hasWorkers, OpfsAsyncAccess, OpfsWorkerAccess, opfsRoot } from './opfs-access.js'
import { browserStorageError } from './storage-errors.js'

/** The IndexedDB database of the IndexedDB piece store unless told otherwise. */
export const DEFAULT_PIECE_DATABASE = 'mycel-pieces'

/** Options of {@link openOpfsPieceStore}. */
export interface OpfsPieceStoreOptions extends BrowserPieceStoreOptions {
  /**
   * How OPFS is reached: `worker` (synchronous access handles in a dedicated
   * worker, the fast path), `async` (the asynchronous API: slow writes to
   * large files), or `auto` (the default: `worker` where the browser has
   * sync access handles and the worker starts, else `async`).
   */
  access?: 'auto' | 'worker' | 'async'
}

/** Options of {@link openIndexedDbPieceStore}. */
export interface IndexedDbPieceStoreOptions extends BrowserPieceStoreOptions {
  /** The IndexedDB database the files are kept in; default `mycel-pieces`. */
  database?: string
}

/** Options of {@link openBrowserPieceStore}. */
export interface BrowserStoreOptions extends BrowserPieceStoreOptions {
  /** The IndexedDB database of the fallback; default `mycel-pieces`. */
  database?: string
}

/** Opens a store over `access`: reads the files' sizes, makes the empty files of a download. */
async function openOver(
  manifest: Manifest,
  access: FileAccess,
  options: BrowserPieceStoreOptions,
): Promise<BrowserPieceStore> {
  try {
    const paths = shareFilePaths(manifest, options.contentPath)
    const sizes = await Promise.all(paths.map((path) => access.size(path)))
    const store = new BrowserPieceStore(manifest, access, options, sizes)
    if (options.readOnly !== true) {
      await Promise.all(
        manifest.files.map((file, index) =>
          file.length === 0 && sizes[index] === undefined ? store.write(index, 0, new Uint8Array(0)) : undefined,
        ),
      )
    }
    return store
  } catch (error) {
    await access.close()
    if (error instanceof TypeError) throw error
    throw browserStorageError(error, `opening ${options.contentPath} (${access.kind})`)
  }
}

/**
 * Opens a share's store in the origin private file system (OPFS): its files
 * at `contentPath` under the OPFS root, written in place.
 *
 * @param manifest - the share
 * @param options - content path, read-only, existing files, access mode
 * @returns the store
 * @throws {@link StoreError} `NOT_WRITABLE` where the browser has no OPFS; `IO_FAILED`
 *   when a file is locked by another store (a sync access handle is exclusive)
 * @throws TypeError for a content path with `.` or `..`
 *
 * @example
 * ```ts
 * const store = await openOpfsPieceStore(manifest, { contentPath: `downloads/${manifest.name}` })
 * ```
 */
export async function openOpfsPieceStore(
  manifest: Manifest,
  options: OpfsPieceStoreOptions,
): Promise<BrowserPieceStore> {
  const root = await opfsRoot()
  if (root === undefined) throw new StoreError('NOT_WRITABLE', 'this browser has no origin private file system (OPFS)')
  const mode = options.access ?? 'auto'
  if (mode === 'worker' || (mode === 'auto' && hasWorkers())) {
    let access: OpfsWorkerAccess | undefined
    try {
      access = new OpfsWorkerAccess()
      // The worker answers whether it has sync access handles; it may not start at all (a page's CSP may
      // refuse blob: workers).
      if (!(await access.probe())) throw new StoreError('NOT_WRITABLE', 'this browser has no OPFS sync access handles')
    } catch (error) {
      await access?.close()
      if (mode === 'worker') throw browserStorageError(error, 'starting the OPFS worker')
      access = undefined
    }
    if (access !== undefined) return openOver(manifest, access, options)
  }
  return openOver(manifest, new OpfsAsyncAccess(root), options)
}

/**
 * Opens a share's store in IndexedDB (the fallback where there is no OPFS):
 * files kept as 64 KiB chunks under their paths.
 *
 * @param manifest - the share
 * @param options - content path, read-only, existing files, database name
 * @returns the store
 * @throws {@link StoreError} `NOT_WRITABLE` where there is no IndexedDB
 */
export async function openIndexedDbPieceStore(
  manifest: Manifest,
  options: IndexedDbPieceStoreOptions,
): Promise<BrowserPieceStore> {
  const factory = indexedDbFactory()
  if (factory === undefined) throw new StoreError('NOT_WRITABLE', 'this runtime has no IndexedDB')
  const db = await openFileDatabase(factory, options.database ?? DEFAULT_PIECE_DATABASE).catch((error) => {
    throw browserStorageError(error, 'opening the IndexedDB piece database')
  })
  return openOver(manifest, new IndexedDbAccess(db, true), options)
}

/**
 * Opens a share's store where the browser keeps bytes best: OPFS (through
 * a worker with sync access handles where it can), else IndexedDB. The
 * store's `storage` says which.
 *
 * @param manifest - the share
 * @param options - content path, read-only, existing files
 * @returns the store
 * @throws {@link StoreError} `NOT_WRITABLE` where there is neither
 */
export async function openBrowserPieceStore(
  manifest: Manifest,
  options: BrowserStoreOptions,
): Promise<BrowserPieceStore> {
  if ((await opfsRoot()) !== undefined) return openOpfsPieceStore(manifest, options)
  return openIndexedDbPieceStore(manifest, options)
}
