/**
 * The verified-pieces bitfields of the SQLite store, cached in memory and
 * written in batches: marking a piece sets a bit and flags the share; a
 * flush writes each flagged share's whole bitfield in one transaction.
 * @internal
 * @module
 */
import { Bitfield } from '@mycel/pieces'
import { equalBytes, toHex } from '@mycel/wire'
import { StoreError } from '../../errors.js'

/** A share's bitfield in memory. */
export interface CachedBitfield {
  readonly infohash: Uint8Array
  bitfield: Bitfield
  /** Set bits not yet written. */
  dirty: boolean
  /** Bumped when the bitfield is replaced or removed outside a batch; a batch taken before is then stale. */
  generation: number
}

/** What the cache needs from the database. */
export interface BitfieldStorage {
  /** The stored bitfield of a share, or undefined if no manifest is stored. */
  load(infohash: Uint8Array): { size: number; bits: Uint8Array } | undefined
  /** Writes bitfields in one transaction. */
  writeAll(entries: readonly { infohash: Uint8Array; bits: Uint8Array; verified: number }[]): void
}

/** One share's bits as taken for a batch. */
interface BatchEntry {
  entry: CachedBitfield
  generation: number
  bits: Uint8Array
  verified: number
}

/** Most clean bitfields kept in memory; dirty ones are kept until written. */
const MAX_CLEAN = 256

/** @internal */
export class VerifiedPieces {
  private readonly entries = new Map<string, CachedBitfield>()
  /** The last entry marked: a node marks many pieces of one share in a row (the hot path). */
  private lastEntry: CachedBitfield | undefined
  private dirtyCount = 0

  constructor(
    private readonly storage: BitfieldStorage,
    private readonly path: string,
  ) {}

  /** Whether some marks are not written yet. */
  get pending(): boolean {
    return this.dirtyCount > 0
  }

  /** Sets a bit; returns whether it changed. */
  mark(infohash: Uint8Array, piece: number): boolean {
    const last = this.lastEntry
    const entry = last !== undefined && equalBytes(last.infohash, infohash) ? last : this.entry(infohash)
    if (entry === undefined) throw StoreError.unknownShare(toHex(infohash))
    this.lastEntry = entry
    if (!entry.bitfield.set(piece)) return false
    if (!entry.dirty) {
      entry.dirty = true
      this.dirtyCount++
    }
    return true
  }

  /** The cached (loaded if needed) bitfield of a share, or undefined if no manifest is stored. */
  entry(infohash: Uint8Array): CachedBitfield | undefined {
    const key = toHex(infohash)
    const cached = this.entries.get(key)
    if (cached !== undefined) return cached
    const stored = this.storage.load(infohash)
    if (stored === undefined) return undefined
    let bitfield: Bitfield
    try {
      bitfield = Bitfield.fromBytes(stored.bits, stored.size)
    } catch (err) {
      throw new StoreError('DATABASE_CORRUPT', `${this.path}: the stored bitfield of ${key} is malformed`, {
        cause: err,
      })
    }
    const entry: CachedBitfield = { infohash: infohash.slice(), bitfield, dirty: false, generation: 0 }
    this.entries.set(key, entry)
    this.evictClean()
    return entry
  }

  /** Puts a bitfield already written to the database (after setBitfield, clearBitfield or a new manifest). */
  replace(infohash: Uint8Array, bitfield: Bitfield): void {
    const key = toHex(infohash)
    const entry = this.entries.get(key)
    if (entry === undefined) {
      this.entries.set(key, { infohash: infohash.slice(), bitfield, dirty: false, generation: 0 })
      this.evictClean()
      return
    }
    if (entry.dirty) this.dirtyCount--
    entry.bitfield = bitfield
    entry.dirty = false
    entry.generation++
  }

  /** Forgets a share (its rows were deleted). */
  remove(infohash: Uint8Array): void {
    const key = toHex(infohash)
    const entry = this.entries.get(key)
    if (entry === undefined) return
    if (entry.dirty) this.dirtyCount--
    entry.generation++
    this.entries.delete(key)
    if (this.lastEntry === entry) this.lastEntry = undefined
  }

  /** Verified counts of cached shares (fresher than the database's while marks are pending). */
  cachedCount(infohash: Uint8Array): number | undefined {
    return this.entries.get(toHex(infohash))?.bitfield.count()
  }

  /**
   * Takes the pending marks as a batch (clearing their flags), for
   * {@link VerifiedPieces.commit} after any `beforeCommit` work.
   */
  take(): BatchEntry[] {
    const batch: BatchEntry[] = []
    for (const entry of this.entries.values()) {
      if (!entry.dirty) continue
      batch.push({
        entry,
        generation: entry.generation,
        bits: entry.bitfield.toBytes(),
        verified: entry.bitfield.count(),
      })
      entry.dirty = false
    }
    this.dirtyCount = 0
    return batch
  }

  /** Writes a batch; entries replaced or removed since it was taken are skipped. */
  commit(batch: readonly BatchEntry[]): void {
    const current = batch.filter((item) => item.entry.generation === item.generation && this.isCached(item.entry))
    if (current.length > 0)
      this.storage.writeAll(current.map(({ entry, bits, verified }) => ({ infohash: entry.infohash, bits, verified })))
  }

  /** Flags a batch's entries again after a failed write, so the next flush retries them. */
  restore(batch: readonly BatchEntry[]): void {
    for (const { entry, generation } of batch) {
      if (entry.generation !== generation || entry.dirty || !this.isCached(entry)) continue
      entry.dirty = true
      this.dirtyCount++
    }
  }

  private isCached(entry: CachedBitfield): boolean {
    return this.entries.get(toHex(entry.infohash)) === entry
  }

  private evictClean(): void {
    if (this.entries.size <= MAX_CLEAN) return
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= MAX_CLEAN) return
      if (entry.dirty || entry === this.lastEntry) continue
      this.entries.delete(key)
    }
  }
}
