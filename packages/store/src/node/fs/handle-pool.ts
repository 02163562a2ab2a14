import { assertInteger, assertSignal } from '@mycel/wire/assert'
import type { Logger } from '@mycel/wire/log'
import { StoreError } from '../../errors.js'
import { DEFAULT_MAX_OPEN_FILES } from '../../limits.js'

/** Options of {@link FileHandlePool}. */
export interface FileHandlePoolOptions {
  /** Most files open at once (default 128). */
  maxOpen?: number
  /**
   * The logger of the stores that use this pool and were given none of
   * their own (see `FsPieceStoreOptions.logger`): one place to set it for
   * all the stores of a node. Default: none (silent stores).
   */
  logger?: Logger
}

/** Counters of a {@link FileHandlePool}. */
export interface FileHandlePoolStats {
  /** Files open now (including those being opened or closed). */
  readonly open: number
  /** The most files that were open at once. */
  readonly peak: number
  /** Files opened so far. */
  readonly opened: number
  /** Files closed to make room for others. */
  readonly evicted: number
  /**
   * Times a use waited because every open file was in use (a use may wait
   * more than once when another takes the room first).
   */
  readonly waits: number
}

interface Entry {
  readonly key: string
  fd: number
  refs: number
  ready: Promise<void>
  readonly closeFd: (fd: number) => Promise<void>
}

/**
 * A least-recently-used set of open files, bounded: opening one more than
 * `maxOpen` closes the least recently used file not in use, or waits until
 * one is free. One pool can serve many file-system piece stores, so a node
 * with hundreds of shares, or a share of 10,000 files, stays under one
 * limit. A file in use (an I/O in flight) is never closed under it.
 *
 * @example
 * ```ts
 * const pool = new FileHandlePool({ maxOpen: 256 })
 * const a = await openSeedStore(manifestA, '/home/u/photos', { pool })
 * const b = await openDownloadStore(manifestB, '/home/u/Downloads', { pool })
 * // ...
 * await a.close()
 * await b.close()
 * await pool.close()
 * ```
 */
export class FileHandlePool {
  /** Most files open at once. */
  readonly maxOpen: number
  /** The logger of the stores that use the pool and have none of their own. */
  readonly logger: Logger | undefined
  private readonly entries = new Map<string, Entry>()
  /** The entries of `entries` not in use, least recently used first: the next to close for room. */
  private readonly idle = new Map<string, Entry>()
  /** Entries taken out of `entries` by {@link FileHandlePool.forget} while in use: closed when their use ends. */
  private readonly detached = new Set<Entry>()
  private closingCount = 0
  /** Those waiting for room, first come first served; each change wakes one (see {@link FileHandlePool.wake}). */
  private waiters: (() => void)[] = []
  private counters = { peak: 0, opened: 0, evicted: 0, waits: 0 }
  private closed = false

  /**
   * @param options - the bound
   * @throws RangeError if `maxOpen` is not a positive integer
   */
  constructor(options: FileHandlePoolOptions = {}) {
    this.maxOpen = assertInteger(options.maxOpen ?? DEFAULT_MAX_OPEN_FILES, 'maxOpen', { min: 1 })
    this.logger = options.logger
  }

  /** @returns the counters: open now, peak, opened, evicted, waits */
  stats(): FileHandlePoolStats {
    return { open: this.entries.size + this.detached.size + this.closingCount, ...this.counters }
  }

  /**
   * Runs `fn` with the file descriptor of `key`, opening it with `open` if
   * it is not open (closing the least recently used idle file first when the
   * pool is full, or waiting for one). The descriptor stays open after `fn`
   * for the next use.
   *
   * @internal
   */
  async use<T>(
    key: string,
    open: () => Promise<number>,
    closeFd: (fd: number) => Promise<void>,
    fn: (fd: number) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const entry = await this.acquire(key, open, closeFd, signal)
    try {
      return await fn(entry.fd)
    } finally {
      entry.refs--
      if (entry.refs === 0) {
        if (this.detached.delete(entry)) await this.closeEntry(entry)
        else if (this.closed) await this.evict(entry, false)
        else if (this.entries.get(entry.key) === entry) this.idle.set(entry.key, entry)
        this.wake()
      }
    }
  }

