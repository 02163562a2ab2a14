import { constants } from 'node:fs'
import type { Manifest, ManifestFile } from '@mycel/pieces'
import { assertBytes, assertSignal } from '@mycel/wire/assert'
import { type ComponentLogger, describeError } from '@mycel/wire/log'
import { throwIfAborted } from '@mycel/wire/signal'
import { StoreError } from '../../errors.js'
import { AbstractPieceStore, assertFileRange, locateChecked, type PieceIoOptions } from '../../piece-store.js'
import { type AlignedBuffers, DIRECT_ALIGNMENT, DIRECT_MIN_BYTES, O_DIRECT, sharedAlignedBuffers } from './direct-io.js'
import type { FileSystem } from './file-system.js'
import { fsError, logRefusal } from './fs-errors.js'
import type { FileHandlePool } from './handle-pool.js'
import { checkFolders, pathInside, type ShareLayout } from './paths.js'

/**
 * How a file is opened: to read (and write, for a download, without creating
 * it), created if missing, or for direct writes (`O_DIRECT`, write-only).
 */
type OpenMode = 'open' | 'create' | 'direct'

/** How the files of a download get their space. */
export type Allocation = 'sparse' | 'full'

/**
 * What a download store does with a file it finds already there: `refuse`
 * leaves it untouched (writes to it fail with `FILE_EXISTS`, reads see only
 * zeros); `adopt` reads and writes it (a download the caller resumes, or
 * content the caller verifies in place).
 */
export type ExistingFiles = 'refuse' | 'adopt'

/** What an {@link FsPieceStore} is made of. @internal */
export interface FsPieceStoreInit {
  manifest: Manifest
  layout: ShareLayout
  readOnly: boolean
  allocation: Allocation
  /** Whether files found on disk (not created by this store) are read and written. */
  existingFiles: ExistingFiles
  /** Write aligned runs of pieces with `O_DIRECT` where the system allows it. */
  directWrites: boolean
  fs: FileSystem
  pool: FileHandlePool
  ownsPool: boolean
  /** Where refused paths and recovered I/O failures are logged (`mycel:store`). */
  log: ComponentLogger
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0
const NONBLOCK = constants.O_NONBLOCK ?? 0
/** Zeros written by `full` allocation, 1 MiB at a time. */
const ZEROS = new Uint8Array(1024 * 1024)

let nextStoreId = 0

/**
 * A {@link index!PieceStore | PieceStore} on the file system: a share's bytes live in its real
 * files, written in place at their offsets with positioned I/O, opened
 * through a bounded {@link FileHandlePool}. Every path is checked against the
 * store's root folder each time a file is opened. Open one with
 * `openDownloadStore` (read-write, under a download folder) or
 * `openSeedStore` (read-only, where the files already are).
 */
export class FsPieceStore extends AbstractPieceStore {
  /** The share whose bytes this store holds. */
  readonly manifest: Manifest
  /** True for a share seeded in place. */
  readonly readOnly: boolean
  /** The share's content on disk: its folder, or its single file. */
  readonly contentPath: string
  /** The folder every file of the store must stay inside (a real path). */
  readonly root: string
  private readonly layout: ShareLayout
  private readonly allocation: Allocation
  private readonly existingFiles: ExistingFiles
  /** Files this store created (a download that refuses existing files reads and writes only these). */
  private readonly created = new Set<number>()
  /** Buffers for direct writes; undefined when they are off, or the file system refused one. */
  private direct: AlignedBuffers | undefined
  private readonly fs: FileSystem
  private readonly pool: FileHandlePool
  private readonly ownsPool: boolean
  private readonly log: ComponentLogger
  private readonly keyPrefix = `${nextStoreId++}:`
  /** Absolute path of each file, checked once to stay inside the root (folders are re-checked at every open). */
  private readonly paths: readonly string[]
  /** Files whose size is settled (true) or being settled for writing: cut to length, or filled with zeros. */
  private readonly prepared = new Map<number, Promise<void> | true>()
  /** Files written since the last sync. */
  private readonly unsynced = new Set<number>()
  /** Size of each file when it was opened, grown by the store's own writes: what {@link FsPieceStore.has} compares. */
  private readonly sizes = new Map<number, number>()
  /** The size the last ordinary open of each file found, until its first write settles the size (see {@link prepare}). */
  private readonly openedSizes = new Map<number, number>()
  /** Which file index each (device, inode) belongs to: two paths must not be one file. */
  private readonly inodes = new Map<string, number>()
  private inFlight = 0
  private drained: (() => void) | undefined
  private closing: Promise<void> | undefined

