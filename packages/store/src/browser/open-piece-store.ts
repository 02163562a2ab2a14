import type { Manifest } from '@mycel/pieces'
import { StoreError } from '../errors.js'
import { BrowserPieceStore, type BrowserPieceStoreOptions, shareFilePaths } from './browser-piece-store.js'
import { type FileAccess, pathComponents } from './file-access.js'
import { indexedDbFactory } from './idb.js'
import { IndexedDbAccess, openFileDatabase } from './idb-access.js'
import { hasWorkers, OpfsAsyncAccess, OpfsWorkerAccess, opfsRoot } from './opfs-access.js'
import { browserStorageError } from './storage-errors.js'

/** The IndexedDB database of the IndexedDB piece store unless told otherwise. */
export const DEFAULT_PIECE_DATABASE = 'mycel-pieces'

/** Options of {@link openOpfsStorage} and {@link openOpfsPieceStore}. */
export interface OpfsStorageOptions {
  /**
   * How OPFS is reached: `worker` (synchronous access handles in a dedicated
   * worker, the fast path), `async` (the asynchronous API: slow writes to
   * large files), or `auto` (the default: `worker` where the worker starts
   * and has sync access handles, else `async`).
   */
  access?: 'auto' | 'worker' | 'async'
}

/** Options of {@link openIndexedDbStorage} and {@link openIndexedDbPieceStore}. */
export interface IndexedDbStorageOptions {
  /** The IndexedDB database the files are kept in; default `mycel-pieces`. */
  database?: string
}

/** Options of {@link openBrowserStorage}: those of OPFS and of the IndexedDB fallback. */
export interface BrowserStorageOptions extends OpfsStorageOptions, IndexedDbStorageOptions {}

/** Options of {@link openOpfsPieceStore}. */
export interface OpfsPieceStoreOptions extends BrowserPieceStoreOptions, OpfsStorageOptions {}

/** Options of {@link openIndexedDbPieceStore}. */
export interface IndexedDbPieceStoreOptions extends BrowserPieceStoreOptions, IndexedDbStorageOptions {}

/** Options of {@link openBrowserPieceStore}. */
export interface BrowserStoreOptions extends BrowserPieceStoreOptions, BrowserStorageOptions {}

/** Opens a store over `access`: reads the files' sizes, makes the empty files of a download. */
async function openOver(
  manifest: Manifest,
  access: FileAccess,
  options: BrowserPieceStoreOptions,
  ownsAccess: boolean,
): Promise<BrowserPieceStore> {
  const paths = shareFilePaths(manifest, options.contentPath)
  try {
    const sizes = await Promise.all(paths.map((path) => access.size(path)))
    const store = new BrowserPieceStore(manifest, access, options, sizes, ownsAccess)
    if (options.readOnly !== true) {
      await Promise.all(
        manifest.files.map((file, index) =>
          file.length === 0 && sizes[index] === undefined ? store.write(index, 0, new Uint8Array(0)) : undefined,
        ),
      )
    }
    return store
  } catch (error) {
    if (ownsAccess) await access.close()
    else await access.release(paths).catch(() => undefined)
    throw browserStorageError(error, `opening ${options.contentPath} (${access.kind})`)
  }
}

/**
 * The files of one browser storage (OPFS, or IndexedDB), shared by the
 * piece stores opened through it: with OPFS through a worker, one worker
 * holds every file's handle, so a store and a look at its files
 * ({@link BrowserStorage.size}) never fight over a file's lock. Paths are
 * `/`-separated under the storage's root, with no `.` or `..`.
 */
export class BrowserStorage {
  /** Which storage: `OPFS (worker)`, `OPFS (async)` or `IndexedDB`. */
  readonly kind: string
  private readonly access: FileAccess
  private closing: Promise<void> | undefined

  /** @internal */
  constructor(access: FileAccess) {
    this.access = access
    this.kind = access.kind
  }

  /**
   * Opens a share's store through this storage (closing the store lets go of its files, not the storage).
   * @param manifest - the share
   * @param options - content path, read-only, existing files
   * @returns the store
   * @throws {@link index!StoreError | StoreError} as the storage fails; `CLOSED` after {@link BrowserStorage.close}
   */
  open(manifest: Manifest, options: BrowserPieceStoreOptions): Promise<BrowserPieceStore> {
    if (this.closing !== undefined) return Promise.reject(StoreError.closed('browser storage'))
    return openOver(manifest, this.access, options, false)
  }

  /**
   * What is at a path.
   * @param path - `/`-separated
   * @returns `file`, `folder`, or undefined when nothing is there
   */
  async kindOf(path: string): Promise<'file' | 'folder' | undefined> {
    const components = pathComponents(path)
    return this.access.pathKind(components).catch((error) => {
      throw browserStorageError(error, `looking at ${path} (${this.kind})`)
    })
  }

  /**
   * A file's size.
   * @param path - `/`-separated
   * @returns bytes, or undefined when there is no such file
   */
  async size(path: string): Promise<number | undefined> {
    const components = pathComponents(path)
    return this.access.size(components).catch((error) => {
      throw browserStorageError(error, `looking at ${path} (${this.kind})`)
    })
  }

