import type { HashedIngestSource, IngestSource } from '@mycel/pieces'
import type { EncryptedShare, PrivateSourceFile } from '@mycel/pieces/private'

/** A file being written: in order from its start (`write`), or at positions (`writeAt`). */
export interface FileSink {
  /**
   * Appends bytes (the array is not kept after the promise settles).
   * @param bytes - the next bytes
   */
  write(bytes: Uint8Array): Promise<void>
  /**
   * Writes bytes at a position (the file grows as needed; writes may come in any order).
   * @param position - byte offset in the file
   * @param bytes - the bytes (not kept after the promise settles)
   */
  writeAt(position: number, bytes: Uint8Array): Promise<void>
  /** Flushes and closes the file. */
  close(): Promise<void>
  /** Closes and deletes the file (it was created by this sink). Never throws. */
  discard(): Promise<void>
}

/**
 * What private shares need of the place a node keeps bytes, besides its
 * `ContentStorage`: reading the plaintext of what is shared (to
 * encrypt it), a folder for the ciphertext versions this node made or
 * fetched to read, and writing the decrypted files of a reader. The Node
 * default is `fileSystemPrivateStorage` (under `dataDir/private`).
 */
export interface PrivateStorage {
  /** Folder that holds one folder per ciphertext version (`private-<16 hex digits>`). */
  readonly versionsFolder: string
  /**
   * Lists a file or folder to share privately, every length known; each
   * file's bytes are read once, in order, when its `content` is iterated.
   * @throws as `ContentStorage.ingest`
   */
  listFiles(path: string, options: { signal?: AbortSignal }): Promise<{ name: string; files: PrivateSourceFile[] }>
  /**
   * The ingest sources of a version, where this platform can encrypt and hash its data file faster
   * than `version.sources` (Node: in worker threads, `encryptedSources` of `@mycel/pieces/node`).
   * Without it, `version.sources` are hashed on the calling thread. Either way, the same manifest.
   */
  encryptedSources?(
    version: EncryptedShare,
    options: { signal?: AbortSignal },
  ): readonly (IngestSource | HashedIngestSource)[]
  /**
   * Creates a file that must not exist yet (its folders made as needed).
   * @throws `NodeError` `DESTINATION_EXISTS` when something is at `path`
   */
  createFile(path: string, options?: { executable?: boolean }): Promise<FileSink>
  /**
   * Marks a file this node wrote executable (a reader's decrypted file the manifest says is), where
   * the storage has such a mark.
   */
  setExecutable?(path: string): Promise<void>
  /** Deletes a version folder this node wrote (a ciphertext version it no longer keeps). */
  removeVersion(folder: string): Promise<void>
}
