/**
 * Reading and hashing a folder's small files in worker threads. Each file
 * read from this thread costs five trips to libuv's thread pool (open,
 * fstat, read, fstat, close) and the promises around them: for 10,000 files
 * of 16 KiB that was most of the ingest's time and CPU, where the SHA-256 of
 * their 156 MiB costs about 0.13 s. A worker makes the same calls
 * synchronously (a few microseconds each, and a slow disk stalls only the
 * worker), hashes each 16 KiB block, and sends back only the block hashes
 * (32 bytes per block): this thread folds them into the Merkle trees, in
 * order, as it does for a private share's workers.
 * @module
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { PiecesError } from '../errors.js'
import type { HashedBlocks } from '../ingest.js'

/** Folders with at least this many small files are read in workers (fewer: starting one costs more than it saves). */
export const WORKER_MIN_FILES = 64

/** At most this many workers: past two, the folding on this thread and the disk are what limit. */
export const MAX_FILE_WORKERS = 2

/** Files per message to a worker: enough that a message costs little beside the work. */
const FILES_PER_JOB = 32

/** Jobs waiting at each worker, so that none idles for a message (a job's results are only hashes). */
const JOBS_AHEAD = 4

/**
 * The worker's code, plain JavaScript run with `eval` (so that it works the
 * same from sources, from tests and from a bundle). A `stat` job gives the
 * size and mode of each path (following links, as the listing's `stat`
 * did); a `hash` job reads each file whole, refusing a link (`O_NOFOLLOW`),
 * anything but a regular file, a size other than the listed one and a file
 * that changed while it was read, and gives the SHA-256 of each 16 KiB
 * block. A failure is given back per file, with Node's error fields.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const fs = require('node:fs')
const crypto = require('node:crypto')
const BLOCK = 16384
const FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW || 0) | (fs.constants.O_NONBLOCK || 0)
const sha256 = typeof crypto.hash === 'function'
  ? (data) => crypto.hash('sha256', data, 'buffer')
  : (data) => crypto.createHash('sha256').update(data).digest()
const buffer = new Uint8Array(workerData.maxBytes)
function failure(error) {
  return { failed: 'error', message: String(error && error.message), code: error && error.code, errno: error && error.errno, syscall: error && error.syscall, path: error && error.path }
}
function stat(path) {
  try {
    const stats = fs.statSync(path)
    return { size: stats.size, mode: stats.mode }
  } catch (error) {
    return failure(error)
  }
}
function hash(path, length) {
  let fd
  try {
    fd = fs.openSync(path, FLAGS)
  } catch (error) {
    return failure(error)
  }
  try {
    const before = fs.fstatSync(fd)
    if (!before.isFile()) return { failed: 'special' }
    if (before.size !== length) return { failed: 'size' }
    for (let done = 0; done < length; ) {
      const read = fs.readSync(fd, buffer, done, length - done, done)
      if (read === 0) return { failed: 'shorter' }
      done += read
    }
    const after = fs.fstatSync(fd)
    if (after.size !== length || after.mtimeMs !== before.mtimeMs) return { failed: 'changed' }
    const hashes = new Uint8Array(Math.ceil(length / BLOCK) * 32)
    for (let at = 0; at < length; at += BLOCK) {
      hashes.set(sha256(buffer.subarray(at, Math.min(at + BLOCK, length))), (at / BLOCK) * 32)
    }
    return { hashes }
  } catch (error) {
    return failure(error)
  } finally {
    try { fs.closeSync(fd) } catch {}
  }
}
parentPort.on('message', (job) => {
  const results = job.kind === 'stat'
    ? job.paths.map((path) => stat(path))
    : job.paths.map((path, index) => hash(path, job.lengths[index]))
  parentPort.postMessage({ seq: job.seq, results })
})
`

/** A file's failure, as the worker gives it back. */
interface Failure {
  readonly failed: 'error' | 'special' | 'size' | 'shorter' | 'changed'
  readonly message?: string
  readonly code?: string
  readonly errno?: number
  readonly syscall?: string
  readonly path?: string
}

type StatResult = { size: number; mode: number } | Failure
type HashResult = { hashes: Uint8Array } | Failure

interface Pending {
  resolve(results: unknown[]): void
  reject(error: unknown): void
}

/** One file to hash in a worker. */
export interface WorkerFile {
  /** Absolute path on disk. */
  readonly absolute: string
  /** Path components in the share (for errors). */
  readonly path: readonly string[]
  /** The size it was listed with: it must still have it. */
  readonly length: number
}

/** How many workers to start: one core is left to this thread, at least one worker and at most {@link MAX_FILE_WORKERS}. */
export function fileWorkerCount(): number {
  return Math.min(MAX_FILE_WORKERS, Math.max(1, availableParallelism() - 1))
}

/**
 * Worker threads that stat, read and hash small files, a job of
 * {@link FILES_PER_JOB} files at a time. {@link FileWorkers.close} ends
 * them (idempotent); an abort ends them too.
 * @internal
 */
export class FileWorkers {
  private readonly workers: { worker: Worker; jobs: Map<number, Pending> }[]
  private seq = 0
  private next = 0
  private failure: Error | undefined
  private closed = false
  private readonly onAbort = (): void => {
    this.fail(new PiecesError('ABORTED', 'the ingest was aborted'))
    void this.close()
  }

