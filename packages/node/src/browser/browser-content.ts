import { ingest, type Manifest } from '@mycel/pieces'
import { StoreError } from '@mycel/store'
import type { BrowserPieceStore, BrowserStorage } from '@mycel/store/browser'
import { throwIfAborted } from '@mycel/wire/signal'
import type { ContentIngestOptions, ContentStorage, ContentStore, FileStamp, PathKind } from '../content.js'

/** Bytes read at a time when a file of the browser storage is hashed to be shared. */
export const BROWSER_INGEST_CHUNK = 1024 * 1024

/** A path made plain: `/`-separated components, no `.`, `..` taken back, no leading or trailing `/`. */
function normalise(path: string): string {
  const parts: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return parts.join('/')
}

/**
 * A {@link ContentStorage} in the browser's own storage (see
 * `@mycel/store/browser`: OPFS, or IndexedDB): what the node core needs to
 * download into it, serve from it, and share files already in it. Paths are
 * `/`-separated under the storage's root (`downloads/movie.mkv`); `''` is the
 * root. A file's stamp is its size (a browser storage has no modification
 * times through sync access handles): a seeded file changed to another size
 * is seen and rechecked, one rewritten at the same size is not.
 *
 * Sharing a folder of the storage is not supported yet: share its files one
 * by one (`ingest` fails with `StoreError` `NOT_READABLE`).
 */
export class BrowserContent implements ContentStorage {
  /**
   * @param storage - from `openBrowserStorage()` of `@mycel/store/browser`
   * @param ownsStorage - whether {@link BrowserContent.close} closes it (default true)
   */
  constructor(
    readonly storage: BrowserStorage,
    private readonly ownsStorage = true,
  ) {}

  resolve(path: string): string {
    return normalise(path)
  }

  join(folder: string, ...names: string[]): string {
    return normalise([folder, ...names].join('/'))
  }

  folderOf(path: string): string {
    const plain = normalise(path)
    const index = plain.lastIndexOf('/')
    return index < 0 ? '' : plain.slice(0, index)
  }

  async ingest(path: string, options: ContentIngestOptions): Promise<Manifest> {
    const at = normalise(path)
    const kind = at === '' ? 'folder' : await this.storage.kindOf(at)
    if (kind === undefined) throw new StoreError('DATA_MISSING', `${at}: no such file in ${this.storage.kind}`)
    if (kind === 'folder') {
      throw new StoreError(
        'NOT_READABLE',
        `${at || 'the root'} is a folder: share the files of a browser storage one by one`,
      )
    }
    const length = (await this.storage.size(at)) as number
    const storage = this.storage
    const signal = options.signal
    async function* content(): AsyncGenerator<Uint8Array> {
      const buffer = new Uint8Array(Math.min(BROWSER_INGEST_CHUNK, Math.max(length, 1)))
      for (let offset = 0; offset < length; ) {
        throwIfAborted(signal, StoreError)
        const want = Math.min(buffer.length, length - offset)
        const read = await storage.read(at, offset, buffer.subarray(0, want))
        if (read < want) throw new StoreError('DATA_MISSING', `${at} became shorter while it was hashed`)
        yield buffer.subarray(0, read)
        offset += read
      }
    }
    return ingest([{ path: [at.slice(at.lastIndexOf('/') + 1)], length, content: content() }], {
      name: at.slice(at.lastIndexOf('/') + 1),
      ...(options.pieceLength !== undefined ? { pieceLength: options.pieceLength } : {}),
      ...(signal !== undefined ? { signal } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      ...(options.v1 === true ? { v1: true } : {}),
    })
  }

  async openSeed(manifest: Manifest, contentPath: string): Promise<ContentStore> {
    return contentStore(await this.storage.open(manifest, { contentPath: normalise(contentPath), readOnly: true }))
  }

  async prepareFolder(folder: string): Promise<void> {
    const parts = normalise(folder)
      .split('/')
      .filter((part) => part !== '')
    for (let end = 1; end <= parts.length; end++) {
      const path = parts.slice(0, end).join('/')
      const kind = await this.storage.kindOf(path)
      if (kind === 'file')
        throw new StoreError('NOT_WRITABLE', `${normalise(folder)} cannot be made: ${path} is a file`)
      if (kind === undefined) return // folders are made with the first file written under them
    }
  }

  contentPath(manifest: Manifest, folder: string): string {
    return this.join(folder, manifest.name)
  }

  async openDownload(manifest: Manifest, folder: string, existingFiles: 'refuse' | 'adopt'): Promise<ContentStore> {
    const contentPath = this.contentPath(manifest, folder)
    return contentStore(await this.storage.open(manifest, { contentPath, existingFiles }))
  }

  async inspect(path: string): Promise<PathKind | undefined> {
    const at = normalise(path)
    return at === '' ? 'folder' : this.storage.kindOf(at)
  }

  async stamp(path: string): Promise<FileStamp> {
    const at = normalise(path)
    if (at === '') return null
    const size = await this.storage.size(at)
    return size === undefined ? null : [size]
  }

  async close(): Promise<void> {
    if (this.ownsStorage) await this.storage.close()
  }
}

/** A browser piece store is a {@link ContentStore} as it is: its file paths are paths of the storage. */
function contentStore(store: BrowserPieceStore): ContentStore {
  return store
}
