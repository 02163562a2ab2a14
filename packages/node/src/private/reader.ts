/**
 * Reading private shares: open a version with a key or this node's
 * identity, read files as plaintext decrypted from verified ciphertext
 * (fetched on demand), save them, and download-and-decrypt in one call.
 * @module
 */
import { type Manifest, PiecesError } from '@mycel/pieces'
import {
  isPrivateLink,
  openEnvelope,
  openPrivateShare,
  type PrivateManifest,
  parsePrivateLink,
  privateShareFiles,
} from '@mycel/pieces/private'
import { toHex } from '@mycel/wire'
import { NodeError } from '../errors.js'
import type { Download } from '../handles.js'
import type { ReadStreamOptions } from '../read-stream.js'
import { type PrivateContext, privateStorageOf } from './context.js'
import type { OpenPrivateOptions, PrivateDownload, PrivateDownloadOptions, PrivateReader } from './options.js'
import type { FileSink } from './storage.js'

/** Every verified byte of a range of the ciphertext share's file, joined. */
async function readAll(
  context: PrivateContext,
  infohashHex: string,
  path: string,
  start: number,
  length: number,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const out = new Uint8Array(length)
  if (length === 0) return out
  let at = 0
  const options: ReadStreamOptions = { start, end: start + length - 1, ...(signal ? { signal } : {}) }
  for await (const chunk of context.read(infohashHex, path, options)) {
    out.set(chunk.subarray(0, length - at), at)
    at += chunk.length
  }
  if (at !== length) throw new PiecesError('PRIVATE_KEY_MISMATCH', 'the data file ended early')
  return out
}

function keyOf(key: Uint8Array | string | undefined): Uint8Array | undefined {
  if (key === undefined || key instanceof Uint8Array) return key
  if (isPrivateLink(key)) {
    const parsed = parsePrivateLink(key).key
    if (parsed === undefined) throw new PiecesError('PRIVATE_LINK_MALFORMED', 'the link carries no key')
    return parsed
  }
  const parsed = parsePrivateLink(`mycel://${'0'.repeat(64)}#${key}`).key
  if (parsed === undefined) throw new PiecesError('PRIVATE_LINK_MALFORMED', 'no key given')
  return parsed
}

/**
 * Opens a private share the node runs (seeds or downloads) with a key, or
 * with its identity when it is one of the readers.
 * @internal
 */
export async function openPrivate(
  context: PrivateContext,
  infohash: string,
  options: OpenPrivateOptions = {},
): Promise<PrivateReader> {
  const infohashHex = infohash.toLowerCase()
  const { signal } = options
  // The first byte of the data file: this waits for the manifest (and fetches the header's piece).
  try {
    await readAll(context, infohashHex, 'data', 0, 1, signal)
  } catch (error) {
    // A share without a file named `data` is no private share: say so below.
    if (!(error instanceof NodeError && error.code === 'FILE_NOT_FOUND')) throw error
  }
  const manifest = context.manifestOf(infohashHex)
  if (manifest === undefined) throw new NodeError('SHARE_NOT_FOUND', 'no such share on this node')
  const files = privateShareFiles(manifest)
  const dataLength = manifest.files[files.data]?.length ?? 0
  let key = keyOf(options.key)
  if (key === undefined) {
    const keysFile = manifest.files[files.keys]
    const envelope = await readAll(context, infohashHex, 'keys', 0, keysFile?.length ?? 0, signal)
    key = openEnvelope(envelope, context.identity.exportSecretKey(), context.crypto)
  }
  const opened = await openPrivateShare(
    (offset, length) => readAll(context, infohashHex, 'data', offset, length, signal),
    dataLength,
    key,
    context.crypto,
  )
  return new OpenedReader(context, infohashHex, opened)
}

type Opened = Awaited<ReturnType<typeof openPrivateShare>>

class OpenedReader implements PrivateReader {
  readonly manifest: PrivateManifest

  constructor(
    private readonly context: PrivateContext,
    private readonly infohashHex: string,
    readonly opened: Opened,
  ) {
    this.manifest = opened.manifest
  }

  private fileIndex(path: string): number {
    const wanted = path.replace(/^\/+/, '')
    const { files, name } = this.manifest
    const single = files.length === 1 && files[0]?.path.length === 1
    const index = files.findIndex((file) => file.path.join('/') === wanted || (single && wanted === name))
    if (index < 0) throw new NodeError('FILE_NOT_FOUND', `the share has no file ${JSON.stringify(path)}`)
    return index
  }

