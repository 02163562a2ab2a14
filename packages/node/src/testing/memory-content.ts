import { ingest, type Manifest } from '@mycel/pieces'
import { AbstractPieceStore, type PieceIoOptions, StoreError } from '@mycel/store'
import type { ContentIngestOptions, ContentStorage, ContentStore, FileStamp, PathKind } from '../content.js'

interface MemoryFile {
  bytes: Uint8Array
  /** Bumped at every change: the file's stamp. */
  version: number
}

/** A path made absolute and plain: `/`-separated, no `.` or `..`, no trailing `/`. */
function normalise(path: string): string {
  const parts: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return `/${parts.join('/')}`
}

function parentOf(path: string): string {
  const index = path.lastIndexOf('/')
  return index <= 0 ? '/' : path.slice(0, index)
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/**
 * A {@link ContentStorage} in memory: files are byte arrays under `/`-paths,
 * for tests, simulations and demos that need no disk. A test puts the files
 * a node shares with {@link MemoryContent.put} and reads what a node
 * downloaded with {@link MemoryContent.get}; changing a file under a seeder
 * ({@link MemoryContent.put} again, {@link MemoryContent.remove}) is seen by
 * its content watch, as on a disk.
 *
 * @example
 * ```ts
 * const content = memoryContent()
 * content.put('/share/movie.mkv', bytes)
 * const node = await createCoreNode({ content, ... })
 * const share = await node.share('/share/movie.mkv')
 * ```
 */
export class MemoryContent implements ContentStorage {
  private readonly files = new Map<string, MemoryFile>()
  private readonly folders = new Set<string>(['/'])
  private version = 0

  /** Writes a whole file (its folders are made). */
  put(path: string, bytes: Uint8Array): void {
    const at = normalise(path)
    if (this.folders.has(at)) throw new Error(`${at} is a folder`)
    this.makeFolder(parentOf(at))
    this.files.set(at, { bytes: bytes.slice(), version: ++this.version })
  }

  /** A copy of a file's bytes, or undefined when there is none. */
  get(path: string): Uint8Array | undefined {
    return this.files.get(normalise(path))?.bytes.slice()
  }

  /** Deletes a file. */
  remove(path: string): boolean {
    return this.files.delete(normalise(path))
  }

  /** The files under a folder (all of them by default), as paths. */
  list(folder = '/'): string[] {
    const prefix = normalise(folder)
    const under = prefix === '/' ? '/' : `${prefix}/`
    return [...this.files.keys()].filter((path) => path.startsWith(under)).sort()
  }

  resolve(path: string): string {
    return normalise(path)
  }

  join(folder: string, ...names: string[]): string {
    return normalise([folder, ...names].join('/'))
  }

  folderOf(path: string): string {
    return parentOf(normalise(path))
  }

  async ingest(path: string, options: ContentIngestOptions): Promise<Manifest> {
    const at = normalise(path)
    const file = this.files.get(at)
    const base = {
      name: nameOf(at),
      ...(options.pieceLength !== undefined ? { pieceLength: options.pieceLength } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      ...(options.v1 === true ? { v1: true } : {}),
    }
    if (file !== undefined) {
      return ingest([{ path: [base.name], length: file.bytes.length, content: [file.bytes] }], base)
    }
    const paths = this.list(at)
    if (!this.folders.has(at) || paths.length === 0) {
      throw new StoreError('DATA_MISSING', `${at}: no such file or folder (or an empty folder)`)
    }
    const sources = paths.map((filePath) => {
      const bytes = (this.files.get(filePath) as MemoryFile).bytes
      return { path: filePath.slice(at.length + 1).split('/'), length: bytes.length, content: [bytes] }
    })
    return ingest(sources, base)
  }

  async openSeed(manifest: Manifest, contentPath: string): Promise<ContentStore> {
    return new MemoryContentStore(this, manifest, normalise(contentPath), true)
  }

  async prepareFolder(folder: string): Promise<void> {
    const at = normalise(folder)
    for (let path = at; ; path = parentOf(path)) {
      if (this.files.has(path)) throw new StoreError('NOT_WRITABLE', `${at} cannot be made: ${path} is a file`)
      if (path === '/') break
    }
    this.makeFolder(at)
  }

  contentPath(manifest: Manifest, folder: string): string {
    return this.join(folder, manifest.name)
  }

  async openDownload(manifest: Manifest, folder: string, existingFiles: 'refuse' | 'adopt'): Promise<ContentStore> {
    const store = new MemoryContentStore(this, manifest, this.contentPath(manifest, folder), false)
    manifest.files.forEach((file, index) => {
      const path = store.filePath(index)
      if (existingFiles === 'refuse' && this.files.has(path)) {
        throw new StoreError('FILE_EXISTS', `${path} exists and was not made by this download`)
      }
      if (file.length === 0) this.fileFor(path, 0) // nothing is ever written to it: made now
    })
    return store
  }

  async inspect(path: string): Promise<PathKind | undefined> {
    const at = normalise(path)
    if (this.files.has(at)) return 'file'
    return this.folders.has(at) ? 'folder' : undefined
  }

  async stamp(path: string): Promise<FileStamp> {
    const file = this.files.get(normalise(path))
    return file === undefined ? null : [file.bytes.length, file.version]
  }

  async close(): Promise<void> {}

  /** @internal The bytes of a file, made (as zeros of `length`) if missing. */
  fileFor(path: string, length: number): MemoryFile {
    let file = this.files.get(path)
    if (file === undefined) {
      this.makeFolder(parentOf(path))
      file = { bytes: new Uint8Array(length), version: ++this.version }
      this.files.set(path, file)
    } else if (file.bytes.length < length) {
      const grown = new Uint8Array(length)
      grown.set(file.bytes)
      file.bytes = grown
    }
    return file
  }

  /** @internal A file, if there is one. */
  fileAt(path: string): MemoryFile | undefined {
    return this.files.get(path)
  }

  /** @internal Counts a change of a file. */
  touched(file: MemoryFile): void {
    file.version = ++this.version
  }

  private makeFolder(folder: string): void {
    for (let path = folder; !this.folders.has(path); path = parentOf(path)) this.folders.add(path)
  }
}

/** Checks that a range lies in file `fileIndex` of the share. */
function assertFileRange(manifest: Manifest, fileIndex: number, offset: number, length: number): { length: number } {
  const file = manifest.files[fileIndex]
  if (file === undefined) throw new RangeError(`fileIndex ${fileIndex} is not a file of the share`)
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > file.length) {
    throw new RangeError(`bytes ${offset}..${offset + length} are outside file ${fileIndex} (${file.length} bytes)`)
  }
  return file
}

/** A share's store over a {@link MemoryContent}: reads and writes its files in place. */
class MemoryContentStore extends AbstractPieceStore implements ContentStore {
  private closed = false

  constructor(
    private readonly content: MemoryContent,
    readonly manifest: Manifest,
    private readonly root: string,
    readonly readOnly: boolean,
  ) {
    super()
  }

  filePath(fileIndex: number): string {
    const file = this.manifest.files[fileIndex]
    if (file === undefined) throw new RangeError(`no file ${fileIndex}`)
    return this.manifest.singleFile ? this.root : `${this.root}/${file.path.join('/')}`
  }

  async closeFile(): Promise<void> {}

  async write(fileIndex: number, offset: number, bytes: Uint8Array, _options: PieceIoOptions = {}): Promise<void> {
    const file = assertFileRange(this.manifest, fileIndex, offset, bytes.length)
    this.assertOpen()
    if (this.readOnly) throw new StoreError('READ_ONLY', `share ${this.manifest.name} is open read-only`)
    const target = this.content.fileFor(this.filePath(fileIndex), file.length)
    target.bytes.set(bytes, offset)
    this.content.touched(target)
  }

  async readInto(
    fileIndex: number,
    offset: number,
    target: Uint8Array,
    _options: PieceIoOptions = {},
  ): Promise<Uint8Array> {
    assertFileRange(this.manifest, fileIndex, offset, target.length)
    this.assertOpen()
    const file = this.content.fileAt(this.filePath(fileIndex))
    if (file === undefined || file.bytes.length < offset + target.length) {
      throw new StoreError('DATA_MISSING', `${this.filePath(fileIndex)} is missing or shorter than the share says`)
    }
    target.set(file.bytes.subarray(offset, offset + target.length))
    return target
  }

  async has(piece: number): Promise<boolean> {
    const { fileIndex, offset } = this.manifest.locatePiece(piece)
    const file = this.content.fileAt(this.filePath(fileIndex))
    return file !== undefined && file.bytes.length >= offset + this.manifest.pieceSize(piece)
  }

  async sync(): Promise<void> {
    this.assertOpen()
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private assertOpen(): void {
    if (this.closed) throw StoreError.closed('piece store')
  }
}

/**
 * A {@link ContentStorage} in memory (see {@link MemoryContent}).
 * @returns an empty one
 */
export function memoryContent(): MemoryContent {
  return new MemoryContent()
}