  /**
   * @param count - workers to start
   * @param maxBytes - the largest file a `hash` job reads (each worker keeps a buffer of this size)
   * @param signal - ends the workers when aborted
   */
  constructor(
    count: number,
    maxBytes: number,
    private readonly signal?: AbortSignal,
  ) {
    this.workers = Array.from({ length: count }, () => {
      const entry = {
        worker: new Worker(WORKER_SOURCE, { eval: true, workerData: { maxBytes } }),
        jobs: new Map<number, Pending>(),
      }
      entry.worker.on('message', (message: { seq: number; results: unknown[] }) => {
        const job = entry.jobs.get(message.seq)
        entry.jobs.delete(message.seq)
        job?.resolve(message.results)
      })
      entry.worker.on('error', (error) => this.fail(error))
      entry.worker.on('exit', (code) => this.fail(new Error(`a file worker exited (code ${code})`)))
      return entry
    })
    signal?.addEventListener('abort', this.onAbort, { once: true })
  }

  /**
   * The size and mode of each path (`stat`, following links), in order.
   * @throws Node's error (`ENOENT`, `EACCES`) of the first path that fails
   */
  async stat(paths: readonly string[]): Promise<{ size: number; mode: number }[]> {
    const jobs: Promise<unknown[]>[] = []
    for (let at = 0; at < paths.length; at += FILES_PER_JOB) {
      jobs.push(this.send({ kind: 'stat', paths: paths.slice(at, at + FILES_PER_JOB) }))
    }
    const results = (await Promise.all(jobs)).flat() as StatResult[]
    return results.map((result) => {
      if ('failed' in result) throw nodeError(result)
      return result
    })
  }

  /**
   * Starts hashing `files` (every one at most the workers' `maxBytes`),
   * {@link JOBS_AHEAD} jobs per worker ahead of what was asked for.
   *
   * @returns the block hashes of file `index`, as a source of {@link HashedBlocks}
   *   (rejects with `INGEST_FILE_CHANGED`, `INGEST_UNSUPPORTED_FILE` or Node's error)
   */
  hash(files: readonly WorkerFile[]): (index: number) => AsyncIterable<HashedBlocks> {
    const jobs: Promise<unknown[]>[] = []
    const start = (upTo: number): void => {
      for (let at = jobs.length * FILES_PER_JOB; at < files.length && at <= upTo; at += FILES_PER_JOB) {
        const batch = files.slice(at, at + FILES_PER_JOB)
        const job = this.send({
          kind: 'hash',
          paths: batch.map((file) => file.absolute),
          lengths: batch.map((file) => file.length),
        })
        job.catch(() => {}) // reported when its file is reached
        jobs.push(job)
      }
    }
    const ahead = FILES_PER_JOB * JOBS_AHEAD * this.workers.length
    return (index: number) =>
      (async function* (): AsyncGenerator<HashedBlocks> {
        const file = files[index] as WorkerFile
        if (file.length === 0) return
        start(index + ahead)
        const results = await (jobs[Math.floor(index / FILES_PER_JOB)] as Promise<unknown[]>)
        const result = results[index % FILES_PER_JOB] as HashResult
        if ('failed' in result) throw fileError(result, file.path)
        yield { hashes: result.hashes, byteLength: file.length }
      })()
  }

  /** Ends the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.signal?.removeEventListener('abort', this.onAbort)
    this.fail(new PiecesError('ABORTED', 'the file workers were closed'))
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()))
  }

  private send(job: { kind: 'stat' | 'hash'; paths: string[]; lengths?: number[] }): Promise<unknown[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const entry = this.workers[this.next++ % this.workers.length] as (typeof this.workers)[number]
    const seq = this.seq++
    return new Promise<unknown[]>((resolve, reject) => {
      entry.jobs.set(seq, { resolve, reject })
      entry.worker.postMessage({ seq, ...job })
    })
  }

  private fail(error: Error): void {
    this.failure ??= error
    for (const { jobs } of this.workers) {
      for (const job of jobs.values()) job.reject(this.failure)
      jobs.clear()
    }
  }
}

/** Node's error, rebuilt from its fields. */
function nodeError(failure: Failure): Error {
  return Object.assign(new Error(failure.message ?? 'file worker failure'), {
    ...(failure.code !== undefined ? { code: failure.code } : {}),
    ...(failure.errno !== undefined ? { errno: failure.errno } : {}),
    ...(failure.syscall !== undefined ? { syscall: failure.syscall } : {}),
    ...(failure.path !== undefined ? { path: failure.path } : {}),
  })
}

/** The error of a file that could not be hashed, as the reads on this thread report it. */
function fileError(failure: Failure, path: readonly string[]): Error {
  const name = JSON.stringify(path.join('/'))
  switch (failure.failed) {
    case 'special':
      return new PiecesError('INGEST_UNSUPPORTED_FILE', `${name} is not a regular file`)
    case 'size':
      return new PiecesError('INGEST_FILE_CHANGED', `${name} changed size since it was listed`)
    case 'shorter':
      return new PiecesError('INGEST_FILE_CHANGED', `${name} is shorter than when it was listed`)
    case 'changed':
      return new PiecesError('INGEST_FILE_CHANGED', `${name} changed while it was hashed`)
    default:
      return nodeError(failure)
  }
}