  async *read(path: string, options: ReadStreamOptions = {}): AsyncGenerator<Uint8Array> {
    const index = this.fileIndex(path)
    const range = this.opened.fileRange(index)
    const start = options.start ?? 0
    const end = Math.min(options.end ?? range.length - 1, range.length - 1)
    if (!Number.isSafeInteger(start) || start < 0 || start > end + 1) {
      throw new NodeError('RANGE_INVALID', `cannot read ${start}..${options.end} of a file of ${range.length} bytes`)
    }
    if (start > end) return
    let position = start
    const ciphertext = this.context.read(this.infohashHex, 'data', {
      ...options,
      start: range.start + start,
      end: range.start + end,
    })
    for await (const chunk of ciphertext) {
      yield this.opened.decrypt(index, position, chunk)
      position += chunk.length
    }
  }

  async saveTo(dir: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const storage = privateStorageOf(this.context)
    const { join, resolve } = this.context.storage
    const { files, name } = this.manifest
    const single = files.length === 1 && files[0]?.path.length === 1
    const root = single ? join(resolve(dir), files[0]?.path[0] as string) : join(resolve(dir), name)
    const created: FileSink[] = []
    try {
      for (const file of files) {
        const path = single ? root : join(root, ...file.path)
        const sink = await storage.createFile(path, { executable: file.executable })
        created.push(sink)
        // One write in flight while the next chunk is read and decrypted (each chunk is a new array).
        let pending: Promise<void> = Promise.resolve()
        for await (const chunk of this.read(file.path.join('/'), options)) {
          await pending
          pending = sink.write(chunk)
          pending.catch(() => {}) // awaited before the next write or below
        }
        await pending
        await sink.close()
      }
    } catch (error) {
      await Promise.all(created.map((sink) => sink.discard()))
      throw error
    }
    return root
  }
}

/** Bytes of decrypted pieces being written at once, before the store's next write waits. */
const WRITES_IN_FLIGHT_BYTES = 16 * 1024 * 1024

/**
 * Writes the plaintext of a version into its files as ciphertext pieces are
 * stored: each verified piece of `data` is decrypted where it lies, at its
 * place in the files it covers; `sweep` decrypts, from the store, the pieces
 * stored before the files were open (or in an earlier run).
 */
class PlaintextWriter {
  private readonly decrypted = new Set<number>()
  /** Writes of decrypted pieces still running, and their bytes (bounded by {@link WRITES_IN_FLIGHT_BYTES}). */
  private readonly writing = new Set<Promise<void>>()
  private writingBytes = 0
  private failure: unknown
  /** Where each file starts in the data file, in order (for a binary search). */
  private readonly starts: number[]

  constructor(
    private readonly context: PrivateContext,
    private readonly infohashHex: string,
    private readonly opened: Opened,
    private readonly cipher: Manifest,
    private readonly dataIndex: number,
    private readonly sinks: readonly FileSink[],
  ) {
    this.starts = opened.manifest.files.map((_, index) => opened.fileRange(index).start)
  }

  /** Decrypts a verified, stored piece of the ciphertext share into the files it covers. */
  async onPiece(piece: number, bytes: Uint8Array): Promise<void> {
    const location = this.cipher.locatePiece(piece)
    if (location.fileIndex !== this.dataIndex) return
    if (this.failure !== undefined) throw this.failure
    // The store's write waits for the decryption, not for the plaintext's write (up to a bound).
    const write = this.decryptRange(location.offset, bytes).then(
      () => {
        this.decrypted.add(piece)
      },
      (error: unknown) => {
        this.failure ??= error
      },
    )
    this.writing.add(write)
    this.writingBytes += bytes.length
    void write.finally(() => {
      this.writing.delete(write)
      this.writingBytes -= bytes.length
    })
    while (this.writingBytes > WRITES_IN_FLIGHT_BYTES && this.writing.size > 0) await Promise.race(this.writing)
    if (this.failure !== undefined) throw this.failure
  }

  /** Waits for the writes in flight; throws the first that failed. */
  private async settle(): Promise<void> {
    await Promise.all(this.writing)
    if (this.failure !== undefined) throw this.failure
  }

