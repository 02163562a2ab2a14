/**
 * Encrypting and hashing a private share's data file in worker threads:
 * this thread reads the plaintext and cuts the data file into 512 KiB
 * chunks; each worker encrypts a chunk (ChaCha20 of `node:crypto`, keyed
 * and addressed as `xorContent`) and hashes its 16 KiB blocks; this thread
 * only folds the block hashes into the Merkle tree, in order. The
 * ciphertext is not kept (a store that encrypts on read makes it again).
 * @module
 */
import { availableParallelism, loadavg } from 'node:os'
import { Worker } from 'node:worker_threads'
import { throwIfAborted } from '@mycel/wire/signal'
import { PiecesError } from '../errors.js'
import type { HashedBlocks, HashedIngestSource, IngestSource } from '../ingest.js'
import { type DataChunk, dataChunks } from '../private/data-chunks.js'
import type { EncryptedShare } from '../private/encrypt.js'

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
 * The worker's code, plain JavaScript run with `eval` (so that it works the
 * same from sources, from tests and from a bundle). For each chunk: XOR
 * `bytes[encryptFrom..]` in place with the ChaCha20 key stream from stream offset
 * `streamOffset` (a segment of 2^31 blocks per nonce: 4 zero bytes, then the
 * segment as a big-endian u64; OpenSSL's IV is the block counter,
 * little-endian, then the nonce), then SHA-256 of each 16 KiB block. The
 * cipher is fed 16 KiB at a time: OpenSSL's output is a new buffer each
 * time, and several 64 KiB answers from one cipher map and fault in fresh
 * pages (a cipher per 512 KiB chunk, 256 MiB: 0.65-1.06 s of CPU fed 64 KiB
 * at a time, 0.33-0.36 s fed 16 KiB), as a 512 KiB answer does every time.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const crypto = require('node:crypto')
const key = workerData.key
const BLOCK = 16384
const SEGMENT_BLOCKS = 2 ** 31
const STEP = 16384
const sha256 = typeof crypto.hash === 'function'
  ? (data) => crypto.hash('sha256', data, 'buffer')
  : (data) => crypto.createHash('sha256').update(data).digest()
