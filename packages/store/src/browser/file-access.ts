/**
 * The seam between the browser piece store and where its bytes live: files
 * named by `/`-free path components, read and written at offsets. OPFS (a
 * dedicated worker with synchronous access handles, or the asynchronous
 * API) and IndexedDB each implement it.
 * @internal
 * @module
 */

/** A file's place: its path components under the storage's root folder. */
export type FilePath = readonly string[]

/** Files of one browser storage, as a {@link BrowserPieceStore} uses them. @internal */
export interface FileAccess {
  /** What the storage is, for messages (`OPFS (worker)`, `IndexedDB`). */
  readonly kind: string
  /** The file's size, or undefined when there is no such file. */
  size(path: FilePath): Promise<number | undefined>
  /**
   * Reads from `offset` into `target`; fewer bytes at the end of the file.
   * @returns the bytes read
   */
  read(path: FilePath, offset: number, target: Uint8Array): Promise<number>
  /** Writes `bytes` at `offset`; the file must exist (see {@link FileAccess.setSize}). */
  write(path: FilePath, offset: number, bytes: Uint8Array): Promise<void>
  /** Makes the file (and its folders) if missing and sets its size: what grows reads as zeros. */
  setSize(path: FilePath, size: number): Promise<void>
  /** What is at a path: a file, a folder, or nothing (undefined). */
  pathKind(path: FilePath): Promise<'file' | 'folder' | undefined>
  /** Lets go of these files' handles (a store that shares the access closed); a later use opens them again. */
  release(paths: readonly FilePath[]): Promise<void>
  /** Makes what was written durable. */
  flush(): Promise<void>
  /** Releases handles (and the worker). Idempotent. */
  close(): Promise<void>
}

/**
 * Splits a `/`-separated path into components, refusing empty, `.` and `..` ones.
 * @throws TypeError for a path that is not a plain relative path
 */
export function pathComponents(path: string, name = 'path'): string[] {
  if (typeof path !== 'string') throw new TypeError(`${name} must be a string`)
  const parts = path.split('/').filter((part) => part !== '')
  if (parts.length === 0) throw new TypeError(`${name} names no file or folder`)
  for (const part of parts) {
    if (part === '.' || part === '..' || part.includes('\\') || part.includes('\0')) {
      throw new TypeError(`${name} has a component ${JSON.stringify(part)} that is not a plain name`)
    }
  }
  return parts
}

/** The text form of a file path, for messages and keys. */
export function pathText(path: FilePath): string {
  return path.join('/')
}