  /** @internal */
  constructor(init: FsPieceStoreInit) {
    super()
    this.manifest = init.manifest
    this.layout = init.layout
    this.readOnly = init.readOnly
    this.allocation = init.allocation
    this.existingFiles = init.existingFiles
    this.direct = init.directWrites && !init.readOnly ? sharedAlignedBuffers() : undefined
    this.fs = init.fs
    this.pool = init.pool
    this.ownsPool = init.ownsPool
    this.log = init.log
    this.root = init.layout.root
    this.contentPath = pathInside(init.layout.root, init.layout.content)
    this.paths = init.layout.files.map((components) => pathInside(init.layout.root, components))
  }

  /**
   * The absolute path of one file of the share (checked to be inside the root).
   *
   * @param fileIndex - index in `manifest.files`
   * @returns the path
   * @throws RangeError if there is no such file
   */
  filePath(fileIndex: number): string {
    assertFileRange(this.manifest, fileIndex, 0, 0)
    return this.paths[fileIndex] as string
  }

  /** {@inheritDoc index!PieceStore.write} */
  async write(fileIndex: number, offset: number, bytes: Uint8Array, options: PieceIoOptions = {}): Promise<void> {
    assertBytes(bytes, 'bytes')
    assertFileRange(this.manifest, fileIndex, offset, bytes.length)
    if (this.readOnly) {
      this.enter(options.signal)
      throw new StoreError('READ_ONLY', `share ${this.manifest.name} is seeded in place from ${this.contentPath}`)
    }
    if (bytes.length === 0) return this.enter(options.signal)
    return this.track(options.signal, async () => {
      const { signal } = options
      // A long write goes past the page cache from the first aligned offset in it (a private share's
      // plaintext starts anywhere in a piece); what comes before it and the tail after the last whole
      // block go the ordinary way. The two never share a block with a direct run.
      const head = (DIRECT_ALIGNMENT - (offset % DIRECT_ALIGNMENT)) % DIRECT_ALIGNMENT
      let direct = 0
      if (this.direct !== undefined && bytes.length >= DIRECT_MIN_BYTES) {
        if (this.prepared.get(fileIndex) !== true) {
          // the ordinary descriptor creates the file and settles its size first
          await this.withFile(fileIndex, 'create', signal, (fd, path) => this.settle(fileIndex, fd, path))
        }
        this.unsynced.add(fileIndex)
        direct = await this.writeDirect(fileIndex, offset + head, bytes.subarray(head), signal)
      }
      const ordinary: [number, number][] =
        direct === 0
          ? [[0, bytes.length]]
          : [
              [0, head],
              [head + direct, bytes.length],
            ]
      if (ordinary.some(([from, to]) => from < to)) {
        await this.withFile(fileIndex, 'create', signal, async (fd, path) => {
          await this.settle(fileIndex, fd, path)
          this.unsynced.add(fileIndex)
          try {
            for (let [done, to] of ordinary) {
              while (done < to) {
                const written = await this.fs.write(fd, bytes, done, to - done, offset + done)
                if (written <= 0) throw new StoreError('IO_FAILED', `cannot write ${path}: the system wrote nothing`)
                done += written
              }
            }
          } catch (err) {
            throw fsError(err, 'write', path)
          }
        })
      }
      const end = offset + bytes.length
      if (end > (this.sizes.get(fileIndex) ?? 0)) this.sizes.set(fileIndex, end)
    })
  }

