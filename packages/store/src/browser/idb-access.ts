import type { FileAccess, FilePath } from './file-access.js'
import { openDatabase, requestResult, transactionDone } from './idb.js'

/** Bytes per stored chunk of a file in IndexedDB. */
export const IDB_CHUNK_BYTES = 64 * 1024

const FILES = 'files'
const CHUNKS = 'chunks'

/** Opens the IndexedDB database that holds files in chunks. @internal */
export function openFileDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return openDatabase(factory, name, 1, (db) => {
    if (!db.objectStoreNames.contains(FILES)) db.createObjectStore(FILES)
    if (!db.objectStoreNames.contains(CHUNKS)) db.createObjectStore(CHUNKS)
  })
}

/**
 * Files in IndexedDB, the fallback where there is no OPFS: a file is a size
 * record and chunks of {@link IDB_CHUNK_BYTES} keyed `[path, index]`; a chunk
 * never written reads as zeros. A write of part of a chunk reads it and
 * puts it back, in one transaction.
 * @internal
 */
export class IndexedDbAccess implements FileAccess {
  readonly kind = 'IndexedDB'
  private closing: Promise<void> | undefined

  constructor(
    private readonly db: IDBDatabase,
    private readonly ownsDb: boolean,
  ) {}

  async size(path: FilePath): Promise<number | undefined> {
    const transaction = this.db.transaction(FILES, 'readonly')
    const record = (await requestResult(transaction.objectStore(FILES).get(key(path)))) as { size: number } | undefined
    return record?.size
  }

  async read(path: FilePath, offset: number, target: Uint8Array): Promise<number> {
    const name = key(path)
    const transaction = this.db.transaction([FILES, CHUNKS], 'readonly')
    const record = (await requestResult(transaction.objectStore(FILES).get(name))) as { size: number } | undefined
    if (record === undefined) return 0
    const end = Math.min(offset + target.length, record.size)
    if (end <= offset) return 0
    const chunks = transaction.objectStore(CHUNKS)
    const first = Math.floor(offset / IDB_CHUNK_BYTES)
    const last = Math.floor((end - 1) / IDB_CHUNK_BYTES)
    const found = await Promise.all(
      Array.from({ length: last - first + 1 }, (_, i) => requestResult(chunks.get([name, first + i]))),
    )
    target.fill(0, 0, end - offset)
    found.forEach((chunk, i) => {
      if (!(chunk instanceof Uint8Array)) return
      const chunkStart = (first + i) * IDB_CHUNK_BYTES
      const from = Math.max(offset, chunkStart)
      const to = Math.min(end, chunkStart + chunk.length)
      if (to > from) target.set(chunk.subarray(from - chunkStart, to - chunkStart), from - offset)
    })
    return end - offset
  }

  async write(path: FilePath, offset: number, bytes: Uint8Array): Promise<void> {
    const name = key(path)
    const transaction = this.db.transaction(CHUNKS, 'readwrite')
    const done = transactionDone(transaction)
    const chunks = transaction.objectStore(CHUNKS)
    const end = offset + bytes.length
    const first = Math.floor(offset / IDB_CHUNK_BYTES)
    const last = Math.floor((end - 1) / IDB_CHUNK_BYTES)
    await Promise.all(
      Array.from({ length: last - first + 1 }, async (_, i) => {
        const index = first + i
        const chunkStart = index * IDB_CHUNK_BYTES
        const from = Math.max(offset, chunkStart)
        const to = Math.min(end, chunkStart + IDB_CHUNK_BYTES)
        const part = bytes.subarray(from - offset, to - offset)
        if (from === chunkStart && to === chunkStart + IDB_CHUNK_BYTES) {
          chunks.put(part.slice(), [name, index])
          return
        }
        const old = await requestResult(chunks.get([name, index]))
        const length = Math.max(to - chunkStart, old instanceof Uint8Array ? old.length : 0)
        const chunk = new Uint8Array(length)
        if (old instanceof Uint8Array) chunk.set(old)
        chunk.set(part, from - chunkStart)
        chunks.put(chunk, [name, index])
      }),
    )
    await done
  }

  async setSize(path: FilePath, size: number): Promise<void> {
    const name = key(path)
    const transaction = this.db.transaction([FILES, CHUNKS], 'readwrite')
    const done = transactionDone(transaction)
    transaction.objectStore(FILES).put({ size }, name)
    const chunks = transaction.objectStore(CHUNKS)
    const kept = Math.ceil(size / IDB_CHUNK_BYTES)
    chunks.delete(IDBKeyRange.bound([name, kept], [name, Number.MAX_SAFE_INTEGER]))
    const tail = size % IDB_CHUNK_BYTES
    if (tail !== 0) {
      const last = await requestResult(chunks.get([name, kept - 1]))
      if (last instanceof Uint8Array && last.length > tail) chunks.put(last.slice(0, tail), [name, kept - 1])
    }
    await done
  }

  async pathKind(path: FilePath): Promise<'file' | 'folder' | undefined> {
    const name = key(path)
    const files = this.db.transaction(FILES, 'readonly').objectStore(FILES)
    if ((await requestResult(files.get(name))) !== undefined) return 'file'
    // A folder is there while a file is under it ('/' + 1 is '0': the keys that start with `name/`).
    const under = await requestResult(files.getKey(IDBKeyRange.bound(`${name}/`, `${name}0`, false, true)))
    return under === undefined ? undefined : 'folder'
  }

  async release(): Promise<void> {
    // No handles are held between operations.
  }

  async flush(): Promise<void> {
    // Every write resolved when its transaction committed.
  }

  close(): Promise<void> {
    this.closing ??= Promise.resolve().then(() => {
      if (this.ownsDb) this.db.close()
    })
    return this.closing
  }
}

function key(path: FilePath): string {
  return path.join('/')
}
