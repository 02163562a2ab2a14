/**
 * Encrypting and hashing a private share's data file in worker threads.
 * The data file is cut into 512 KiB chunks; each worker encrypts a chunk
 * (ChaCha20 of the native module where it is built, else of `node:crypto`,
 * keyed and addressed as `xorContent`) and
 * hashes its 16 KiB blocks; this thread only folds the block hashes into
 * the Merkle tree, in order. When the files are on disk (each says its
 * `diskPath`, as `fileSources` gives them) and there are not too many, the
 * workers read their chunks themselves from descriptors this thread opened,
 * so no byte of the share passes through this thread; otherwise this thread
 * reads the plaintext and hands each chunk over. The ciphertext is not kept
 * (a store that encrypts on read makes it again).
 * @module
 */
import type { FileHandle } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { findNativeChaCha20 } from '@mycel/wire/crypto'
import { throwIfAborted } from '@mycel/wire/signal'
import { PiecesError } from '../errors.js'
import type { HashedBlocks, HashedIngestSource, IngestSource } from '../ingest.js'
import { type DataChunk, dataChunks } from '../private/data-chunks.js'
import type { EncryptedShare, PrivateSourceFile } from '../private/encrypt.js'
import { WORKER_SOURCE } from './encrypt-worker-source.js'
import { changed, openRegularFile } from './files.js'
import { giveThreads, takeThreads } from './thread-budget.js'

/**
 * Bytes per chunk a worker encrypts and hashes: a multiple of 16 KiB, big
 * enough that a message costs little beside the work (about 0.5 ms of it),
 * small enough to stay in the CPU's cache between the cipher and the hash.
 */
export const WORKER_CHUNK_BYTES = 512 * 1024

/** Chunks in flight per worker: one being worked on, one waiting, so a worker never idles for a message. */
const CHUNKS_PER_WORKER = 2

/** At most this many workers (more cores than this and the reading on this thread is what limits). */
export const MAX_ENCRYPT_WORKERS = 4

/** Data files smaller than this are encrypted on this thread: starting workers would cost more than it saves. */
export const WORKER_MIN_BYTES = 16 * 1024 * 1024

/**
 * Shares of at most this many files are read by the workers themselves:
 * each file stays open from the first chunk to the last (more files, and
 * this thread reads them one at a time, as `fileSources` does).
 */
export const WORKER_READ_MAX_FILES = 64

/** What a worker gives back for a chunk. */
interface ChunkResult {
  /** The chunk's buffer given back encrypted (a read chunk's only when its bytes were asked for). */
  readonly buffer?: ArrayBuffer
  /** 32 bytes per 16 KiB block of the encrypted chunk. */
  readonly hashes: Uint8Array
}

interface Job {
  resolve(result: ChunkResult): void
  reject(error: unknown): void
}

/** A plaintext file the workers read: a descriptor this thread keeps open, where the file is in the content stream. */
interface DiskFile {
  readonly fd: number
  /** Where the file starts in the content stream. */
  readonly offset: number
  readonly length: number
}

/** What the workers need to read chunks themselves. */
interface DiskData {
  /** The data file's head (up to `contentStart`). */
  readonly head: Uint8Array
  readonly contentStart: number
  /** Where the padding starts in the data file. */
  readonly contentEnd: number
  /** The files with bytes, in content stream order. */
  readonly files: readonly DiskFile[]
}

/** A worker's answer for a chunk it could not read whole: a file is shorter than it was. */
class ShortRead extends Error {
  /** @param file - the file's index among the files the workers read */
  constructor(readonly file: number) {
    super('a file ended before its listed length')
  }
}

/** Workers that each encrypt and hash one chunk at a time, with the same key. @internal */
export class EncryptWorkers {
  private readonly workers: { worker: Worker; jobs: Map<number, Job> }[]
  private next = 0
  private failure: Error | undefined