  /** Settles a file's size once, before its first write (see {@link prepare}); a failure is retried by the next write. */
  private settle(fileIndex: number, fd: number, path: string): Promise<void> {
    const preparing = this.prepared.get(fileIndex)
    if (preparing === true) return Promise.resolve()
    if (preparing !== undefined) return preparing
    const settling = this.prepare(fileIndex, fd, path).then(
      () => {
        this.prepared.set(fileIndex, true)
      },
      (err: unknown) => {
        this.prepared.delete(fileIndex)
        throw err
      },
    )
    this.prepared.set(fileIndex, settling)
    return settling
  }

  /**
   * Writes the longest run of `bytes` whose length is a multiple of
   * {@link DIRECT_ALIGNMENT} with direct I/O, through an aligned buffer.
   * Returns how many bytes it wrote: 0 when no buffer is free, less than
   * asked when the file system refuses direct I/O (`EINVAL`; direct writes
   * then stop for this store). The caller writes the rest the ordinary way.
   */
  private async writeDirect(
    fileIndex: number,
    offset: number,
    bytes: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const buffers = this.direct as AlignedBuffers
    const slot = buffers.take()
    if (slot === undefined) return 0
    const aligned = bytes.length - (bytes.length % DIRECT_ALIGNMENT)
    let done = 0
    try {
      await this.withFile(fileIndex, 'direct', signal, async (fd, path) => {
        while (done < aligned) {
          const chunk = Math.min(slot.length, aligned - done)
          slot.set(bytes.subarray(done, done + chunk))
          for (let written = 0; written < chunk; ) {
            const count = await this.fs.write(fd, slot, written, chunk - written, offset + done + written)
            if (count <= 0) throw new StoreError('IO_FAILED', `cannot write ${path}: the system wrote nothing`)
            written += count
          }
          done += chunk
        }
      })
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code !== 'EINVAL')
        throw fsError(err, 'write', this.paths[fileIndex] as string)
      if (this.direct !== undefined) {
        this.log.info(
          `direct I/O refused at ${this.paths[fileIndex]} (EINVAL): this store writes through the page cache from now on`,
        )
      }
      this.direct = undefined // this file system (or this file) takes no direct I/O
    } finally {
      buffers.give(slot)
    }
    return done
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
    if (target.length === 0) {
      this.enter(options.signal)
      return target
    }
    return this.track(options.signal, async () => {
      try {
        await this.withFile(fileIndex, 'open', options.signal, (fd, path) => this.fill(fd, path, offset, target))
      } catch (err) {
        // a download's file not created yet holds only zeros, as a sparse file would
        if (!this.readOnly && err instanceof StoreError && err.code === 'DATA_MISSING') target.fill(0)
        else throw err
      }
      return target
    })
  }

  /** {@inheritDoc index!PieceStore.has} */
  async has(piece: number, options: PieceIoOptions = {}): Promise<boolean> {
    const { fileIndex, offset, length } = locateChecked(this.manifest, piece)
    return this.track(options.signal, async () => {
      try {
        return await this.withFile(
          fileIndex,
          'open',
          options.signal,
          async () => (this.sizes.get(fileIndex) ?? 0) >= offset + length,
        )
      } catch (err) {
        if (err instanceof StoreError && err.code === 'DATA_MISSING') return false
        throw err
      }
    })
  }

  /**
   * Closes the store's descriptors of one file (an idle one now, one in use
   * when its I/O ends), so that the next read or write opens its path again:
   * for a seeded file that may have been replaced on disk since it was
   * opened.
   *
   * @param fileIndex - index in `manifest.files`
   * @throws RangeError if there is no such file
   */
  async closeFile(fileIndex: number): Promise<void> {
    assertFileRange(this.manifest, fileIndex, 0, 0)
    await this.pool.forget([`${this.keyPrefix}${fileIndex}`, `${this.keyPrefix}${fileIndex}d`])
  }

