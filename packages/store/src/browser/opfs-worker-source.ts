/**
 * The program of the OPFS worker: it holds a synchronous access handle per
 * open file (`createSyncAccessHandle`, only available in dedicated workers)
 * and answers `{ id, op, path, ... }` messages with `{ id, result }` or
 * `{ id, error: { name, message } }`. The function is self-contained (it
 * uses nothing from outside its body), so it is started from its own
 * source text in a `Blob`: no separate file for the app's bundler to find.
 * @internal
 * @module
 */

/** One request to the worker. @internal */
export type OpfsRequest =
  | { id: number; op: 'probe' }
  | { id: number; op: 'size'; path: string[] }
  | { id: number; op: 'read'; path: string[]; offset: number; length: number }
  | { id: number; op: 'write'; path: string[]; offset: number; bytes: Uint8Array }
  | { id: number; op: 'setSize'; path: string[]; size: number }
  | { id: number; op: 'kind'; path: string[] }
  | { id: number; op: 'release'; paths: string[][] }
  | { id: number; op: 'flush' }
  | { id: number; op: 'close' }

/** Its answer. @internal */
export type OpfsResponse =
  | { id: number; result: number | string | Uint8Array | null | undefined }
  | { id: number; error: { name: string; message: string } }

/** The worker's body, run as `(${opfsWorkerMain})(self)` in the worker. @internal */
export function opfsWorkerMain(scope: {
  onmessage: ((event: { data: OpfsRequest }) => void) | null
  postMessage(message: OpfsResponse, transfer?: ArrayBuffer[]): void
}): void {
  type SyncHandle = {
    read(target: Uint8Array, options: { at: number }): number
    write(bytes: Uint8Array, options: { at: number }): number
    truncate(size: number): void
    getSize(): number
    flush(): void
    close(): void
  }
  type FileHandle = { createSyncAccessHandle(): Promise<SyncHandle> }
  type Folder = {
    getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<Folder>
    getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandle>
  }
  const storage = (globalThis as unknown as { navigator: { storage: { getDirectory(): Promise<Folder> } } }).navigator
    .storage
  const handles = new Map<string, SyncHandle>()
  const opening = new Map<string, Promise<SyncHandle | undefined>>()
  let queue: Promise<unknown> = Promise.resolve()

  /** The file's sync handle, opened once; undefined when the file is missing and `create` is false. */
  function handleOf(path: string[], create: boolean): Promise<SyncHandle | undefined> {
    const key = path.join('/')
    const open = handles.get(key)
    if (open !== undefined) return Promise.resolve(open)
    let pending = opening.get(key)
    if (pending === undefined) {
      pending = (async () => {
        try {
          let folder = await storage.getDirectory()
          for (const name of path.slice(0, -1)) folder = await folder.getDirectoryHandle(name, { create })
          const file = await folder.getFileHandle(path[path.length - 1] as string, { create })
          const handle = await file.createSyncAccessHandle()
          handles.set(key, handle)
          return handle
        } catch (error) {
          if (!create && (error as { name?: string }).name === 'NotFoundError') return undefined
          throw error
        } finally {
          opening.delete(key)
        }
      })()
      opening.set(key, pending)
    }
    return pending
  }

  /** A file, a folder or nothing at a path (without opening a handle). */
  async function kindOf(path: string[]): Promise<string | null> {
    if (handles.has(path.join('/'))) return 'file'
    try {
      let folder = await storage.getDirectory()
      for (const name of path.slice(0, -1)) folder = await folder.getDirectoryHandle(name)
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
      if (name === 'NotFoundError' || name === 'TypeMismatchError') return null
      throw error
    }
  }

  async function answer(request: OpfsRequest): Promise<number | string | Uint8Array | null | undefined> {
    switch (request.op) {
      case 'probe': {
        // 1 when this worker has synchronous access handles (they exist in dedicated workers only).
        const handle = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle
        return handle !== undefined && 'createSyncAccessHandle' in handle.prototype ? 1 : 0
      }
      case 'size': {
        const handle = await handleOf(request.path, false)
        return handle === undefined ? null : handle.getSize()
      }
      case 'read': {
        const handle = await handleOf(request.path, false)
        if (handle === undefined) return null
        const target = new Uint8Array(request.length)
        const read = handle.read(target, { at: request.offset })
        return read === target.length ? target : target.subarray(0, read)
      }
      case 'write': {
        const handle = await handleOf(request.path, true)
        let done = 0
        while (done < request.bytes.length) {
          done += (handle as SyncHandle).write(request.bytes.subarray(done), { at: request.offset + done })
        }
        return undefined
      }
      case 'setSize': {
        const handle = (await handleOf(request.path, true)) as SyncHandle
        handle.truncate(request.size)
        return undefined
      }
      case 'kind':
        return kindOf(request.path)
      case 'release':
        for (const path of request.paths) {
          const key = path.join('/')
          const handle = handles.get(key)
          if (handle === undefined) continue
          handles.delete(key)
          handle.flush()
          handle.close()
        }
        return undefined
      case 'flush':
        for (const handle of handles.values()) handle.flush()
        return undefined
      case 'close':
        for (const handle of handles.values()) {
          handle.flush()
          handle.close()
        }
        handles.clear()
        return undefined
    }
  }

  scope.onmessage = (event) => {
    const request = event.data
    // One at a time, in order: a write is never overtaken by a later read of the same bytes.
    queue = queue.then(async () => {
      try {
        const result = await answer(request)
        const transfer = result instanceof Uint8Array ? [result.buffer as ArrayBuffer] : []
        scope.postMessage({ id: request.id, result }, transfer)
      } catch (error) {
        const { name, message } = error as { name?: string; message?: string }
        scope.postMessage({ id: request.id, error: { name: name ?? 'Error', message: message ?? String(error) } })
      }
    })
  }
}