  /**
   * Reads part of a file.
   * @param path - `/`-separated
   * @param offset - where to start
   * @param target - filled from `offset`; fewer bytes at the end of the file
   * @returns the bytes read
   */
  async read(path: string, offset: number, target: Uint8Array): Promise<number> {
    const components = pathComponents(path)
    return this.access.read(components, offset, target).catch((error) => {
      throw browserStorageError(error, `reading ${path} (${this.kind})`)
    })
  }

  /**
   * Writes a whole file (made with its folders, or replaced).
   * @param path - `/`-separated
   * @param bytes - its content
   */
  async writeFile(path: string, bytes: Uint8Array): Promise<void> {
    const components = pathComponents(path)
    try {
      await this.access.setSize(components, bytes.length)
      if (bytes.length > 0) await this.access.write(components, 0, bytes)
      await this.access.flush()
    } catch (error) {
      throw browserStorageError(error, `writing ${path} (${this.kind})`)
    }
  }

  /** Closes the storage (the OPFS worker ends). Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.access.close()
    return this.closing
  }
}

async function opfsAccess(options: OpfsStorageOptions): Promise<FileAccess> {
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
      return access
    } catch (error) {
      await access?.close()
      if (mode === 'worker') throw browserStorageError(error, 'starting the OPFS worker')
    }
  }
  return new OpfsAsyncAccess(root)
}

async function indexedDbAccess(options: IndexedDbStorageOptions): Promise<FileAccess> {
  const factory = indexedDbFactory()
  if (factory === undefined) throw new StoreError('NOT_WRITABLE', 'this runtime has no IndexedDB')
  const db = await openFileDatabase(factory, options.database ?? DEFAULT_PIECE_DATABASE).catch((error) => {
    throw browserStorageError(error, 'opening the IndexedDB piece database')
  })
  return new IndexedDbAccess(db, true)
}

/**
 * Opens the origin private file system (OPFS) as a {@link BrowserStorage}.
 * @param options - how OPFS is reached
 * @returns the storage
 * @throws {@link index!StoreError | StoreError} `NOT_WRITABLE` where the browser has no OPFS (or, with `access: 'worker'`, no
 *   sync access handles in workers)
 */
export async function openOpfsStorage(options: OpfsStorageOptions = {}): Promise<BrowserStorage> {
  return new BrowserStorage(await opfsAccess(options))
}

/**
 * Opens an IndexedDB database as a {@link BrowserStorage} (files kept as 64 KiB chunks).
 * @param options - the database's name
 * @returns the storage
 * @throws {@link index!StoreError | StoreError} `NOT_WRITABLE` where there is no IndexedDB
 */
export async function openIndexedDbStorage(options: IndexedDbStorageOptions = {}): Promise<BrowserStorage> {
  return new BrowserStorage(await indexedDbAccess(options))
}

/**
 * Opens the best storage this browser has: OPFS (through a worker with sync
 * access handles where it can), else IndexedDB. Its `kind` says which.
 * @param options - OPFS access mode, IndexedDB database
 * @returns the storage
 * @throws {@link index!StoreError | StoreError} `NOT_WRITABLE` where there is neither
 */
export async function openBrowserStorage(options: BrowserStorageOptions = {}): Promise<BrowserStorage> {
  if ((await opfsRoot()) !== undefined) return openOpfsStorage(options)
  return openIndexedDbStorage(options)
}

/**
 * Opens a share's store in the origin private file system (OPFS), with its
 * own access (a worker of its own, ended by `close()`): its files at
 * `contentPath` under the OPFS root, written in place.
 *
 * @param manifest - the share
 * @param options - content path, read-only, existing files, access mode
 * @returns the store
 * @throws {@link index!StoreError | StoreError} `NOT_WRITABLE` where the browser has no OPFS; `IO_FAILED` when a file is
 *   locked by another store (a sync access handle is exclusive)
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
  shareFilePaths(manifest, options.contentPath)
  return openOver(manifest, await opfsAccess(options), options, true)
}

/**
 * Opens a share's store in IndexedDB (the fallback where there is no OPFS).
 *
 * @param manifest - the share
 * @param options - content path, read-only, existing files, database name
 * @returns the store
 * @throws {@link index!StoreError | StoreError} `NOT_WRITABLE` where there is no IndexedDB
 */
export async function openIndexedDbPieceStore(
  manifest: Manifest,
  options: IndexedDbPieceStoreOptions,
): Promise<BrowserPieceStore> {
  shareFilePaths(manifest, options.contentPath)
  return openOver(manifest, await indexedDbAccess(options), options, true)
}

/**
 * Opens a share's store where the browser keeps bytes best: OPFS, else
 * IndexedDB. The store's `storage` says which.
 *
 * @param manifest - the share
 * @param options - content path, read-only, existing files
 * @returns the store
 * @throws {@link index!StoreError | StoreError} `NOT_WRITABLE` where there is neither
 */
export async function openBrowserPieceStore(
  manifest: Manifest,
  options: BrowserStoreOptions,
): Promise<BrowserPieceStore> {
  shareFilePaths(manifest, options.contentPath)
  const access = (await opfsRoot()) !== undefined ? await opfsAccess(options) : await indexedDbAccess(options)
  return openOver(manifest, access, options, true)
}
