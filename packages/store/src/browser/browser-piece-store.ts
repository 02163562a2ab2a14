import type { Manifest } from '@mycel/pieces'
import { assertBytes, assertSignal } from '@mycel/wire/assert'
import { throwIfAborted } from '@mycel/wire/signal'
import { StoreError } from '../errors.js'
import { AbstractPieceStore, assertFileRange, locateChecked, type PieceIoOptions } from '../piece-store.js'
import { type FileAccess, type FilePath, pathComponents, pathText } from './file-access.js'
import { browserStorageError } from './storage-errors.js'

/**
 * What a download store does with a file it finds already there: `refuse`
 * leaves it untouched (writes to it fail with `FILE_EXISTS`, reads see only
 * zeros), `adopt` reads and writes it (a download resumed, or content to
 * verify in place). As in `@mycel/store/fs`.
 */
export type BrowserExistingFiles = 'refuse' | 'adopt'

/** Where a browser piece store keeps a share, and how. */
export interface BrowserPieceStoreOptions {
  /**
   * The share's content: its file (a single-file share) or its folder, as a
   * `/`-separated path under the storage's root (no `.` or `..`), such as
   * `downloads/movie.mkv`.
   */
  contentPath: string
  /** Open read-only, as a seeded share (writes fail with `READ_ONLY`). Default false. */
  readOnly?: boolean
  /** What to do with files already there; default `adopt`. */
  existingFiles?: BrowserExistingFiles
}

/** The paths of a share's files under its content path. @internal */
export function shareFilePaths(manifest: Manifest, contentPath: string): FilePath[] {
  const root = pathComponents(contentPath, 'contentPath')
  return manifest.files.map((file) => (manifest.singleFile ? root : [...root, ...file.path]))
}

/**
 * A {@link index!PieceStore | PieceStore} over browser storage (OPFS or
 * IndexedDB, through an internal file access): a share's files at their paths,
 * written in place at their offsets. A file is given its full size at its
 * first write, so bytes never written read as zeros; a file that is not
 * there, or shorter than the manifest says, reads as `DATA_MISSING`.
 * Open one with `openOpfsPieceStore`, `openIndexedDbPieceStore` or
 * `openBrowserPieceStore`.
 */
export class BrowserPieceStore extends AbstractPieceStore {
  /** The share whose bytes this store holds. */
  readonly manifest: Manifest
  /** True for a share seeded in place. */
  readonly readOnly: boolean
  /** The share's content path (its file or its folder). */
  readonly contentPath: string
  /** Which storage holds the bytes: `OPFS (worker)`, `OPFS (async)` or `IndexedDB`. */
  readonly storage: string
  private readonly access: FileAccess
  private readonly paths: readonly FilePath[]
  private readonly existingFiles: BrowserExistingFiles
  /** Files this store made (a download that refuses existing files reads and writes only these). */
  private readonly created = new Set<number>()
  /** Files known to have their full size, or being given it. */
  private readonly settled = new Map<number, Promise<void>>()
  /** Each file's size as last seen (undefined: missing). */
  private readonly sizes = new Map<number, number | undefined>()
  private readonly inFlight = new Set<Promise<unknown>>()
  private closing: Promise<void> | undefined

  /** @internal */
  constructor(
    manifest: Manifest,
    access: FileAccess,
    options: BrowserPieceStoreOptions,
    sizes: (number | undefined)[],
    private readonly ownsAccess: boolean,
  ) {
    super()
    this.manifest = manifest
    this.access = access
    this.storage = access.kind
    this.readOnly = options.readOnly === true
    this.existingFiles = options.existingFiles ?? 'adopt'
    this.contentPath = pathText(pathComponents(options.contentPath, 'contentPath'))
    this.paths = shareFilePaths(manifest, options.contentPath)
    sizes.forEach((size, index) => {
      this.sizes.set(index, size)
    })
  }

  /**
   * The path of one file of the share under the storage's root.
   * @param fileIndex - index in `manifest.files`
   * @returns a `/`-separated path
   */
  filePath(fileIndex: number): string {
    return pathText(this.pathOf(fileIndex))
  }

  /** Forgets what the store knows of a file's size (it was replaced); it is looked at again. */
  async closeFile(fileIndex: number): Promise<void> {
    this.sizes.delete(fileIndex)
    this.settled.delete(fileIndex)
  }

