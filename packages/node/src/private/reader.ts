/**
 * Reading private shares: open a version with a key or this node's
 * identity, read files as plaintext decrypted from verified ciphertext
 * (fetched on demand), save them, and download-and-decrypt in one call.
 * @module
 */
import { PiecesError } from '@mycel/pieces'
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

/** Every verified byte of a file of the ciphertext share, joined (a small file: the keys). */
async function readWhole(
  context: PrivateContext,
  infohashHex: string,
  path: string,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of context.read(infohashHex, path, signal ? { signal } : {})) chunks.push(chunk)
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
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

/**
 * Downloads a private share and decrypts it into `dir` as its pieces
 * verify: the store of the download writes each verified piece's content,
 * decrypted, into the plaintext files, keeps only the data file's head and
 * the keys file in the node's private folder, and serves the ciphertext
 * again by encrypting what it decrypted. A rerun (after a crash, or a kill)
 * resumes into the destination it claimed.
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
  const dir = context.storage.resolve(options.dir ?? context.downloadDir)
  context.reads.register(infohashHex, { dir, ...(parsed.key ? { key: toHex(parsed.key) } : {}) })
  const download = context.download(link, {
    dir: storage.versionsFolder,
    ...(options.peers ? { peers: options.peers } : {}),
  })
  const { signal } = options
  const run = async () => {
    // The head first (its window is declared now, so its pieces are fetched first), and the keys file.
    const head = readAll(context, infohashHex, 'data', 0, 1, signal)
    head.catch(() => {}) // awaited below
    let key = parsed.key
    if (key === undefined) {
      const envelope = await readWhole(context, infohashHex, 'keys', signal)
      key = openEnvelope(envelope, context.identity.exportSecretKey(), context.crypto)
      await context.reads.setKey(infohashHex, key)
    }
    await Promise.race([head, download.done(signal ? { signal } : {})])
    const reader = await openPrivate(context, infohashHex, { key, ...(signal ? { signal } : {}) })
    await download.done(signal ? { signal } : {})
    const store = context.reads.storeOf(infohashHex)
    const contentPath = context.reads.contentPathOf(infohashHex)
    if (store?.open !== undefined && contentPath !== undefined) {
      // No fdatasync of the files before `done`: a public download makes none either (it cost 4-9% of a
      // private transfer in the bench); the pieces recorded verified were written, as a public download's are.
      const { files } = reader.manifest
      const single = files.length === 1 && files[0]?.path.length === 1
      for (const file of files) {
        if (!file.executable) continue
        await storage.setExecutable?.(single ? contentPath : context.storage.join(contentPath, ...file.path))
      }
      return { manifest: reader.manifest, contentPath }
    }
    // The ciphertext was here already (this node seeds it blind): decrypt it from its store.
    return { manifest: reader.manifest, contentPath: await reader.saveTo(dir, signal ? { signal } : {}) }
  }
  const finished = run().catch(async (error: unknown) => {
    // Its store decrypted nothing (no key, not a reader, a wrong key, a destination taken): nothing of it is kept.
    const store = context.reads.storeOf(infohashHex)
    if (store !== undefined && store.open === undefined) {
      context.reads.forget(infohashHex)
      await context.forget(infohashHex).catch(() => {})
    }
    throw error
  })
  finished.catch(() => {}) // reported through done()
  return { infohashHex, download, done: () => finished }
}
