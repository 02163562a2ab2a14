import type { FileAccess, FilePath } from './file-access.js'
import { type OpfsRequest, type OpfsResponse, opfsWorkerMain } from './opfs-worker-source.js'

/** The parts of a `Worker` the worker access uses. */
interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void
  terminate(): void
  onmessage: ((event: MessageEvent) => void) | null
  onerror: ((event: ErrorEvent) => void) | null
}

/** A request without its id, as callers make it. */
type Ask = OpfsRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never

/** The error the worker reported, as a `DOMException`-like error with its name. */
function workerError(error: { name: string; message: string }): Error {
  const made = new Error(error.message)
  made.name = error.name
  return made
}

let workerUrl: string | undefined

/** The URL of the worker's program: a `Blob` of {@link opfsWorkerMain}'s source, made once. */
function opfsWorkerUrl(): string {
  workerUrl ??= URL.createObjectURL(new Blob([`(${opfsWorkerMain.toString()})(self)`], { type: 'text/javascript' }))
  return workerUrl
}

/**
 * Files in OPFS through a dedicated worker that holds synchronous access
 * handles (`createSyncAccessHandle`, the fast OPFS path, which only workers
 * have). One worker per store, ended by `close()`. A sync access handle
 * locks its file: two stores cannot have the same file open.
 * @internal
 */
export class OpfsWorkerAccess implements FileAccess {
  readonly kind = 'OPFS (worker)'
  private readonly worker: WorkerLike
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  private nextId = 0
  private failure: Error | undefined
  private closing: Promise<void> | undefined

  constructor(makeWorker?: () => WorkerLike) {
    this.worker = makeWorker?.() ?? (new Worker(opfsWorkerUrl()) as unknown as WorkerLike)
    this.worker.onmessage = (event: MessageEvent) => {
      const response = event.data as OpfsResponse
      const waiter = this.pending.get(response.id)
      if (waiter === undefined) return
      this.pending.delete(response.id)
      if ('error' in response) waiter.reject(workerError(response.error))
      else waiter.resolve(response.result)
    }
    this.worker.onerror = (event: ErrorEvent) => {
      this.failure = new Error(`the OPFS worker failed: ${event.message}`)
      for (const waiter of this.pending.values()) waiter.reject(this.failure)
      this.pending.clear()
    }
  }

  /** Whether the worker runs and has synchronous access handles. */
  async probe(): Promise<boolean> {
    return (await this.ask({ op: 'probe' })) === 1
  }

  async size(path: FilePath): Promise<number | undefined> {
    const size = (await this.ask({ op: 'size', path: [...path] })) as number | null
    return size ?? undefined
  }

  async read(path: FilePath, offset: number, target: Uint8Array): Promise<number> {
    const bytes = (await this.ask({ op: 'read', path: [...path], offset, length: target.length })) as Uint8Array | null
    if (bytes === null) return 0
    target.set(bytes)
    return bytes.length
  }

  async write(path: FilePath, offset: number, bytes: Uint8Array): Promise<void> {
    // A copy of just these bytes crosses (transferred): the caller keeps its buffer, and a view into a
    // larger buffer does not send the whole buffer along.
    const copy = bytes.slice()
    await this.ask({ op: 'write', path: [...path], offset, bytes: copy }, [copy.buffer])
  }

  async setSize(path: FilePath, size: number): Promise<void> {
    await this.ask({ op: 'setSize', path: [...path], size })
  }

  async pathKind(path: FilePath): Promise<'file' | 'folder' | undefined> {
    return ((await this.ask({ op: 'kind', path: [...path] })) as 'file' | 'folder' | null) ?? undefined
  }

  async release(paths: readonly FilePath[]): Promise<void> {
    await this.ask({ op: 'release', paths: paths.map((path) => [...path]) })
  }

  async flush(): Promise<void> {
    await this.ask({ op: 'flush' })
  }

  close(): Promise<void> {
    this.closing ??= this.ask({ op: 'close' })
      .catch(() => undefined)
      .then(() => {
        this.worker.terminate()
        const closed = new Error('the OPFS worker was closed')
        for (const waiter of this.pending.values()) waiter.reject(closed)
        this.pending.clear()
      })
    return this.closing
  }

  private ask(request: Ask, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ ...request, id }, transfer)
    })
  }
}

/** The OPFS root, or undefined where the browser has none. @internal */
export async function opfsRoot(): Promise<FileSystemDirectoryHandle | undefined> {
  const storage = (
    globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<FileSystemDirectoryHandle> } } }
  ).navigator?.storage
  if (typeof storage?.getDirectory !== 'function') return undefined
  try {
    return await storage.getDirectory()
  } catch {
    return undefined // Firefox's private windows, for one, refuse it
  }
}

