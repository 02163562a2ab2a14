/**
 * Taps on the pieces a download stores: a private download decrypts each
 * verified piece of ciphertext as it is written, instead of reading it back
 * from disk afterwards.
 * @module
 */
import type { ContentStorage, ContentStore } from '../content.js'

/** Called with each verified piece once it is stored; the store's write waits for it. */
export type PieceTap = (piece: number, bytes: Uint8Array) => Promise<void>

/** The taps of a node's downloads, by infohash (hex). @internal */
export class PieceTaps {
  private readonly taps = new Map<string, PieceTap>()

  /** Taps the pieces of a download opened from now on. */
  set(infohashHex: string, tap: PieceTap): void {
    this.taps.set(infohashHex, tap)
  }

  /** Removes a tap (a store opened with it keeps calling it while it is there). */
  delete(infohashHex: string): void {
    this.taps.delete(infohashHex)
  }

  /**
   * The storage, with the stores of tapped downloads tapped.
   * @param storage - the node's storage
   * @returns the same storage but `openDownload`
   */
  wrap(storage: ContentStorage): ContentStorage {
    return {
      resolve: (path) => storage.resolve(path),
      join: (folder, ...names) => storage.join(folder, ...names),
      folderOf: (path) => storage.folderOf(path),
      ingest: (path, options) => storage.ingest(path, options),
      openSeed: (manifest, contentPath) => storage.openSeed(manifest, contentPath),
      prepareFolder: (folder) => storage.prepareFolder(folder),
      contentPath: (manifest, folder) => storage.contentPath(manifest, folder),
      openDownload: async (manifest, folder, existingFiles) => {
        const store = await storage.openDownload(manifest, folder, existingFiles)
        return this.taps.has(manifest.infohashHex) ? this.tapped(store, manifest.infohashHex) : store
      },
      inspect: (path) => storage.inspect(path),
      stamp: (path) => storage.stamp(path),
      close: () => storage.close(),
    }
  }

  private tapped(store: ContentStore, infohashHex: string): ContentStore {
    const taps = this.taps
    return {
      get manifest() {
        return store.manifest
      },
      get readOnly() {
        return store.readOnly
      },
      write: (fileIndex, offset, bytes, options) => store.write(fileIndex, offset, bytes, options),
      read: (fileIndex, offset, length, options) => store.read(fileIndex, offset, length, options),
      readInto: (fileIndex, offset, target, options) => store.readInto(fileIndex, offset, target, options),
      async writePiece(piece, bytes, options) {
        await store.writePiece(piece, bytes, options)
        await taps.get(infohashHex)?.(piece, bytes)
      },
      readPiece: (piece, options) => store.readPiece(piece, options),
      has: (piece, options) => store.has(piece, options),
      sync: (options) => store.sync(options),
      close: () => store.close(),
      filePath: (fileIndex) => store.filePath(fileIndex),
      closeFile: (fileIndex) => store.closeFile(fileIndex),
    }
  }
}