  /** {@inheritDoc index!PieceStore.write} */
  async write(fileIndex: number, offset: number, bytes: Uint8Array, options: PieceIoOptions = {}): Promise<void> {
    assertBytes(bytes, 'bytes')
    assertFileRange(this.manifest, fileIndex, offset, bytes.length)
    this.enter(options)
    if (this.readOnly) throw new StoreError('READ_ONLY', `share ${this.manifest.name} is open read-only`)
    // Writing nothing makes a file only where the file is empty (its one write).
    if (bytes.length === 0 && (this.manifest.files[fileIndex] as { length: number }).length !== 0) return
    await this.track(async () => {
      await this.settle(fileIndex)
      throwIfAborted(options.signal, StoreError)
      if (bytes.length === 0) return
      await this.access.write(this.pathOf(fileIndex), offset, bytes).catch((error) => {
        throw browserStorageError(error, `writing ${this.filePath(fileIndex)} (${this.storage})`)
      })
    })
  }

  /** {@inheritDoc index!PieceStore.readInto} */
  async readInto(
    fileIndex: number,
    offset: number,
    target: Uint8Array,
    options: PieceIoOptions = {},
  ): Promise<Uint8Array> {
    assertBytes(target, 'target')
    assertFileRange(this.manifest, fileIndex, offset, target.length)
    this.enter(options)
    if (target.length === 0) return target
    return this.track(async () => {
      if (this.existingFiles === 'refuse' && !this.created.has(fileIndex)) {
        target.fill(0)
        return target
      }
      const size = await this.sizeOf(fileIndex)
      if (size === undefined || size < offset + target.length) {
        throw new StoreError('DATA_MISSING', `${this.filePath(fileIndex)} is missing or shorter than the share says`)
      }
      throwIfAborted(options.signal, StoreError)
      const read = await this.access.read(this.pathOf(fileIndex), offset, target).catch((error) => {
        throw browserStorageError(error, `reading ${this.filePath(fileIndex)} (${this.storage})`)
      })
      if (read < target.length) {
        this.sizes.delete(fileIndex)
        throw new StoreError('DATA_MISSING', `${this.filePath(fileIndex)} is shorter than the share says`)
      }
      return target
    })
  }

  /** {@inheritDoc index!PieceStore.has} */
  async has(piece: number, options: PieceIoOptions = {}): Promise<boolean> {
    const { fileIndex, offset, length } = locateChecked(this.manifest, piece)
    this.enter(options)
    if (this.existingFiles === 'refuse' && !this.created.has(fileIndex)) return false
    const size = await this.track(() => this.sizeOf(fileIndex))
    return size !== undefined && size >= offset + length
  }

  /** {@inheritDoc index!PieceStore.sync} */
  async sync(options: PieceIoOptions = {}): Promise<void> {
    this.enter(options)
    await this.track(() =>
      this.access.flush().catch((error) => {
        throw browserStorageError(error, `flushing ${this.contentPath} (${this.storage})`)
      }),
    )
  }

  /** Waits for the operations under way, then lets go of its files' handles. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight])
      if (this.ownsAccess) await this.access.close()
      else await this.access.release(this.paths)
    })()
    return this.closing
  }

  private pathOf(fileIndex: number): FilePath {
    const path = this.paths[fileIndex]
    if (path === undefined) throw new RangeError(`no file ${fileIndex}`)
    return path
  }

  private enter(options: PieceIoOptions): void {
    assertSignal(options.signal)
    if (this.closing !== undefined) throw StoreError.closed('piece store')
    throwIfAborted(options.signal, StoreError)
  }

  private track<T>(run: () => Promise<T>): Promise<T> {
    const promise = run()
    this.inFlight.add(promise)
    const done = () => this.inFlight.delete(promise)
    promise.then(done, done)
    return promise
  }

  private async sizeOf(fileIndex: number): Promise<number | undefined> {
    if (this.sizes.has(fileIndex)) return this.sizes.get(fileIndex)
    const size = await this.access.size(this.pathOf(fileIndex)).catch((error) => {
      throw browserStorageError(error, `looking at ${this.filePath(fileIndex)} (${this.storage})`)
    })
    this.sizes.set(fileIndex, size)
    return size
  }

  /** Gives a file its full size before its first write (once); refuses a file found there in `refuse` mode. */
  private settle(fileIndex: number): Promise<void> {
    let settling = this.settled.get(fileIndex)
    if (settling === undefined) {
      settling = (async () => {
        const length = (this.manifest.files[fileIndex] as { length: number }).length
        const size = await this.sizeOf(fileIndex)
        if (size !== undefined && this.existingFiles === 'refuse' && !this.created.has(fileIndex)) {
          throw new StoreError('FILE_EXISTS', `${this.filePath(fileIndex)} exists and was not made by this download`)
        }
        if (size === undefined) this.created.add(fileIndex)
        if (size !== length) {
          await this.access.setSize(this.pathOf(fileIndex), length).catch((error) => {
            throw browserStorageError(error, `making ${this.filePath(fileIndex)} (${this.storage})`)
          })
        }
        this.sizes.set(fileIndex, length)
      })()
      this.settled.set(fileIndex, settling)
      settling.catch(() => this.settled.delete(fileIndex))
    }
    return settling
  }
}
