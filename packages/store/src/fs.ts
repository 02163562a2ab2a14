/**
 * The file-system {@link index!PieceStore | PieceStore} (Node): a share's bytes in its real
 * files, written in place at their offsets with positioned I/O, through a
 * bounded pool of open files. Downloads go under a download folder; shares
 * seeded in place are read where they are, never copied. Every path taken
 * from a manifest is checked to stay inside its folder, symbolic links
 * included.
 *
 * @example
 * ```ts
 * import { FileHandlePool, openDownloadStore, openSeedStore } from '@mycel/store/fs'
 *
 * const pool = new FileHandlePool({ maxOpen: 256 })
 * const seed = await openSeedStore(photosManifest, '/home/u/photos', { pool })
 * const download = await openDownloadStore(manifest, '/home/u/Downloads', { pool })
 * await download.writePiece(3, verifiedBytes)
 * const block = await seed.read(0, 16384, 16384)
 * await Promise.all([seed.close(), download.close()])
 * await pool.close()
 * ```
 *
 * @module
 */
export type { FileInfo, FileSystem } from './node/fs/file-system.js'
export { blockingFileSystem, nodeFileSystem } from './node/fs/file-system.js'
export { type Allocation, type ExistingFiles, FsPieceStore } from './node/fs/fs-piece-store.js'
export { FileHandlePool, type FileHandlePoolOptions, type FileHandlePoolStats } from './node/fs/handle-pool.js'
export {
  type DownloadStoreOptions,
  downloadContentPath,
  type FsPieceStoreOptions,
  openDownloadStore,
  openSeedStore,
  prepareDownloadFolder,
} from './node/fs/open.js'
