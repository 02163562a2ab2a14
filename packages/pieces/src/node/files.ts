/**
 * Reading files for ingest: a directory walk that never follows symbolic
 * links, and a chunk reader that overlaps disk reads with hashing.
 * @internal
 * @module
 */
import { constants, type Dirent } from 'node:fs'
import { type FileHandle, open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { throwIfAborted } from '@mycel/wire/signal'
import { PiecesError } from '../errors.js'
import type { ManifestLimits } from '../limits.js'

/** What is done with symbolic links and special files (FIFOs, sockets, devices) inside a folder. */
export type SpecialFilePolicy = 'skip' | 'refuse'

/** A regular file found by {@link walkDirectory}. */
export interface FoundFile {
  /** Absolute path on disk. */
  absolute: string
  /** Path components relative to the folder. */
  path: string[]
}

/**
 * Why a folder entry was left out: a symbolic link, a special file (FIFO,
 * socket, device), or a name that is not valid UTF-8 (BEP 52 names are UTF-8).
 */
export type SkipReason = 'symlink' | 'special' | 'name'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Options of {@link walkDirectory}. */
export interface WalkOptions {
  policy: SpecialFilePolicy
  onSkip?: ((path: readonly string[], reason: SkipReason) => void) | undefined
  limits: ManifestLimits
  signal?: AbortSignal | undefined
}

/**
 * Lists the regular files under `root`, depth first. Symbolic links are
 * never followed (they could lead outside the folder or into a loop); they
 * and special files are skipped or refused as the policy says. Empty
 * folders hold no file and so do not appear in a manifest.
 */
export async function walkDirectory(root: string, options: WalkOptions): Promise<FoundFile[]> {
  const found: FoundFile[] = []
  const visit = async (dir: string, prefix: string[]): Promise<void> => {
    throwIfAborted(options.signal, PiecesError)
    if (prefix.length >= options.limits.maxPathDepth) {
      throw PiecesError.badPath(prefix.join('/'), `deeper than ${options.limits.maxPathDepth} components`)
    }
    const entries: Dirent<Buffer>[] = await readdir(dir, { withFileTypes: true, encoding: 'buffer' })
    for (const entry of entries) {
      let name: string
      try {
        name = utf8.decode(entry.name)
      } catch {
        skip([...prefix, entry.name.toString()], 'name', options)
        continue
      }
      const path = [...prefix, name]
      if (entry.isDirectory()) await visit(join(dir, name), path)
      else if (entry.isFile()) {
        if (found.length >= options.limits.maxFiles) {
          throw PiecesError.tooLarge('file count', found.length + 1, options.limits.maxFiles)
        }
        found.push({ absolute: join(dir, name), path })
      } else skip(path, entry.isSymbolicLink() ? 'symlink' : 'special', options)
    }
  }
  await visit(root, [])
  return found
}

const SKIPPED: Record<SkipReason, string> = {
  symlink: 'is a symbolic link',
  special: 'is a special file',
  name: 'has a name that is not UTF-8',
}

function skip(path: string[], reason: SkipReason, options: WalkOptions): void {
  if (options.policy === 'refuse') {
    throw new PiecesError('INGEST_UNSUPPORTED_FILE', `${JSON.stringify(path.join('/'))} ${SKIPPED[reason]}`)
  }
  options.onSkip?.(path, reason)
}

/**
 * Bytes per read: a multiple of 16 KiB, so chunks hash without copies, and
 * small enough that a chunk is still in the CPU cache when it is hashed
 * (reads of 1 MiB and more were three times slower per byte here).
 */
export const CHUNK_SIZE = 512 * 1024

/** Opens a file for reading without following a symbolic link put in its place; also gives its size and time. @internal */
export async function openRegularFile(
  absolute: string,
  path: readonly string[],
): Promise<{ handle: FileHandle; size: number; mtimeMs: number }> {
  const handle = await open(absolute, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  const stats = await handle.stat()
  if (!stats.isFile()) {
    await handle.close()
    throw new PiecesError('INGEST_UNSUPPORTED_FILE', `${JSON.stringify(path.join('/'))} is not a regular file`)
  }
  return { handle, size: stats.size, mtimeMs: stats.mtimeMs }
}

/** Buffers kept in flight by {@link readChunks}: reads run this far ahead of the hashing. */
export const READ_AHEAD = 4

/**
 * Opens a file and reads its `length` bytes in chunks, keeping up to
 * `buffers.length - 1` reads in flight ahead of the chunk being hashed, so
 * the disk (on libuv's thread pool) and the hashing (on this thread) work at
 * the same time and a late read does not stall the hashing. Yielded chunks
 * are views of the shared buffers, valid until the next chunk is asked for.
 * The file is closed at the end, whatever happens.
 */
export async function* readChunks(
  absolute: string,
  length: number,
  path: readonly string[],
  buffers: readonly Uint8Array[],
): AsyncGenerator<Uint8Array> {
  const { handle, ...before } = await openRegularFile(absolute, path)
  const queue: { buffer: Uint8Array; size: number; read: Promise<number> }[] = []
  try {
    if (before.size !== length) throw changed(path, 'changed size since it was listed')
    const free = [...buffers]
    let next = 0
    const readAhead = () => {
      for (let buffer = free.pop(); buffer !== undefined; buffer = free.pop()) {
        if (next >= length) {
          free.push(buffer)
          return
        }
        const size = Math.min(buffer.length, length - next)
        const read = handle.read(buffer, 0, size, next).then((result) => result.bytesRead)
        read.catch(() => {}) // a failed read ahead is reported when it is reached, not as an unhandled rejection
        queue.push({ buffer, size, read })
        next += size
      }
    }
    readAhead()
    for (let head = queue.shift(); head !== undefined; head = queue.shift()) {
      const bytesRead = await head.read
      if (bytesRead !== head.size) throw changed(path, 'is shorter than when it was listed')
      yield head.buffer.subarray(0, bytesRead)
      free.push(head.buffer)
      readAhead()
    }
    const after = await handle.stat()
    if (after.size !== length || after.mtimeMs !== before.mtimeMs) throw changed(path, 'changed while it was hashed')
  } finally {
    await Promise.allSettled(queue.map((entry) => entry.read))
    await handle.close()
  }
}

/** A file found by a walk, with the size it had when it was listed. */
export interface ListedFile {
  readonly absolute: string
  readonly path: readonly string[]
  readonly length: number
}

/**
 * Files up to this size are read whole, several at a time and ahead of the
 * hashing: for them opening, checking and closing cost more than the bytes,
 * and one file after the other left the thread pool idle most of the time
 * (10,000 files of 16 KiB hashed in 12.7 s, 5.4 s of it CPU).
 */
export const SMALL_FILE_BYTES = CHUNK_SIZE

/** Small files read ahead of the one being hashed (at most 16 x 512 KiB held). */
export const FILES_AHEAD = 16

/**
 * The contents of `files`, to be read in the order given (the order ingest
 * hashes them in): each is an iterable of chunks. Reading one starts whole
 * reads of the small files among the next {@link FILES_AHEAD}; a large file
 * is read by {@link readChunks} through the shared `buffers`. Each file is
 * checked as {@link readChunks} checks it (a regular file, not a link, of
 * the listed size, unchanged while read).
 *
 * @param files - the files, in hashing order
 * @param buffers - the chunk buffers of large files
 * @returns one content iterable per file
 */
export function fileContents(
  files: readonly ListedFile[],
  buffers: readonly Uint8Array[],
): AsyncIterable<Uint8Array>[] {
  const ahead = new Map<number, Promise<Uint8Array>>()
  let considered = 0
  const readAhead = (from: number): void => {
    for (; considered < files.length && considered <= from + FILES_AHEAD; considered++) {
      const file = files[considered] as ListedFile
      if (file.length > SMALL_FILE_BYTES || considered === from) continue
      const read = readWhole(file)
      read.catch(() => {}) // reported when its file is reached, not as an unhandled rejection
      ahead.set(considered, read)
    }
  }
  return files.map((file, index) =>
    (async function* (): AsyncGenerator<Uint8Array> {
      readAhead(index)
      if (file.length > SMALL_FILE_BYTES) {
        yield* readChunks(file.absolute, file.length, file.path, buffers)
        return
      }
      const read = ahead.get(index) ?? readWhole(file)
      ahead.delete(index)
      const bytes = await read
      if (bytes.length > 0) yield bytes
    })(),
  )
}

/** Reads a small file whole, with the checks of {@link readChunks}. */
async function readWhole(file: ListedFile): Promise<Uint8Array> {
  const { handle, ...before } = await openRegularFile(file.absolute, file.path)
  try {
    if (before.size !== file.length) throw changed(file.path, 'changed size since it was listed')
    const bytes = new Uint8Array(file.length)
    for (let done = 0; done < bytes.length; ) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, done)
      if (bytesRead === 0) throw changed(file.path, 'is shorter than when it was listed')
      done += bytesRead
    }
    const after = await handle.stat()
    if (after.size !== file.length || after.mtimeMs !== before.mtimeMs) {
      throw changed(file.path, 'changed while it was hashed')
    }
    return bytes
  } finally {
    await handle.close()
  }
}

/** The error of a file that changed while it was read. @internal */
export function changed(path: readonly string[], why: string): PiecesError {
  return new PiecesError('INGEST_FILE_CHANGED', `${JSON.stringify(path.join('/'))} ${why}`)
}