  /**
   * Closes the idle files whose key starts with `prefix` (a store's files
   * when it closes, after its operations have ended).
   *
   * @internal
   */
  async release(prefix: string): Promise<void> {
    const idle = [...this.idle.values()].filter((entry) => entry.key.startsWith(prefix))
    await Promise.all(idle.map((entry) => this.evict(entry, false)))
  }

  /**
   * Closes the files of these keys, so that their next use opens the path
   * again (a file that may have been replaced on disk): an idle one now, one
   * in use when its operation ends (it is no longer handed out meanwhile).
   *
   * @internal
   */
  async forget(keys: readonly string[]): Promise<void> {
    const closing: Promise<void>[] = []
    for (const key of keys) {
      const entry = this.entries.get(key)
      if (entry === undefined) continue
      if (entry.refs === 0) {
        closing.push(this.evict(entry, false))
      } else {
        this.entries.delete(key)
        this.idle.delete(key)
        this.detached.add(entry)
      }
    }
    await Promise.all(closing)
  }

  /** Closes every idle file; files in use close when their operation ends. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    await this.release('')
  }

  private async acquire(
    key: string,
    open: () => Promise<number>,
    closeFd: (fd: number) => Promise<void>,
    signal: AbortSignal | undefined,
  ): Promise<Entry> {
    assertSignal(signal)
    let waited = false
    try {
      for (;;) {
        if (this.closed) throw StoreError.closed('the file handle pool')
        if (signal?.aborted) throw StoreError.aborted(signal.reason)
        const existing = this.entries.get(key)
        if (existing !== undefined) {
          if (existing.refs++ === 0) this.idle.delete(key)
          try {
            await existing.ready
          } catch (err) {
            existing.refs--
            throw err
          }
          return existing
        }
        if (this.hasRoom()) return await this.insert(key, open, closeFd)
        const victim = this.idle.values().next().value
        if (victim !== undefined) {
          await this.evict(victim, true)
        } else {
          waited = true
          this.counters.waits++
          await this.waitForChange(signal)
        }
      }
    } finally {
      // A waiter woken for a change it did not use (its file was opened by another meanwhile, or it
      // failed) passes the turn on, so that no room stays unused while others wait.
      if (waited && (this.hasRoom() || this.idle.size > 0)) this.wake()
    }
  }

  /** Whether one more file may be opened without closing another. */
  private hasRoom(): boolean {
    return this.entries.size + this.detached.size + this.closingCount < this.maxOpen
  }

  /** Adds an entry and opens its file (synchronously with the room check that preceded it). */
  private async insert(key: string, open: () => Promise<number>, closeFd: (fd: number) => Promise<void>) {
    const entry: Entry = { key, fd: -1, refs: 1, ready: Promise.resolve(), closeFd }
    entry.ready = open().then((fd) => {
      entry.fd = fd
    })
    this.entries.set(key, entry)
    const count = this.entries.size + this.detached.size + this.closingCount
    if (count > this.counters.peak) this.counters.peak = count
    try {
      await entry.ready
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key)
      this.detached.delete(entry)
      this.wake()
      throw err
    }
    this.counters.opened++
    return entry
  }

  private async evict(entry: Entry, forRoom: boolean): Promise<void> {
    if (this.entries.get(entry.key) !== entry || entry.refs !== 0) return
    this.entries.delete(entry.key)
    this.idle.delete(entry.key)
    if (forRoom) this.counters.evicted++
    await this.closeEntry(entry)
  }

  /** Closes the descriptor of an entry no longer in `entries`, counted as closing meanwhile. */
  private async closeEntry(entry: Entry): Promise<void> {
    this.closingCount++
    try {
      await entry.closeFd(entry.fd)
    } catch {
      // the descriptor is released by the kernel even when close reports an error
    } finally {
      this.closingCount--
      this.wake()
    }
  }

  /**
   * Wakes the first waiter: one file closed or became idle, so one waiter
   * can go on. Waking them all made each rescan the pool and wait again, a
   * cost that grew with the product of waiters and changes (a share of
   * 10,000 small files spent most of its download here).
   */
  private wake(): void {
    this.waiters.shift()?.()
  }

  private waitForChange(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((waiter) => waiter !== done)
        reject(StoreError.aborted(signal?.reason))
      }
      const done = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      this.waiters.push(done)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}