/** Whether this runtime can start a worker (sync access handles are looked for inside it). @internal */
export function hasWorkers(): boolean {
  return typeof (globalThis as { Worker?: unknown }).Worker === 'function'
}

/** Walks to a file's folder, making folders when `create`; undefined when one is missing. */
async function folderOf(
  root: FileSystemDirectoryHandle,
  path: FilePath,
  create: boolean,
): Promise<FileSystemDirectoryHandle | undefined> {
  let folder = root
  try {
    for (const name of path.slice(0, -1)) folder = await folder.getDirectoryHandle(name, { create })
  } catch (error) {
    if (!create && (error as { name?: string }).name === 'NotFoundError') return undefined
    throw error
  }
  return folder
}

/** A file's handle; undefined when missing and `create` is false. */
async function fileOf(
  root: FileSystemDirectoryHandle,
  path: FilePath,
  create: boolean,
): Promise<FileSystemFileHandle | undefined> {
  const folder = await folderOf(root, path, create)
  if (folder === undefined) return undefined
  try {
    return await folder.getFileHandle(path[path.length - 1] as string, { create })
  } catch (error) {
    if (!create && (error as { name?: string }).name === 'NotFoundError') return undefined
    throw error
  }
}

/**
 * Files in OPFS through the asynchronous API, where there are no sync
 * access handles (or no workers): reads slice the `File`, writes go through
 * a writable stream that keeps the existing data. Each write stream copies
 * the file in Chromium (its swap file), so writing costs the file's size:
 * fine for small shares, slow for large ones (see docs/browser.md).
 * @internal
 */
export class OpfsAsyncAccess implements FileAccess {
  readonly kind = 'OPFS (async)'
  private readonly writes = new Map<string, Promise<void>>()

  constructor(private readonly root: FileSystemDirectoryHandle) {}

  async size(path: FilePath): Promise<number | undefined> {
    const file = await fileOf(this.root, path, false)
    return file === undefined ? undefined : (await file.getFile()).size
  }

  async read(path: FilePath, offset: number, target: Uint8Array): Promise<number> {
    const file = await fileOf(this.root, path, false)
    if (file === undefined) return 0
    const bytes = new Uint8Array(await (await file.getFile()).slice(offset, offset + target.length).arrayBuffer())
    target.set(bytes)
    return bytes.length
  }

  write(path: FilePath, offset: number, bytes: Uint8Array): Promise<void> {
    const copy = bytes.slice()
    return this.serially(path, async (file) => {
      const stream = await file.createWritable({ keepExistingData: true })
      try {
        await stream.write({ type: 'write', position: offset, data: copy })
      } finally {
        await stream.close()
      }
    })
  }

  setSize(path: FilePath, size: number): Promise<void> {
    return this.serially(path, async (file) => {
      const stream = await file.createWritable({ keepExistingData: true })
      try {
        await stream.truncate(size)
      } finally {
        await stream.close()
      }
    })
  }

  async pathKind(path: FilePath): Promise<'file' | 'folder' | undefined> {
    try {
      const folder = await folderOf(this.root, path, false)
      if (folder === undefined) return undefined
      const last = path[path.length - 1] as string
      try {
        await folder.getFileHandle(last)
        return 'file'
      } catch (error) {
        if ((error as { name?: string }).name !== 'TypeMismatchError') throw error
        await folder.getDirectoryHandle(last)
        return 'folder'
      }
    } catch (error) {
      const name = (error as { name?: string }).name
      if (name === 'NotFoundError' || name === 'TypeMismatchError') return undefined
      throw error
    }
  }

  async release(): Promise<void> {
    // No handles are held between operations.
  }

  async flush(): Promise<void> {
    await Promise.all(this.writes.values())
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.writes.values())
  }

  /** Writes to one file one after another (each stream replaces the file when it closes). */
  private serially(path: FilePath, run: (file: FileSystemFileHandle) => Promise<void>): Promise<void> {
    const key = path.join('/')
    const previous = this.writes.get(key) ?? Promise.resolve()
    const next = previous
      .catch(() => undefined)
      .then(async () => run((await fileOf(this.root, path, true)) as FileSystemFileHandle))
    this.writes.set(key, next)
    const clear = () => {
      if (this.writes.get(key) === next) this.writes.delete(key)
    }
    next.then(clear, clear)
    return next
  }
}