  /**
   * @param count - workers
   * @param streamKey - the version's stream key
   * @param native - the native ChaCha20 module's path, or undefined for `node:crypto`'s
   * @param disk - where the workers read chunks themselves (for {@link runRead})
   */
  constructor(count: number, streamKey: Uint8Array, native: string | undefined, disk?: DiskData) {
    this.workers = Array.from({ length: count }, () => {
      const entry = {
        worker: new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { key: Uint8Array.from(streamKey), disk, native },
        }),
        jobs: new Map<number, Job>(),
      }
      entry.worker.on('message', (result: ChunkResult & { seq: number; short?: number }) => {
        const job = entry.jobs.get(result.seq)
        entry.jobs.delete(result.seq)
        if (result.short !== undefined) job?.reject(new ShortRead(result.short))
        else job?.resolve(result)
      })
      const fail = (error: Error) => {
        this.failure ??= error
        for (const job of entry.jobs.values()) job.reject(error)
        entry.jobs.clear()
      }
      entry.worker.on('error', fail)
      entry.worker.on('exit', (code) => fail(new Error(`an encryption worker exited (code ${code})`)))
      return entry
    })
  }

  /** Sends a chunk (its buffer moves to the worker) to the worker with the fewest chunks. */
  run(chunk: DataChunk): Promise<ChunkResult> {
    const { buffer } = chunk.bytes
    return this.send(
      {
        buffer,
        length: chunk.bytes.length,
        encryptFrom: chunk.encryptFrom,
        streamOffset: chunk.streamOffset,
      },
      [buffer as ArrayBuffer],
    )
  }

  /**
   * Has the worker with the fewest chunks read, encrypt and hash `length` bytes of the data file
   * from `dataOffset` (a multiple of 64 past the head).
   * @param keepBytes - give the encrypted bytes back too (a copy)
   */
  runRead(dataOffset: number, length: number, contentStart: number, keepBytes: boolean): Promise<ChunkResult> {
    return this.send({
      dataOffset,
      length,
      encryptFrom: Math.min(length, Math.max(0, contentStart - dataOffset)),
      streamOffset: Math.max(0, dataOffset - contentStart),
      keepBytes,
    })
  }

  private send(message: object, transfer: ArrayBuffer[] = []): Promise<ChunkResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const seq = this.next++
    const entry = this.workers.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a))
    const result = new Promise<ChunkResult>((resolve, reject) => entry.jobs.set(seq, { resolve, reject }))
    entry.worker.postMessage({ seq, ...message }, transfer)
    return result
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the encryption workers are closed')
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()))
  }
}

/** Options of {@link encryptedSources}. */
export interface EncryptedSourcesOptions {
  /**
   * Worker threads: default one per core up to {@link MAX_ENCRYPT_WORKERS}, and none (the data
   * file is encrypted on this thread, as `share.sources` does) on one core or for a data file under
   * {@link WORKER_MIN_BYTES}. Fewer while other ingests of this process hold worker threads: all
   * of them together run at most `MAX_INGEST_THREADS` (4), and an ingest that finds none free
   * waits for one.
   */
  workers?: number
  /** Stops reading and encrypting; the ingest then rejects with `PiecesError('ABORTED')`. */
  signal?: AbortSignal
  /** Called with each encrypted chunk and its offset in the data file (the bytes are reused after the call). */
  onCiphertext?: (dataOffset: number, ciphertext: Uint8Array) => void
  /**
   * The ChaCha20 the workers run: by default the native module `findNativeChaCha20` of
   * `@mycel/wire/crypto` finds (in place, about three times `node:crypto`'s speed here), else
   * `node:crypto`'s; `false` for `node:crypto`'s always. The same bytes either way.
   */
  nativeChaCha20?: boolean
}

function nativeOf(options: EncryptedSourcesOptions): string | undefined {
  return options.nativeChaCha20 === false ? undefined : findNativeChaCha20()?.path
}

