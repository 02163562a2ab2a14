import { stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { assertSignal } from '@mycel/wire/assert'
import { PiecesError } from '../errors.js'
import { type HashedIngestSource, type IngestOptions, type IngestSource, ingest } from '../ingest.js'
import { resolveLimits } from '../limits.js'
import type { Manifest } from '../manifest/model.js'
import { comparePaths } from '../manifest/paths.js'
import { FileWorkers, fileWorkerCount, WORKER_MIN_FILES } from './file-workers.js'
import {
  CHUNK_SIZE,
  type FoundFile,
  fileContents,
  READ_AHEAD,
  readChunks,
  type SkipReason,
  SMALL_FILE_BYTES,
  type SpecialFilePolicy,
  walkDirectory,
} from './files.js'
import { nodeHashProvider } from './hash.js'
import { giveThreads, takeThreads } from './thread-budget.js'

/** Options of {@link ingestPath}, {@link ingestFile} and {@link ingestDirectory}. */
export interface IngestPathOptions extends Omit<IngestOptions, 'name'> {
  /** The share's name; default the file or folder name. */
  name?: string
  /**
   * What to do with symbolic links, special files (FIFOs, sockets, devices)
   * and entries whose name is not UTF-8 inside a folder: `'skip'` them (the
   * default; `onSkip` hears of each) or `'refuse'` the whole folder
   * (`INGEST_UNSUPPORTED_FILE`). Links are never followed: they could point
   * outside the folder.
   */
  special?: SpecialFilePolicy
  /** Called for each entry left out under `special: 'skip'`. */
  onSkip?: (path: readonly string[], reason: SkipReason) => void
  /** Mark files whose owner-execute bit is set as executable (attribute `x`), as libtorrent does. Default true. */
  attributes?: boolean
}

/** File ingest with the node:crypto provider unless another is given. */
function withDefaults(options: IngestPathOptions, name: string): IngestOptions {
  const { special: _special, onSkip: _onSkip, attributes: _attributes, ...rest } = options
  return { ...rest, name: options.name ?? name, hash: options.hash ?? nodeHashProvider }
}

/**
 * The read buffers for a file of `length` bytes: up to {@link READ_AHEAD}
 * chunks of up to {@link CHUNK_SIZE}, no more than the file fills (a 64 KiB
 * file gets one 64 KiB buffer, not 2 MiB: a node sharing many small files
 * one by one allocated and collected 2 MiB each).
 * @internal
 */
export function readBuffers(length: number): Uint8Array[] {
  const count = Math.min(READ_AHEAD, Math.ceil(length / CHUNK_SIZE))
  return Array.from({ length: count }, () => new Uint8Array(Math.min(CHUNK_SIZE, length)))
}

function isExecutable(mode: number, options: IngestPathOptions): boolean {
  return options.attributes !== false && (mode & 0o100) !== 0
}

/**
 * Hashes one file from disk into a single-file manifest, reading it in
 * 512 KiB chunks with the next read in flight while the current chunk is
 * hashed. Memory stays constant whatever the file size. The
 * file is seeded in place later: nothing is copied.
 *
 * @param path - the file
 * @param options - name, piece length, hash provider (default {@link nodeHashProvider}), v1, progress, abort
 * @returns the manifest
 * @throws {@link index!PiecesError} `INGEST_FILE_CHANGED` if the file changes while
 *   it is read, `INGEST_UNSUPPORTED_FILE` if it is not a regular file,
 *   `ABORTED`, and the `MANIFEST_*` codes of {@link index!createManifest}; Node's
 *   own errors (`ENOENT`, `EACCES`) as they are
 *
 * @example
 * ```ts
 * const manifest = await ingestFile('./movie.mkv', { onProgress: (p) => console.log(p.bytesHashed) })
 * ```
 */
export async function ingestFile(path: string, options: IngestPathOptions = {}): Promise<Manifest> {
  assertSignal(options.signal)
  const absolute = resolve(path)
  const stats = await stat(absolute)
  if (!stats.isFile()) throw new PiecesError('INGEST_UNSUPPORTED_FILE', `${absolute} is not a regular file`)
  const name = options.name ?? basename(absolute)
  const reads = readBuffers(stats.size)
  const source: IngestSource = {
    path: [name],
    length: stats.size,
    executable: isExecutable(stats.mode, options),
    content: readChunks(absolute, stats.size, [name], reads),
  }
  return ingest([source], withDefaults(options, name))
}

/**
 * Hashes a folder from disk into a multi-file manifest named after it.
 * Files are hashed one at a time in canonical order; small ones (up to
 * 512 KiB) are read whole, up to 16 ahead of the hashing. Hidden files (names
 * starting with `.`) are included, as libtorrent does; empty folders are not
 * represented (BEP 52 has no folders, only file paths); symbolic links and
 * special files follow the `special` option.
 *
 * @param path - the folder
 * @param options - as {@link ingestFile}, plus `special` and `onSkip`
 * @returns the manifest
 * @throws {@link index!PiecesError} as {@link ingestFile}, and
 *   `INGEST_UNSUPPORTED_FILE` for a link or special file under `special: 'refuse'`,
 *   `MANIFEST_EMPTY` for a folder without data
 *
 * @example
 * ```ts
 * const manifest = await ingestDirectory('./photos', { v1: true, special: 'refuse' })
 * ```
 */
export async function ingestDirectory(path: string, options: IngestPathOptions = {}): Promise<Manifest> {
  assertSignal(options.signal)
  const absolute = resolve(path)
  const stats = await stat(absolute)
  if (!stats.isDirectory()) throw new PiecesError('INGEST_UNSUPPORTED_FILE', `${absolute} is not a folder`)
  const name = options.name ?? basename(absolute)
  const found = await walkDirectory(absolute, {
    policy: options.special ?? 'skip',
    onSkip: options.onSkip,
    limits: resolveLimits(options.limits),
    signal: options.signal,
  })
  // In the order ingest hashes them, so that the reads ahead are of the next files hashed.
  found.sort((a, b) => comparePaths(a.path, b.path))
  // SHA-1 (v1) needs the bytes, and another hash provider must see them: those read here.
  if (found.length >= WORKER_MIN_FILES && options.v1 !== true && options.hash === undefined) {
    return ingestInWorkers(found, options, name)
  }
  const listed = await statAll(found)
  const contents = fileContents(
    listed.map(({ file, stats }) => ({ absolute: file.absolute, path: file.path, length: stats.size })),
    readBuffers(Number.MAX_SAFE_INTEGER),
  )
  const sources: IngestSource[] = listed.map(({ file, stats }, index) => ({
    path: file.path,
    length: stats.size,
    executable: isExecutable(stats.mode, options),
    content: contents[index] as AsyncIterable<Uint8Array>,
  }))
  return ingest(sources, withDefaults(options, name))
}

/**
 * {@link ingestDirectory} of many files: the worker threads of
 * {@link FileWorkers} stat every file, and read and hash the small ones;
 * large ones are read here in chunks, as {@link ingestFile} reads a file.
 */
async function ingestInWorkers(found: FoundFile[], options: IngestPathOptions, name: string): Promise<Manifest> {
  // Fewer workers than asked for while other ingests of this process hold threads.
  const granted = await takeThreads(fileWorkerCount(), options.signal)
  let workers: FileWorkers | undefined
  try {
    workers = new FileWorkers(granted, SMALL_FILE_BYTES, options.signal)
    const listed = await workers.stat(found.map((file) => file.absolute))
    const small = found.flatMap((file, index) => {
      const length = (listed[index] as { size: number }).size
      return length <= SMALL_FILE_BYTES ? [{ absolute: file.absolute, path: file.path, length }] : []
    })
    const hashed = workers.hash(small)
    const reads = readBuffers(Number.MAX_SAFE_INTEGER) // large files are read one at a time, each through these
    let smallIndex = 0
    const sources = found.map((file, index): IngestSource | HashedIngestSource => {
      const { size, mode } = listed[index] as { size: number; mode: number }
      const executable = isExecutable(mode, options)
      if (size <= SMALL_FILE_BYTES)
        return { path: file.path, length: size, executable, blockHashes: hashed(smallIndex++) }
      return { path: file.path, length: size, executable, content: readChunks(file.absolute, size, file.path, reads) }
    })
    return await ingest(sources, withDefaults(options, name))
  } finally {
    await workers?.close()
    giveThreads(granted)
  }
}

/** Stats taken this many at a time: each is a trip to libuv's thread pool. */
const STATS_AT_ONCE = 32

/** The size and mode of each file, `STATS_AT_ONCE` asked at a time, in the order given. */
async function statAll<T extends { absolute: string }>(
  files: readonly T[],
): Promise<{ file: T; stats: { size: number; mode: number } }[]> {
  const listed: { file: T; stats: { size: number; mode: number } }[] = new Array(files.length)
  let next = 0
  const worker = async (): Promise<void> => {
    for (let index = next++; index < files.length; index = next++) {
      const file = files[index] as T
      listed[index] = { file, stats: await stat(file.absolute) }
    }
  }
  await Promise.all(Array.from({ length: Math.min(STATS_AT_ONCE, files.length) }, worker))
  return listed
}

/**
 * Hashes a file or a folder, whichever `path` is (a symbolic link given here
 * is followed; links inside a folder are not).
 *
 * @param path - a file or a folder
 * @param options - see {@link ingestFile} and {@link ingestDirectory}
 * @returns the manifest
 * @throws {@link index!PiecesError} as {@link ingestFile} and {@link ingestDirectory}
 *
 * @example
 * ```ts
 * const manifest = await ingestPath(process.argv[2])
 * console.log(formatMagnet({ infohash: manifest.infohash, name: manifest.name }))
 * ```
 */
export async function ingestPath(path: string, options: IngestPathOptions = {}): Promise<Manifest> {
  const stats = await stat(resolve(path))
  if (stats.isDirectory()) return ingestDirectory(path, options)
  if (stats.isFile()) return ingestFile(path, options)
  throw new PiecesError('INGEST_UNSUPPORTED_FILE', `${resolve(path)} is neither a file nor a folder`)
}