  /** Decrypts the pieces of `data` not decrypted yet, reading them from the store (the download is complete). */
  async sweep(signal: AbortSignal | undefined): Promise<void> {
    await this.settle()
    const file = this.cipher.files[this.dataIndex] as Manifest['files'][number]
    const { contentStart } = this.opened.layout
    const contentEnd = contentStart + this.opened.manifest.contentLength
    for (let piece = file.firstPiece; piece < file.firstPiece + file.pieceCount; piece++) {
      if (this.decrypted.has(piece)) continue
      const location = this.cipher.locatePiece(piece)
      const from = Math.max(location.offset, contentStart)
      const to = Math.min(location.offset + location.length, contentEnd)
      if (from >= to) continue
      await this.decryptRange(from, await readAll(this.context, this.infohashHex, 'data', from, to - from, signal))
      this.decrypted.add(piece)
    }
  }

  async close(): Promise<void> {
    await this.settle()
    for (const sink of this.sinks) await sink.close()
  }

  async discard(): Promise<void> {
    await Promise.allSettled(this.writing)
    await Promise.all(this.sinks.map((sink) => sink.discard()))
  }

  /** Decrypts bytes found at `dataOffset` of the data file into the files they belong to. */
  private async decryptRange(dataOffset: number, bytes: Uint8Array): Promise<void> {
    const end = dataOffset + bytes.length
    // The last file starting at or before dataOffset, then the files after it that start before the end.
    let low = 0
    let high = this.starts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if ((this.starts[middle] as number) <= dataOffset) low = middle
      else high = middle - 1
    }
    const writes: Promise<void>[] = []
    for (let index = low; index < this.starts.length && (this.starts[index] as number) < end; index++) {
      const range = this.opened.fileRange(index)
      const from = Math.max(range.start, dataOffset)
      const to = Math.min(range.start + range.length, end)
      if (from >= to) continue
      const plain = this.opened.decrypt(index, from - range.start, bytes.subarray(from - dataOffset, to - dataOffset))
      writes.push((this.sinks[index] as FileSink).writeAt(from - range.start, plain))
    }
    await Promise.all(writes)
  }
}

/** Creates the files of a version under `dir` (none may exist) and a writer into them. */
async function createWriter(
  context: PrivateContext,
  infohashHex: string,
  opened: Opened,
  dir: string,
): Promise<{ writer: PlaintextWriter; contentPath: string }> {
  const storage = privateStorageOf(context)
  const { join, resolve } = context.storage
  const { files, name } = opened.manifest
  const single = files.length === 1 && files[0]?.path.length === 1
  const root = single ? join(resolve(dir), files[0]?.path[0] as string) : join(resolve(dir), name)
  const cipher = context.manifestOf(infohashHex) as Manifest
  const sinks: FileSink[] = []
  try {
    for (const file of files) {
      sinks.push(await storage.createFile(single ? root : join(root, ...file.path), { executable: file.executable }))
    }
  } catch (error) {
    await Promise.all(sinks.map((sink) => sink.discard()))
    throw error
  }
  const dataIndex = privateShareFiles(cipher).data
  return { writer: new PlaintextWriter(context, infohashHex, opened, cipher, dataIndex, sinks), contentPath: root }
}

/**
 * Downloads a private share into the node's private folder and decrypts it
 * into `dir` as its pieces are verified and stored.
 * @internal
 */
export function downloadPrivate(
  context: PrivateContext,
  link: string,
  options: PrivateDownloadOptions = {},
): PrivateDownload {
  const parsed = parsePrivateLink(link)
  const storage = privateStorageOf(context)
  const infohashHex = toHex(parsed.infohash)
  let writer: PlaintextWriter | undefined
  context.taps.set(infohashHex, (piece, bytes) => writer?.onPiece(piece, bytes) ?? Promise.resolve())
  let download: Download
  try {
    download = context.download(link, {
      dir: storage.versionsFolder,
      ...(options.peers ? { peers: options.peers } : {}),
    })
  } catch (error) {
    context.taps.delete(infohashHex)
    throw error
  }
  const { signal } = options
  const finished = (async () => {
    try {
      const reader = await openPrivate(context, infohashHex, {
        ...(parsed.key ? { key: parsed.key } : {}),
        ...(signal ? { signal } : {}),
      })
      const opened = await createWriter(
        context,
        infohashHex,
        (reader as OpenedReader).opened,
        options.dir ?? context.downloadDir,
      )
      writer = opened.writer
      try {
        await download.done(signal ? { signal } : {})
        await opened.writer.sweep(signal)
        await opened.writer.close()
      } catch (error) {
        await opened.writer.discard()
        throw error
      }
      return { manifest: reader.manifest, contentPath: opened.contentPath }
    } finally {
      writer = undefined
      context.taps.delete(infohashHex)
    }
  })()
  finished.catch(() => {}) // reported through done()
  return { infohashHex, download, done: () => finished }
}
