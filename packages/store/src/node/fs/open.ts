import { constants } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { Manifest } from '@mycel/pieces'
import { type ComponentLogger, componentLogger, type Logger } from '@mycel/wire/log'
import { StoreError } from '../../errors.js'
import { type blockingFileSystem, type FileInfo, type FileSystem, nodeFileSystem } from './file-system.js'
import { fsError, logRefusal } from './fs-errors.js'
import { type Allocation, type ExistingFiles, FsPieceStore, fileExists } from './fs-piece-store.js'
import { FileHandlePool } from './handle-pool.js'
import { checkFolders, downloadLayout, pathInside, type ShareLayout, seedLayout } from './paths.js'

/** Options of {@link openDownloadStore} and {@link openSeedStore}. */
export interface FsPieceStoreOptions {
  /** A pool shared with other stores; default a pool of the store's own with `maxOpenFiles`. */
  pool?: FileHandlePool
  /** Bound of the store's own pool (when no `pool` is given). Default 128. */
  maxOpenFiles?: number
  /**
   * The file-system calls; default {@link nodeFileSystem} (libuv's thread
   * pool). {@link blockingFileSystem} trades event-loop stalls for speed on
   * small blocks; a wrapper can instrument the store or simulate faults.
   */
  fileSystem?: FileSystem
  /**
   * Where the store logs, under `mycel:store`: paths it refuses (a name that
   * would leave the folder, a link or file in the way) and I/O failures it
   * recovers from (direct I/O refused, a close that failed). Default: the
   * logger of `pool` (see `FileHandlePoolOptions.logger`), else silent.
   */
  logger?: Logger
}

/** Options of {@link openDownloadStore}. */
export interface DownloadStoreOptions extends FsPieceStoreOptions {
  /**
   * How a file gets its space when it is first written: `sparse` (the
   * default) writes only what arrives, leaving holes the file system does
   * not allocate; `full` first fills the file with zeros to its length, so a
   * full disk shows at the first piece of each file rather than midway
   * (it costs one write of the whole file).
   */
  allocation?: Allocation
  /**
   * What to do with a file of the share that is already on disk (and was not
   * created by this store): `refuse` (the default) never changes it: the
   * store creates each file it writes with `O_EXCL`, a write where a file is
   * already there fails with `FILE_EXISTS`, and reads see zeros there;
   * `adopt` reads it and writes into it (cutting it to its length at the
   * first write), for a download the caller knows it wrote before (its state
   * store says so) or content the caller is about to verify in place with
   * {@link index!recheck | recheck}. Empty files of the share are created
   * now, under the same rule.
   */
  existingFiles?: ExistingFiles
  /**
   * Write pieces with direct I/O (`O_DIRECT`), past the kernel's page cache.
   * Default true where the system has it (Linux). A download's pieces are
   * hashed in memory before they are written and never read back at once,
   * so copying them into the page cache costs CPU and evicts what other
   * programs cached, for nothing. Writes of 1 MiB and more go direct, all
   * but the last bytes of a file that are off the 4 KiB grid; shorter ones
   * (small pieces, where the page cache gathers many small writes for the
   * disk) go the ordinary way, and so does everything once a file system
   * refuses direct I/O (`EINVAL`). Reads always go through the page cache.
   */
  directWrites?: boolean
}

function checkManifest(manifest: unknown): asserts manifest is Manifest {
  if (!(manifest instanceof Manifest)) throw new TypeError('manifest must be a Manifest')
}