/**
 * The ingest sources of a private share version with its data file
 * encrypted and hashed in worker threads, on as many cores as there are
 * (up to {@link MAX_ENCRYPT_WORKERS}): the workers read the plaintext
 * themselves when its files say their `diskPath` (at most
 * {@link WORKER_READ_MAX_FILES} of them), else this thread reads it and
 * hands the chunks over; this thread folds block hashes. The same bytes
 * and so the same manifest as `share.sources`, which it falls back to on
 * one core or a busy machine.
 *
 * @param share - a version from `encryptShare` (its data source or content is read here: not both)
 * @param options - workers, abort
 * @returns `data` (block hashes made by the workers) then `keys`, for `ingest` with `share.shareName`
 * @throws RangeError for a worker count that is not a non-negative integer; reading the data source
 *   throws as `share.sources` does, and `ABORTED`; files read by the workers throw as `readChunks`
 *   does: `INGEST_UNSUPPORTED_FILE` for what is not a regular file, `INGEST_FILE_CHANGED`
 *
 * @example
 * ```ts
 * const version = encryptShare({ name, files })
 * const manifest = await ingest(encryptedSources(version), { name: version.shareName })
 * ```
 */
export function encryptedSources(
  share: EncryptedShare,
  options: EncryptedSourcesOptions = {},
): readonly (IngestSource | HashedIngestSource)[] {
  const dataLength = share.layout.dataLength
  const workers = options.workers ?? defaultWorkers(dataLength)
  if (!Number.isSafeInteger(workers) || workers < 0) throw new RangeError('workers must be a non-negative integer')
  if (workers === 0) return share.sources
  const [, keys] = share.sources
  return [
    {
      path: ['data'],
      length: dataLength,
      blockHashes: hashInWorkers(share, workers, options),
    },
    keys as IngestSource,
  ]
}

/**
 * Workers by default: one per core, at most {@link MAX_ENCRYPT_WORKERS};
 * none on one core or for a small data file. Not gated by the machine's
 * load: with two busy processes on the 2 cores measured, 1 GiB through two
 * workers reading their own chunks took 2.1-2.2 s (2.0-2.1 s of CPU)
 * against 2.8-2.9 s (2.05-2.09 s of CPU) on this thread alone.
 */
function defaultWorkers(dataLength: number): number {
  const cores = availableParallelism()
  return cores < 2 || dataLength < WORKER_MIN_BYTES ? 0 : Math.min(cores, MAX_ENCRYPT_WORKERS)
}

/** A chunk sent to a worker, in data file order. */
interface InFlight {
  readonly dataOffset: number
  readonly length: number
  readonly result: Promise<ChunkResult>
}

async function* hashInWorkers(
  share: EncryptedShare,
  count: number,
  options: EncryptedSourcesOptions,
): AsyncGenerator<HashedBlocks> {
  const files = share.content.files
  const onDisk = files.length <= WORKER_READ_MAX_FILES && files.every((file) => file.diskPath !== undefined)
  // Fewer workers than asked for while other ingests of this process hold threads.
  const granted = await takeThreads(count, options.signal)
  try {
    if (onDisk) yield* workersRead(share, granted, options)
    else yield* workersGivenChunks(share, granted, options)
  } finally {
    giveThreads(granted) // after the workers ended: both close them in their own `finally`
  }
}

/** The chunks in order as the workers finish them, at most `count * CHUNKS_PER_WORKER` in flight. */
async function* inOrder(
  count: number,
  chunks: AsyncIterable<InFlight> | Iterable<InFlight>,
  options: EncryptedSourcesOptions,
  settled: (chunk: InFlight, result: ChunkResult) => void = () => {},
): AsyncGenerator<HashedBlocks> {
  const inFlight: InFlight[] = []
  const settle = async (): Promise<HashedBlocks> => {
    const chunk = inFlight.shift() as InFlight
    const done = await chunk.result
    if (done.buffer !== undefined)
      options.onCiphertext?.(chunk.dataOffset, new Uint8Array(done.buffer, 0, chunk.length))
    settled(chunk, done)
    return { hashes: done.hashes, byteLength: chunk.length }
  }
  for await (const chunk of chunks) {
    chunk.result.catch(() => {}) // a worker's failure is thrown when its chunk is reached
    inFlight.push(chunk)
    throwIfAborted(options.signal, PiecesError)
    while (inFlight.length >= count * CHUNKS_PER_WORKER) yield await settle()
  }
  while (inFlight.length > 0) yield await settle()
}