parentPort.on('message', (job) => {
  const bytes = new Uint8Array(job.buffer, 0, job.length)
  if (job.streamOffset % 64 !== 0) throw new Error('a chunk must start on a ChaCha20 block')
  let at = job.encryptFrom
  let block = job.streamOffset / 64
  while (at < job.length) {
    const segment = Math.floor(block / SEGMENT_BLOCKS)
    const counter = block % SEGMENT_BLOCKS
    const length = Math.min(job.length - at, (SEGMENT_BLOCKS - counter) * 64)
    const iv = Buffer.alloc(16)
    iv.writeUInt32LE(counter, 0)
    iv.writeBigUInt64BE(BigInt(segment), 8)
    const cipher = crypto.createCipheriv('chacha20', key, iv)
    for (let from = at; from < at + length; from += STEP) {
      bytes.set(cipher.update(bytes.subarray(from, Math.min(from + STEP, at + length))), from)
    }
    at += length
    block += length / 64
  }
  const hashes = new Uint8Array(Math.ceil(job.length / BLOCK) * 32)
  for (let from = 0; from < job.length; from += BLOCK) {
    hashes.set(sha256(bytes.subarray(from, Math.min(from + BLOCK, job.length))), (from / BLOCK) * 32)
  }
  parentPort.postMessage({ seq: job.seq, buffer: job.buffer, hashes }, [job.buffer, hashes.buffer])
})
`

/** What a worker gives back for a chunk. */
interface ChunkResult {
  /** The chunk's buffer, given back (the chunk encrypted) for the next chunk. */
  readonly buffer: ArrayBuffer
  /** 32 bytes per 16 KiB block of the encrypted chunk. */
  readonly hashes: Uint8Array
}

interface Job {
  resolve(result: ChunkResult): void
  reject(error: unknown): void
}

/** Workers that each encrypt and hash one chunk at a time, with the same key. @internal */
export class EncryptWorkers {
  private readonly workers: { worker: Worker; jobs: Map<number, Job> }[]
  private next = 0
  private failure: Error | undefined

  constructor(count: number, streamKey: Uint8Array) {
    this.workers = Array.from({ length: count }, () => {
      const entry = {
        worker: new Worker(WORKER_SOURCE, { eval: true, workerData: { key: Uint8Array.from(streamKey) } }),
        jobs: new Map<number, Job>(),
      }
      entry.worker.on('message', (result: ChunkResult & { seq: number }) => {
        const job = entry.jobs.get(result.seq)
        entry.jobs.delete(result.seq)
        job?.resolve(result)
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
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const seq = this.next++
    const entry = this.workers.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a))
    const result = new Promise<ChunkResult>((resolve, reject) => entry.jobs.set(seq, { resolve, reject }))
    const { buffer } = chunk.bytes
    entry.worker.postMessage(
      {
        seq,
        buffer,
        length: chunk.bytes.length,
        encryptFrom: chunk.encryptFrom,
        streamOffset: chunk.streamOffset,
      },
      [buffer as ArrayBuffer],
    )
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
   * file is encrypted on this thread, as `share.sources` does) on one core, while the load average
   * leaves no core idle, or for a data file under {@link WORKER_MIN_BYTES}.
   */
  workers?: number
  /** Stops reading and encrypting; the ingest then rejects with `PiecesError('ABORTED')`. */
  signal?: AbortSignal
  /** Called with each encrypted chunk and its offset in the data file (the bytes are reused after the call). */
  onCiphertext?: (dataOffset: number, ciphertext: Uint8Array) => void
}

/**
 * The ingest sources of a private share version with its data file
 * encrypted and hashed in worker threads, on as many cores as there are
 * (up to {@link MAX_ENCRYPT_WORKERS}): this thread reads the plaintext and
 * folds block hashes. The same bytes and so the same manifest as
 * `share.sources`, which it falls back to on one core or a busy machine.
 *
 * @param share - a version from `encryptShare` (its data source or content is read here: not both)
 * @param options - workers, abort
 * @returns `data` (block hashes made by the workers) then `keys`, for `ingest` with `share.shareName`
 * @throws RangeError for a worker count that is not a non-negative integer; reading the data source
 *   throws as `share.sources` does, and `ABORTED`
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
    { path: ['data'], length: dataLength, blockHashes: hashInWorkers(share, workers, options) },
    keys as IngestSource,
  ]
}

/**
 * Workers when cores are free: none on one core, for a small data file, or
 * while the machine's load (runnable threads, averaged over a minute) leaves
 * no core idle. Workers then only add their cost: thread start, copies,
 * messages, caches shared (measured on a loaded 2-core machine: 0.8-1.1 s
 * of CPU for 256 MiB through two workers, 0.4-0.6 s on one thread).
 */
function defaultWorkers(dataLength: number): number {
  const cores = availableParallelism()
  const idle = cores - (loadavg()[0] ?? 0)
  return cores < 2 || idle < 1 || dataLength < WORKER_MIN_BYTES ? 0 : Math.min(cores, MAX_ENCRYPT_WORKERS)
}

async function* hashInWorkers(
  share: EncryptedShare,
  count: number,
  options: EncryptedSourcesOptions,
): AsyncGenerator<HashedBlocks> {
  const pool = new EncryptWorkers(count, share.content.streamKey)
  const free: Uint8Array[] = []
  /** Chunks sent, in data file order (their buffers are the workers' until they come back). */
  const inFlight: { dataOffset: number; length: number; result: Promise<ChunkResult> }[] = []
  const take = () => free.pop() ?? new Uint8Array(WORKER_CHUNK_BYTES)
  const settle = async (): Promise<HashedBlocks> => {
    const { dataOffset, length, result } = inFlight.shift() as (typeof inFlight)[number]
    const done = await result
    const buffer = new Uint8Array(done.buffer)
    options.onCiphertext?.(dataOffset, buffer.subarray(0, length))
    free.push(buffer)
    return { hashes: done.hashes, byteLength: length }
  }
  try {
    for await (const chunk of dataChunks(share, WORKER_CHUNK_BYTES, take)) {
      throwIfAborted(options.signal, PiecesError)
      const { dataOffset, bytes } = chunk
      const length = bytes.length // before the buffer moves to a worker
      const result = pool.run(chunk)
      result.catch(() => {}) // a worker's failure is thrown when its chunk is reached
      inFlight.push({ dataOffset, length, result })
      while (inFlight.length >= count * CHUNKS_PER_WORKER) yield await settle()
    }
    while (inFlight.length > 0) yield await settle()
  } finally {
    await pool.close()
  }
}