function checkPath(path: unknown, name: string): asserts path is string {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${name} must be a non-empty string`)
}

function poolOf(options: FsPieceStoreOptions): { pool: FileHandlePool; ownsPool: boolean } {
  if (options.pool !== undefined) return { pool: options.pool, ownsPool: false }
  return { pool: new FileHandlePool({ maxOpen: options.maxOpenFiles ?? 128 }), ownsPool: true }
}

/**
 * Where a download of `manifest` into `downloadDir` puts the share: the
 * folder `<downloadDir>/<name>` for a multi-file share, the file
 * `<downloadDir>/<path[0]>` for a single-file one (the share's name, for
 * shares mycel makes). No file-system access; the path is checked to stay
 * inside `downloadDir`.
 *
 * @param manifest - the share
 * @param downloadDir - the download folder
 * @returns the absolute content path
 * @throws {@link index!StoreError | StoreError} `PATH_ESCAPE` if a name would leave the folder
 */
export function downloadContentPath(manifest: Manifest, downloadDir: string): string {
  checkManifest(manifest)
  checkPath(downloadDir, 'downloadDir')
  const layout = downloadLayout(manifest, resolve(downloadDir))
  return pathInside(layout.root, layout.content)
}

/** Why a folder could not be made, in words, by errno. */
const MKDIR_FAILURES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'the system does not allow it there',
  EROFS: 'read-only file system',
  ENOENT: 'the file system there does not take new folders',
  ENOTDIR: 'a file is in the way',
  EEXIST: 'a file is in the way',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
}

/**
 * Makes a folder and its missing parents one by one (`mkdir -p` without
 * Node's recursive mode, which spins forever on some paths, such as under
 * `/proc`), refusing a file in the way.
 */
async function makeFolders(fs: FileSystem, absolute: string): Promise<void> {
  const cannot = (why: string, cause?: unknown, code: 'NOT_WRITABLE' | 'DISK_FULL' = 'NOT_WRITABLE') =>
    new StoreError(code, `download folder ${absolute} cannot be created: ${why}`, cause === undefined ? {} : { cause })
  const missing: string[] = []
  for (let path = absolute; ; path = dirname(path)) {
    let found: FileInfo | undefined
    try {
      found = await fs.stat(path)
    } catch (err) {
      const errno = String((err as { code?: unknown }).code)
      // ENOTDIR: a file above; the walk up finds it and names it
      if (errno !== 'ENOTDIR')
        throw cannot(`${path}: ${MKDIR_FAILURES[errno] ?? (err as Error).message} (${errno})`, err)
    }
    if (found !== undefined) {
      if (!found.isDirectory) throw cannot(`${path} is a file`)
      break
    }
    missing.push(path)
    if (dirname(path) === path) break
  }
  for (const folder of missing.reverse()) {
    try {
      await fs.mkdir(folder)
    } catch (err) {
      const errno = String((err as { code?: unknown }).code)
      if (errno === 'EEXIST' && (await fs.stat(folder).catch(() => undefined))?.isDirectory) continue
      if (errno === 'ENOSPC' || errno === 'EDQUOT') throw cannot('no space left on the device', err, 'DISK_FULL')
      throw cannot(`${MKDIR_FAILURES[errno] ?? (err as Error).message} (${errno})`, err)
    }
  }
}

/** Makes the download folder if needed and returns its real path, refusing one that cannot be written. */
async function downloadRoot(fs: FileSystem, downloadDir: string): Promise<string> {
  const absolute = resolve(downloadDir)
  await makeFolders(fs, absolute)
  const root = await fs.realpath(absolute).catch((err: unknown) => {
    throw fsError(err, 'check', absolute)
  })
  const stats = await fs.stat(root)
  if (stats === undefined || !stats.isDirectory) {
    throw new StoreError('NOT_WRITABLE', `download folder ${absolute} is not a folder`)
  }
  try {
    await fs.checkWritable(root)
  } catch (err) {
    throw new StoreError(
      'NOT_WRITABLE',
      `download folder ${root} is not writable (${String((err as Error).message)})`,
      {
        cause: err,
      },
    )
  }
  return root
}

/**
 * Makes a download folder (and its missing parents) and checks that files
 * can be created in it: what {@link openDownloadStore} does first, for a
 * caller that wants to fail at once, before it knows the share's manifest.
 *
 * @param downloadDir - the download folder
 * @param options - the file-system layer
 * @returns the folder's real path
 * @throws {@link index!StoreError | StoreError} `NOT_WRITABLE` (a file in the way, no permission, a read-only
 *   file system, a place that takes no folders such as `/proc`), `DISK_FULL`
 *
 * @example
 * ```ts
 * await prepareDownloadFolder('/media/usb/in') // fails now, not when the first piece arrives
 * ```
 */
export async function prepareDownloadFolder(
  downloadDir: string,
  options: Pick<FsPieceStoreOptions, 'fileSystem'> = {},
): Promise<string> {
  checkPath(downloadDir, 'downloadDir')
  return downloadRoot(options.fileSystem ?? nodeFileSystem, downloadDir)
}

/** Checks (and makes) the content folder and the empty files of a download. */
async function prepareDownload(
  fs: FileSystem,
  manifest: Manifest,
  layout: ShareLayout,
  existingFiles: ExistingFiles,
): Promise<void> {
  const content = pathInside(layout.root, layout.content)
  const existing = await fs.lstat(content).catch((err: unknown) => {
    throw fsError(err, 'check', content)
  })
  if (existing?.isSymbolicLink) {
    throw new StoreError(
      'PATH_ESCAPE',
      `refusing ${content}: it is a symbolic link, which could lead outside ${layout.root}`,
    )
  }
  if (existing !== undefined && existing.isDirectory === manifest.singleFile) {
    throw new StoreError(
      'PATH_CONFLICT',
      `${content} already exists as a ${existing.isDirectory ? 'folder' : 'file'}, but the share is a ${manifest.singleFile ? 'single file' : 'folder'}`,
    )
  }
  if (!manifest.singleFile) await checkFolders(fs, layout.root, layout.content, true)
  for (let index = 0; index < manifest.files.length; index++) {
    if (manifest.files[index]?.length !== 0) continue
    const components = layout.files[index] as readonly string[]
    await checkFolders(fs, layout.root, components.slice(0, -1), true)
    const path = pathInside(layout.root, components)
    const exclusive = existingFiles === 'refuse' ? constants.O_EXCL : 0
    const flags =
      constants.O_WRONLY | constants.O_CREAT | exclusive | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)
    let fd: number
    try {
      fd = await fs.open(path, flags, 0o666)
    } catch (err) {
      if (exclusive !== 0 && (err as { code?: unknown }).code === 'EEXIST') throw fileExists(path, err)
      throw fsError(err, 'create', path)
    }
    try {
      const stats = await fs.fstat(fd)
      if (!stats.isFile) throw new StoreError('PATH_CONFLICT', `${path} should be a regular file`)
      if (stats.size > 0) await fs.ftruncate(fd, 0)
    } catch (err) {
      throw fsError(err, 'write', path)
    } finally {
      await fs.close(fd).catch(() => {})
    }
  }
}

/**
 * Opens the storage of a download: the share's files under `downloadDir`
 * (see {@link downloadContentPath}), created as pieces arrive, written in
 * place. The download folder is created if missing; the share's folder and
 * empty files are created now.
 *
 * Files already on disk are never changed unless `existingFiles` is
 * `adopt`: then the download resumes into them (a file longer than the
 * manifest says is cut to its length at its first write) and their bytes
 * are untrusted until verified: a state store's bitfield, or a
 * {@link index!recheck | recheck}, decides which pieces count.
 *
 * @param manifest - the share
 * @param downloadDir - the download folder
 * @param options - handle pool, allocation, existing files, direct writes, file-system layer
 * @returns the store
 * @throws {@link index!StoreError | StoreError} `FILE_EXISTS` (an empty file of the share is already there,
 *   under `existingFiles: 'refuse'`; a write to such a file fails the same way later),
 *   `NOT_WRITABLE` (folder not writable, or a file where it should be),
 *   `PATH_ESCAPE` (a symbolic link in the way), `PATH_CONFLICT` (a file where the share's folder
 *   should be, or the reverse), `DISK_FULL`, `IO_FAILED`
 *
 * @example
 * ```ts
 * const pieces = await openDownloadStore(manifest, '/home/u/Downloads')
 * await pieces.writePiece(0, verifiedBytes)
 * await pieces.close()
 * ```
 */
export async function openDownloadStore(
  manifest: Manifest,
  downloadDir: string,
  options: DownloadStoreOptions = {},
): Promise<FsPieceStore> {
  checkManifest(manifest)
  checkPath(downloadDir, 'downloadDir')
  const allocation = options.allocation ?? 'sparse'
  if (allocation !== 'sparse' && allocation !== 'full') throw new TypeError(`allocation must be 'sparse' or 'full'`)
  const existingFiles = options.existingFiles ?? 'refuse'
  if (existingFiles !== 'refuse' && existingFiles !== 'adopt') {
    throw new TypeError(`existingFiles must be 'refuse' or 'adopt'`)
  }
  const fs = options.fileSystem ?? nodeFileSystem
  const root = await downloadRoot(fs, downloadDir)
  const layout = downloadLayout(manifest, root)
  // every path is checked (by the constructor) before anything is created
  const directWrites = options.directWrites ?? true
  if (typeof directWrites !== 'boolean') throw new TypeError('directWrites must be a boolean')
  const log = componentLogger(options.logger ?? options.pool?.logger, 'mycel:store')
  const store = refusing(
    log,
    manifest,
    () =>
      new FsPieceStore({
        manifest,
        layout,
        readOnly: false,
        allocation,
        existingFiles,
        directWrites,
        fs,
        log,
        ...poolOf(options),
      }),
  )
  try {
    await prepareDownload(fs, manifest, layout, existingFiles)
  } catch (err) {
    logRefusal(log, manifest, err)
    await store.close()
    throw err
  }
  return store
}

/**
 * Opens a share seeded in place, read-only: `contentPath` is the file (for a
 * single-file share) or the folder holding the files (for a multi-file
 * share) that the user shared, e.g. `/home/u/photos` for share `photos`.
 * Nothing is copied or created; files are opened when first read, each
 * checked to stay inside the shared folder (a symbolic link placed inside it
 * is refused). A file that went missing or shrank fails reads with
 * `DATA_MISSING`.
 *
 * @param manifest - the share, as ingested from `contentPath`
 * @param contentPath - the shared file or folder
 * @param options - handle pool, file-system layer
 * @returns the read-only store
 * @throws {@link index!StoreError | StoreError} `DATA_MISSING` if `contentPath` does not exist, `PATH_CONFLICT`
 *   if it is a folder for a single-file share or a file for a folder share
 *
 * @example
 * ```ts
 * const manifest = await ingestPath('/home/u/photos')
 * const pieces = await openSeedStore(manifest, '/home/u/photos')
 * const block = await pieces.read(0, 0, 16384)
 * ```
 */
export async function openSeedStore(
  manifest: Manifest,
  contentPath: string,
  options: FsPieceStoreOptions = {},
): Promise<FsPieceStore> {
  checkManifest(manifest)
  checkPath(contentPath, 'contentPath')
  const fs = options.fileSystem ?? nodeFileSystem
  const absolute = resolve(contentPath)
  const real = await fs.realpath(absolute).catch((err: unknown) => {
    throw fsError(err, 'open', absolute)
  })
  const stats = await fs.stat(real)
  if (stats === undefined) throw new StoreError('DATA_MISSING', `${absolute} is missing`)
  if (manifest.singleFile ? !stats.isFile : !stats.isDirectory) {
    throw new StoreError(
      'PATH_CONFLICT',
      `${absolute} is not a ${manifest.singleFile ? 'regular file' : 'folder'}, but share ${manifest.name} is one`,
    )
  }
  const layout = seedLayout(manifest, real)
  const log = componentLogger(options.logger ?? options.pool?.logger, 'mycel:store')
  return refusing(
    log,
    manifest,
    () =>
      new FsPieceStore({
        manifest,
        layout,
        readOnly: true,
        allocation: 'sparse',
        existingFiles: 'adopt',
        directWrites: false,
        fs,
        log,
        ...poolOf(options),
      }),
  )
}

/** Makes a store, logging the path it refuses (every path is checked when it is made). */
function refusing(log: ComponentLogger, manifest: Manifest, make: () => FsPieceStore): FsPieceStore {
  try {
    return make()
  } catch (err) {
    logRefusal(log, manifest, err)
    throw err
  }
}
