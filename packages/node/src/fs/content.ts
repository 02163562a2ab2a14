import { lstat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { Manifest } from '@mycel/pieces'
import { ingestPath } from '@mycel/pieces/node'
import {
  blockingFileSystem,
  downloadContentPath,
  FileHandlePool,
  type FileSystem,
  nodeFileSystem,
  openDownloadStore,
  openSeedStore,
  prepareDownloadFolder,
} from '@mycel/store/fs'
import type { Logger } from '@mycel/wire/log'
import type { ContentStorage, ContentStore, FileStamp, PathKind } from '../content.js'

/**
 * File access of the piece stores: reads block (a seeder's 128 KiB reads
 * mostly hit the page cache and cost microseconds; a trip to libuv's thread
 * pool and back cost more than the read itself), writes go to the thread
 * pool (writing a whole piece can stall on the disk).
 */
const pieceFileSystem: FileSystem = { ...nodeFileSystem, read: blockingFileSystem.read }

/** Options of {@link fileSystemContent}. */
export interface FileSystemContentOptions {
  /** Open files of all shares together (default 256). */
  maxOpenFiles?: number
  /** Where the stores log (`mycel:store`): refused paths, recovered I/O errors. */
  logger?: Logger
  /**
   * Write downloaded pieces of 1 MiB and more with direct I/O (`O_DIRECT`),
   * past the kernel's page cache, where the system allows it (Linux).
   * Default true.
   */
  directWrites?: boolean
}

/**
 * The {@link ContentStorage} of a Node process: the file system. Shared
 * files are hashed and served where they are (never copied); downloads are
 * written in place into their folder, multi-file aware, and a store never
 * writes into a file it did not create unless told to adopt it; one pool
 * of file handles bounds the open files of every share.
 *
 * @param options - open files, direct writes
 * @returns the storage (close it with the node, which does)
 *
 * @example
 * ```ts
 * const node = await createNode({ content: fileSystemContent({ maxOpenFiles: 64 }) })
 * ```
 */
export function fileSystemContent(options: FileSystemContentOptions = {}): ContentStorage {
  const files = new FileHandlePool({
    maxOpen: options.maxOpenFiles ?? 256,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  })
  const directWrites = options.directWrites ?? true
  const storeOptions = { pool: files, fileSystem: pieceFileSystem }
  return {
    resolve: (path) => resolve(path),
    join: (folder, ...names) => join(folder, ...names),
    folderOf: (path) => dirname(path),
    ingest: (path, ingest) =>
      ingestPath(path, {
        ...(ingest.signal ? { signal: ingest.signal } : {}),
        ...(ingest.pieceLength ? { pieceLength: ingest.pieceLength } : {}),
        ...(ingest.onProgress ? { onProgress: ingest.onProgress } : {}),
        ...(ingest.v1 ? { v1: true } : {}),
      }),
    openSeed: (manifest, contentPath): Promise<ContentStore> => openSeedStore(manifest, contentPath, storeOptions),
    prepareFolder: async (folder) => {
      await prepareDownloadFolder(folder, { fileSystem: pieceFileSystem })
    },
    contentPath: (manifest: Manifest, folder) => downloadContentPath(manifest, folder),
    openDownload: (manifest, folder, existingFiles): Promise<ContentStore> =>
      openDownloadStore(manifest, folder, { ...storeOptions, directWrites, existingFiles }),
    inspect: kindAt,
    stamp: stampOf,
    close: () => files.close(),
  }
}

/** What is at `path` (not following a link), or undefined when nothing is. */
async function kindAt(path: string): Promise<PathKind | undefined> {
  try {
    const stats = await lstat(path)
    if (stats.isFile()) return 'file'
    if (stats.isDirectory()) return 'folder'
    return stats.isSymbolicLink() ? 'symbolic link' : 'special file'
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw error
  }
}

/** The stamp of the file at `path` now: size, mtime, ctime and inode (null when it cannot be seen). */
async function stampOf(path: string): Promise<FileStamp> {
  try {
    const stats = await lstat(path)
    return stats.isFile() ? [stats.size, stats.mtimeMs, stats.ctimeMs, stats.ino] : null
  } catch {
    return null // missing, or not reachable: what cannot be looked at is not served
  }
}
