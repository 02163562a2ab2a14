import type { IngestProgress, Manifest } from '@mycel/pieces'
import type { PieceStore } from '@mycel/store'

/**
 * A file as the storage describes it when it was looked at: what changes
 * when the file is written, cut or replaced (for a file system: size,
 * modification time, change time, inode); `null` when it is missing. Two
 * stamps are compared element by element.
 */
export type FileStamp = readonly number[] | null

/** What is at a path of the storage. */
export type PathKind = 'file' | 'folder' | 'symbolic link' | 'special file'

/**
 * A file on disk that a seeded share's bytes are read from, and the pieces
 * its bytes are in (see {@link ContentStore.sourceFiles}).
 */
export interface SourceFile {
  /** Where it is, in the storage. */
  readonly path: string
  /** The share's file it makes (part of): what {@link ContentStore.closeFile} takes. */
  readonly fileIndex: number
  /** The first piece any of its bytes are in. */
  readonly firstPiece: number
  /** How many pieces its bytes are in: 0 for an empty file. */
  readonly pieceCount: number
}

/** A piece store over files that have paths in a {@link ContentStorage}. */
export interface ContentStore extends PieceStore {
  /** Where file `fileIndex` of the share is. */
  filePath(fileIndex: number): string
  /** Makes the store open file `fileIndex` again at its next read (it was replaced). */
  closeFile(fileIndex: number): Promise<void>
  /**
   * The files on disk that the share's bytes are read from, when they are
   * not the share's own files one for one: a private share is served from
   * its plaintext files, encrypted on read, though its manifest lists one
   * data file. A seed's change watch looks at these. They come in piece
   * order: each starts at or after the piece where the one before starts,
   * and ends at or after where it ends (neighbours may share a piece).
   * Without this method, or when it gives undefined, file `i` of the
   * manifest is at `filePath(i)`.
   */
  sourceFiles?(): readonly SourceFile[] | undefined
}

/** Options of {@link ContentStorage.ingest}. */
export interface ContentIngestOptions {
  signal?: AbortSignal
  /** Piece length in bytes (a power of two); default chosen from the size. */
  pieceLength?: number
  /** Called as the files are hashed. */
  onProgress?: (progress: IngestProgress) => void
  /** Also compute BitTorrent v1 piece hashes (for hybrid `.torrent` export). */
  v1?: boolean
}

/**
 * Where shares' bytes live, and the rules of the places a node reads and
 * writes them: the piece-store factory and path policy of a node. The node
 * core asks it to hash what the app shares, to open the store of a seeded
 * or downloaded share, and to look at what already sits where a download
 * would write (a node never writes over files it did not write). The Node
 * default is the file system (`fileSystemContent` in `@mycel/node`); tests
 * and simulations use memory (`memoryContent` in `@mycel/node/testing`); a
 * browser gives OPFS.
 *
 * Paths are the storage's own strings: the core only passes them back.
 */
export interface ContentStorage {
  /** Makes a path the app gave absolute (the key of a seed and a download folder). */
  resolve(path: string): string
  /** Joins a folder and names. */
  join(folder: string, ...names: string[]): string
  /** The folder that holds `path`. */
  folderOf(path: string): string
  /**
   * Hashes a file or folder into a share's manifest, streaming (constant
   * memory whatever the size).
   * @throws `PiecesError` (`INGEST_*`) or the storage's errors when it cannot be read; `ABORTED`
   */
  ingest(path: string, options: ContentIngestOptions): Promise<Manifest>
  /** Opens a seeded share's store, served in place from `contentPath`. */
  openSeed(manifest: Manifest, contentPath: string): Promise<ContentStore>
  /**
   * Makes a download folder, or fails at once (`StoreError` `NOT_WRITABLE`)
   * when it cannot be made: before any peer is looked for.
   */
  prepareFolder(folder: string): Promise<void>
  /** Where a download of `manifest` into `folder` puts its file or folder. */
  contentPath(manifest: Manifest, folder: string): string
  /**
   * Opens a download's store in `folder`. With `refuse`, the store creates
   * every file it writes and fails (`StoreError` `FILE_EXISTS`) when one is
   * already there; with `adopt`, it writes into the files it finds (ours, or
   * verified in place).
   */
  openDownload(manifest: Manifest, folder: string, existingFiles: 'refuse' | 'adopt'): Promise<ContentStore>
  /** What is at `path` (a link is not followed), or undefined when nothing is. */
  inspect(path: string): Promise<PathKind | undefined>
  /** The stamp of the file at `path` now (`null` when missing, or not a file). */
  stamp(path: string): Promise<FileStamp>
  /** Releases what the storage holds open (files). Idempotent. */
  close(): Promise<void>
}