  /** {@inheritDoc index!PieceStore.sync} */
  async sync(options: PieceIoOptions = {}): Promise<void> {
    return this.track(options.signal, async () => {
      const files = [...this.unsynced]
      this.unsynced.clear()
      try {
        for (const fileIndex of files) {
          await this.withFile(fileIndex, 'open', options.signal, (fd, path) =>
            this.fs.fdatasync(fd).catch((err: unknown) => {
              throw fsError(err, 'sync', path)
            }),
          )
        }
      } catch (err) {
        for (const fileIndex of files) this.unsynced.add(fileIndex)
        throw err
      }
    })
  }

  /** Waits for operations in flight, then closes the store's files (and its pool, if it has its own). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve))
      if (this.ownsPool) await this.pool.close()
      else await this.pool.release(this.keyPrefix)
    })()
    return this.closing
  }

  private enter(signal: AbortSignal | undefined): void {
    assertSignal(signal)
    if (this.closing !== undefined) throw StoreError.closed('the piece store')
    throwIfAborted(signal, StoreError)
  }

  /** Runs an operation, counted so that close() waits for it. */
  private async track<T>(signal: AbortSignal | undefined, operation: () => Promise<T>): Promise<T> {
    this.enter(signal)
    this.inFlight++
    try {
      return await operation()
    } catch (err) {
      logRefusal(this.log, this.manifest, err)
      throw err
    } finally {
      this.inFlight--
      if (this.inFlight === 0) this.drained?.()
    }
  }

  /** Runs `fn` with the open file (opening it through the pool if needed). */
  private withFile<T>(
    fileIndex: number,
    mode: OpenMode,
    signal: AbortSignal | undefined,
    fn: (fd: number, path: string) => Promise<T>,
  ): Promise<T> {
    const path = this.paths[fileIndex] as string
    return this.pool.use(
      // a file's direct descriptor is pooled beside its ordinary one
      `${this.keyPrefix}${fileIndex}${mode === 'direct' ? 'd' : ''}`,
      () => this.openFile(fileIndex, path, mode),
      (fd) =>
        this.fs.close(fd).catch((err: unknown) => {
          // The descriptor is released by the kernel even when close reports an error.
          this.log.debug(`closing ${path} failed, ignored: ${describeError(err)}`)
        }),
      (fd) => fn(fd, path),
      signal,
    )
  }

  /** Opens one file after checking its folders; refuses links, special files and two paths that are one file. */
  private async openFile(fileIndex: number, path: string, mode: OpenMode): Promise<number> {
    const components = this.layout.files[fileIndex] as readonly string[]
    const create = mode === 'create' && !this.readOnly
    // A download that refuses existing files sees only the files it created: one it did not create is
    // absent to reads, and made with O_EXCL by the first write, which fails if something is there.
    const exclusive = !this.readOnly && this.existingFiles === 'refuse' && !this.created.has(fileIndex)
    if (exclusive && !create) throw new StoreError('DATA_MISSING', `${path} was not created by this download`)
    await checkFolders(this.fs, this.root, components.slice(0, -1), create)
    const access =
      mode === 'direct' ? constants.O_WRONLY | (O_DIRECT ?? 0) : this.readOnly ? constants.O_RDONLY : constants.O_RDWR
    const flags = access | NOFOLLOW | NONBLOCK | (create ? constants.O_CREAT : 0) | (exclusive ? constants.O_EXCL : 0)
    let fd: number
    try {
      fd = await this.fs.open(path, flags, 0o666)
    } catch (err) {
      if (mode === 'direct') throw err // EINVAL (no direct I/O here) is told apart by the caller
      if (exclusive && (err as { code?: unknown } | null)?.code === 'EEXIST') throw await this.inTheWay(path, err)
      throw fsError(err, this.readOnly ? 'read' : create ? 'create' : 'open', path)
    }
    if (exclusive) this.created.add(fileIndex)
    try {
      // The folders were checked before the open; a folder swapped for a link
      // in between (Node has no openat) shows in the path the file was opened at.
      // Both asked at once: two trips to the thread pool in the time of one.
      const [opened, stats] = await Promise.all([this.fs.openedPath?.(fd), this.fs.fstat(fd)])
      // (Linux adds " (deleted)" for a file unlinked since: still the file we checked.)
      if (opened !== undefined && opened !== path && opened !== `${path} (deleted)`) {
        throw new StoreError('PATH_ESCAPE', `${path} was opened at ${opened}: a folder on the way became a link`)
      }
      if (!stats.isFile) {
        throw new StoreError('PATH_CONFLICT', `${path} should be a regular file but is a folder or special file`)
      }
      const inode = `${stats.dev}:${stats.ino}`
      const other = this.inodes.get(inode)
      if (other !== undefined && other !== fileIndex && !this.readOnly) {
        throw new StoreError(
          'PATH_CONFLICT',
          `${path} is the same file as ${this.filePath(other)} (a case-insensitive file system, or a hard link)`,
        )
      }
      this.inodes.set(inode, fileIndex)
      // A direct descriptor opens beside the ordinary one, whose size is the one tracked.
      if (mode !== 'direct') {
        this.sizes.set(fileIndex, stats.size)
        if (this.prepared.get(fileIndex) !== true) this.openedSizes.set(fileIndex, stats.size)
      }
      return fd
    } catch (err) {
      await this.fs.close(fd).catch((closeError: unknown) => {
        this.log.debug(`closing ${path} after a refused open failed, ignored: ${describeError(closeError)}`)
      })
      throw fsError(err, 'open', path)
    }
  }