/** This thread reads the plaintext (`dataChunks`) and hands each chunk's buffer to a worker. */
async function* workersGivenChunks(
  share: EncryptedShare,
  count: number,
  options: EncryptedSourcesOptions,
): AsyncGenerator<HashedBlocks> {
  const pool = new EncryptWorkers(count, share.content.streamKey, nativeOf(options))
  const free: Uint8Array[] = []
  const take = () => free.pop() ?? new Uint8Array(WORKER_CHUNK_BYTES)
  async function* sent(): AsyncGenerator<InFlight> {
    for await (const chunk of dataChunks(share, WORKER_CHUNK_BYTES, take)) {
      const { dataOffset, bytes } = chunk
      const length = bytes.length // before the buffer moves to a worker
      yield { dataOffset, length, result: pool.run(chunk) }
    }
  }
  try {
    yield* inOrder(count, sent(), options, (_, done) => free.push(new Uint8Array(done.buffer as ArrayBuffer)))
  } finally {
    await pool.close()
  }
}

/**
 * The workers read their chunks from descriptors this thread opens (as
 * `readChunks` does: no link followed, regular files only) and keeps open
 * to the end; a file that is not as long as listed, or whose size or time
 * changes before the end, fails the ingest with `INGEST_FILE_CHANGED`.
 */
async function* workersRead(
  share: EncryptedShare,
  count: number,
  options: EncryptedSourcesOptions,
): AsyncGenerator<HashedBlocks> {
  const { contentStart, dataLength } = share.layout
  const opened: {
    file: PrivateSourceFile
    handle: FileHandle
    size: number
    mtimeMs: number
  }[] = []
  let pool: EncryptWorkers | undefined
  try {
    const disk: DiskFile[] = []
    let offset = 0
    for (const file of share.content.files) {
      if (file.length > 0) {
        const open = await openRegularFile(file.diskPath as string, file.path)
        opened.push({ file, ...open })
        if (open.size !== file.length) throw changed(file.path, 'changed size since it was listed')
        disk.push({ fd: open.handle.fd, offset, length: file.length })
      }
      offset += file.length
    }
    pool = new EncryptWorkers(count, share.content.streamKey, nativeOf(options), {
      head: share.head,
      contentStart,
      contentEnd: contentStart + offset,
      files: disk,
    })
    const workers = pool
    const keepBytes = options.onCiphertext !== undefined
    function* sent(): Generator<InFlight> {
      for (let dataOffset = 0; dataOffset < dataLength; dataOffset += WORKER_CHUNK_BYTES) {
        const length = Math.min(WORKER_CHUNK_BYTES, dataLength - dataOffset)
        yield {
          dataOffset,
          length,
          result: workers.runRead(dataOffset, length, contentStart, keepBytes),
        }
      }
    }
    try {
      yield* inOrder(count, sent(), options)
    } catch (error) {
      if (!(error instanceof ShortRead)) throw error
      // `opened` holds the files with bytes, in the order the workers were given them.
      throw changed((opened[error.file] as (typeof opened)[number]).file.path, 'is shorter than when it was listed')
    }
    for (const { file, handle, size, mtimeMs } of opened) {
      const after = await handle.stat()
      if (after.size !== size || after.mtimeMs !== mtimeMs) throw changed(file.path, 'changed while it was hashed')
    }
  } finally {
    await pool?.close() // before the descriptors close: no worker reads a closed (or reused) descriptor
    await Promise.allSettled(opened.map(({ handle }) => handle.close()))
  }
}