  /** The error for what an exclusive create found at `path`: a link, a folder, or a file this store did not create. */
  private async inTheWay(path: string, cause: unknown): Promise<StoreError> {
    const found = await this.fs.lstat(path).catch(() => undefined)
    if (found?.isSymbolicLink) {
      return new StoreError(
        'PATH_ESCAPE',
        `refusing ${path}: it is a symbolic link, which could lead outside ${this.root}`,
      )
    }
    if (found?.isDirectory) {
      return new StoreError('PATH_CONFLICT', `${path} should be a regular file but is a folder`, { cause })
    }
    return fileExists(path, cause)
  }

  /** Settles a file's size before its first write: cut to the manifest's length, or filled with zeros (`full`). */
  private async prepare(fileIndex: number, fd: number, path: string): Promise<void> {
    const length = (this.manifest.files[fileIndex] as ManifestFile).length
    try {
      // The size the open of this descriptor found (the store is the file's only writer, and its
      // writes wait for this): one fstat less per file, which counts for shares of small files.
      const size = this.openedSizes.get(fileIndex) ?? (await this.fs.fstat(fd)).size
      this.openedSizes.delete(fileIndex)
      if (size > length) await this.fs.ftruncate(fd, length)
      this.sizes.set(fileIndex, Math.min(size, length))
      if (this.allocation === 'full') {
        for (let at = size; at < length; ) {
          const written = await this.fs.write(fd, ZEROS, 0, Math.min(ZEROS.length, length - at), at)
          if (written <= 0) throw new StoreError('IO_FAILED', `cannot allocate ${path}: the system wrote nothing`)
          at += written
          this.sizes.set(fileIndex, at)
        }
      }
    } catch (err) {
      throw fsError(err, 'write', path)
    }
  }

  /** Reads exactly `target.length` bytes at `offset`; past the end of a download's file reads zeros. */
  private async fill(fd: number, path: string, offset: number, target: Uint8Array): Promise<void> {
    for (let done = 0; done < target.length; ) {
      let read: number
      try {
        read = await this.fs.read(fd, target, done, target.length - done, offset + done)
      } catch (err) {
        throw fsError(err, 'read', path)
      }
      if (read === 0) {
        if (!this.readOnly) {
          target.fill(0, done)
          return
        }
        throw new StoreError(
          'DATA_MISSING',
          `${path} is shorter than the share says: no bytes at ${offset + done} (it changed since it was shared)`,
        )
      }
      done += read
    }
  }
}

/** The error of a download store that finds a file it did not create where it would write. @internal */
export function fileExists(path: string, cause?: unknown): StoreError {
  return new StoreError(
    'FILE_EXISTS',
    `${path} already exists and was not written by this download: it is left as it is`,
    cause === undefined ? undefined : { cause },
  )
}
