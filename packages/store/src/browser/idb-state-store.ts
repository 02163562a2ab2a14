import { Bitfield, decodeMetadata, encodeMetadata, type Manifest } from '@mycel/pieces'
import { fromHex, toHex } from '@mycel/wire'
import { integerOption } from '@mycel/wire/assert'
import { StoreError } from '../errors.js'
import { MemoryStateStore } from '../memory/memory-state-store.js'
import type { ShareRow } from '../state/records.js'
import type { PeerRecord, ShareInit, ShareRecord, ShareUpdate, StateOptions } from '../state-store.js'
import { indexedDbFactory, openDatabase, requestResult, transactionDone } from './idb.js'

/** The IndexedDB database of the state store unless told otherwise. */
export const DEFAULT_STATE_DATABASE = 'mycel-state'

/** Milliseconds between writes of pending `markVerified` marks unless told otherwise. */
export const DEFAULT_IDB_FLUSH_INTERVAL = 1000

const MANIFESTS = 'manifests'
const BITFIELDS = 'bitfields'
const SHARES = 'shares'
const PEERS = 'peers'
const VALUES = 'values'
const ALL = [MANIFESTS, BITFIELDS, SHARES, PEERS, VALUES]

/** Options of {@link openIndexedDbStateStore}. */
export interface IndexedDbStateStoreOptions {
  /** The IndexedDB database; default `mycel-state`. One store at a time per database. */
  database?: string
  /** The clock (ms since the epoch); default `Date.now`. */
  now?: () => number
  /** Most peer records kept; default 10,000. */
  maxPeers?: number
  /** Milliseconds between writes of pending marks; default 1000. */
  flushInterval?: number
}

/** A failure of IndexedDB as a {@link index!StoreError | StoreError}: `DISK_FULL` for a full quota, else `DATABASE_FAILED`. */
function databaseError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error
  const name = (error as { name?: string } | null)?.name
  const message = error instanceof Error ? error.message : String(error)
  return new StoreError(name === 'QuotaExceededError' ? 'DISK_FULL' : 'DATABASE_FAILED', `${what}: ${message}`, {
    cause: error,
  })
}

/**
 * A {@link index!StateStore | StateStore} on IndexedDB, for browsers: the
 * whole state is read into memory when the store opens (a node's state is
 * small next to its shares) and every change is written through, durably
 * before its promise resolves; `markVerified` marks are written in batches
 * (every `flushInterval`, at `flush()` and `close()`), as the SQLite store
 * does. Open one with {@link openIndexedDbStateStore}.
 */
export class IndexedDbStateStore extends MemoryStateStore {
  /** The IndexedDB database's name. */
  readonly database: string
  private readonly db: IDBDatabase
  private readonly flushInterval: number
  /** Shares whose bitfield has marks not yet written. */
  private readonly dirty = new Set<string>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private flushing: Promise<void> = Promise.resolve()
  private closingDb: Promise<void> | undefined

  /**
   * @internal Use {@link openIndexedDbStateStore}. `db` is an open `IDBDatabase` (typed loosely so that
   * the published types of this entry need no DOM library).
   */
  constructor(db: unknown, database: string, options: IndexedDbStateStoreOptions) {
    super({
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.maxPeers !== undefined ? { maxPeers: options.maxPeers } : {}),
    })
    this.db = db as IDBDatabase
    this.database = database
    this.flushInterval = integerOption(options.flushInterval, 'flushInterval', {
      fallback: DEFAULT_IDB_FLUSH_INTERVAL,
      min: 0,
    })
  }

  /** @internal Reads everything the database holds into memory. */
  async load(): Promise<void> {
    const transaction = this.db.transaction(ALL, 'readonly')
    const [manifestKeys, manifestValues, bitfieldKeys, bitfieldValues, shares, peers, valueKeys, values] =
      await Promise.all([
        requestResult(transaction.objectStore(MANIFESTS).getAllKeys()),
        requestResult(transaction.objectStore(MANIFESTS).getAll()),
        requestResult(transaction.objectStore(BITFIELDS).getAllKeys()),
        requestResult(transaction.objectStore(BITFIELDS).getAll()),
        requestResult(transaction.objectStore(SHARES).getAll()),
        requestResult(transaction.objectStore(PEERS).getAll()),
        requestResult(transaction.objectStore(VALUES).getAllKeys()),
        requestResult(transaction.objectStore(VALUES).getAll()),
      ])
    const bitfieldBytes = new Map(bitfieldKeys.map((key, i) => [key as string, bitfieldValues[i] as Uint8Array]))
    manifestKeys.forEach((key, i) => {
      const hex = key as string
      const metadata = manifestValues[i] as Uint8Array
      let manifest: Manifest
      try {
        const infohash = fromHex(hex)
        if (infohash === undefined) throw new TypeError(`${hex} is not an infohash`)
        manifest = decodeMetadata(metadata, infohash)
      } catch (error) {
        throw new StoreError('DATABASE_CORRUPT', `the stored manifest of ${hex} no longer decodes to its infohash`, {
          cause: error,
        })
      }
      this.manifests.set(hex, { manifest, metadata })
      const bytes = bitfieldBytes.get(hex)
      this.bitfields.set(
        hex,
        bytes === undefined ? new Bitfield(manifest.pieceCount) : Bitfield.fromBytes(bytes, manifest.pieceCount),
      )
    })
    for (const row of shares as ShareRow[]) this.shares.set(toHex(row.infohash), row)
    for (const peer of (peers as PeerRecord[]).sort((a, b) => a.updatedAt - b.updatedAt)) {
      this.peers.set(toHex(peer.peerId), peer)
    }
    valueKeys.forEach((key, i) => {
      this.values.set(key as string, values[i] as Uint8Array)
    })
  }

  /** {@inheritDoc index!StateStore.putManifest} */
  override async putManifest(manifest: Manifest, options: StateOptions = {}): Promise<void> {
    const key = toHex(manifest.infohash)
    const had = this.manifests.has(key)
    await super.putManifest(manifest, options)
    if (had) return
    await this.write('storing a manifest', [MANIFESTS, BITFIELDS], (t) => {
      t.objectStore(MANIFESTS).put(encodeMetadata(manifest), key)
      t.objectStore(BITFIELDS).put((this.bitfields.get(key) as Bitfield).toBytes(), key)
    })
  }

  /** {@inheritDoc index!StateStore.markVerified} */
  override markVerified(infohash: Uint8Array, piece: number): void {
    super.markVerified(infohash, piece)
    this.dirty.add(toHex(infohash))
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      this.writeMarks().catch(() => undefined) // reported by the next flush() or close()
    }, this.flushInterval)
  }

  /** {@inheritDoc index!StateStore.setBitfield} */
  override async setBitfield(infohash: Uint8Array, bitfield: Bitfield, options: StateOptions = {}): Promise<void> {
    await super.setBitfield(infohash, bitfield, options)
    await this.writeBitfield(toHex(infohash))
  }

  /** {@inheritDoc index!StateStore.clearBitfield} */
  override async clearBitfield(infohash: Uint8Array, options: StateOptions = {}): Promise<void> {
    await super.clearBitfield(infohash, options)
    await this.writeBitfield(toHex(infohash))
  }

  /** {@inheritDoc index!StateStore.flush} */
  override async flush(options: StateOptions = {}): Promise<void> {
    await super.flush(options)
    await this.writeMarks()
  }

  /** {@inheritDoc index!StateStore.addShare} */
  override async addShare(init: ShareInit, options: StateOptions = {}): Promise<ShareRecord> {
    const record = await super.addShare(init, options)
    await this.writeShare(toHex(record.infohash))
    return record
  }

  /** {@inheritDoc index!StateStore.updateShare} */
  override async updateShare(
    infohash: Uint8Array,
    update: ShareUpdate,
    options: StateOptions = {},
  ): Promise<ShareRecord> {
    const record = await super.updateShare(infohash, update, options)
    await this.writeShare(toHex(record.infohash))
    return record
  }

  /** {@inheritDoc index!StateStore.removeShare} */
  override async removeShare(infohash: Uint8Array, options: StateOptions = {}): Promise<boolean> {
    const removed = await super.removeShare(infohash, options)
    const key = toHex(infohash)
    this.dirty.delete(key)
    await this.write('removing a share', [MANIFESTS, BITFIELDS, SHARES], (t) => {
      for (const name of [MANIFESTS, BITFIELDS, SHARES]) t.objectStore(name).delete(key)
    })
    return removed
  }

  /** {@inheritDoc index!StateStore.adjustPeerScore} */
  override async adjustPeerScore(peerId: Uint8Array, delta: number, options: StateOptions = {}): Promise<PeerRecord> {
    return this.writePeer(peerId, () => super.adjustPeerScore(peerId, delta, options))
  }

  /** {@inheritDoc index!StateStore.banPeer} */
  override async banPeer(peerId: Uint8Array, until: number, options: StateOptions = {}): Promise<PeerRecord> {
    return this.writePeer(peerId, () => super.banPeer(peerId, until, options))
  }

  /** {@inheritDoc index!StateStore.removePeer} */
  override async removePeer(peerId: Uint8Array, options: StateOptions = {}): Promise<boolean> {
    const removed = await super.removePeer(peerId, options)
    await this.write('removing a peer', [PEERS], (t) => t.objectStore(PEERS).delete(toHex(peerId)))
    return removed
  }

  /** {@inheritDoc index!StateStore.setValue} */
  override async setValue(key: string, value: Uint8Array, options: StateOptions = {}): Promise<void> {
    await super.setValue(key, value, options)
    await this.write('storing a value', [VALUES], (t) => t.objectStore(VALUES).put(value.slice(), key))
  }

  /** {@inheritDoc index!StateStore.deleteValue} */
  override async deleteValue(key: string, options: StateOptions = {}): Promise<boolean> {
    const removed = await super.deleteValue(key, options)
    await this.write('removing a value', [VALUES], (t) => t.objectStore(VALUES).delete(key))
    return removed
  }

  /** Writes pending marks, then closes the database. Idempotent: every call returns the same promise. */
  override close(): Promise<void> {
    this.closingDb ??= (async () => {
      if (this.timer !== undefined) clearTimeout(this.timer)
      this.timer = undefined
      try {
        await this.writeMarks()
      } finally {
        await super.close()
        this.db.close()
      }
    })()
    return this.closingDb
  }

  /** Runs one read-write transaction over `stores`; resolves when it commits. */
  private async write(what: string, stores: string[], fill: (transaction: IDBTransaction) => void): Promise<void> {
    try {
      const transaction = this.db.transaction(stores, 'readwrite')
      const done = transactionDone(transaction)
      fill(transaction)
      await done
    } catch (error) {
      throw databaseError(error, `${what} in IndexedDB ${this.database}`)
    }
  }

  private writeShare(key: string): Promise<void> {
    const row = this.shares.get(key) as ShareRow
    return this.write('storing a share', [SHARES], (t) => t.objectStore(SHARES).put(row, key))
  }

  private writeBitfield(key: string): Promise<void> {
    this.dirty.delete(key)
    const bitfield = this.bitfields.get(key)
    if (bitfield === undefined) return Promise.resolve()
    return this.write('storing verified pieces', [BITFIELDS], (t) =>
      t.objectStore(BITFIELDS).put(bitfield.toBytes(), key),
    )
  }

  /** Writes the bitfields with pending marks (one batch at a time). */
  private writeMarks(): Promise<void> {
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(async () => {
        if (this.dirty.size === 0) return
        const keys = [...this.dirty]
        this.dirty.clear()
        try {
          await this.write('storing verified pieces', [BITFIELDS], (t) => {
            for (const key of keys) {
              const bitfield = this.bitfields.get(key)
              if (bitfield !== undefined) t.objectStore(BITFIELDS).put(bitfield.toBytes(), key)
            }
          })
        } catch (error) {
          for (const key of keys) this.dirty.add(key)
          throw error
        }
      })
    return this.flushing
  }

  /** Runs a peer change and writes it, with the records it evicted. */
  private async writePeer(peerId: Uint8Array, change: () => Promise<PeerRecord>): Promise<PeerRecord> {
    const before = this.peers.size >= this.maxPeers ? new Set(this.peers.keys()) : undefined
    const record = await change()
    const evicted = before === undefined ? [] : [...before].filter((key) => !this.peers.has(key))
    const key = toHex(peerId)
    const stored = this.peers.get(key) as PeerRecord
    await this.write('storing a peer', [PEERS], (t) => {
      const peers = t.objectStore(PEERS)
      peers.put(stored, key)
      for (const old of evicted) peers.delete(old)
    })
    return record
  }
}

/**
 * Opens (or creates) the IndexedDB state store of a browser node.
 *
 * @param options - database name, clock, peer bound, flush interval
 * @returns the store, with everything it held read back
 * @throws {@link index!StoreError | StoreError} `DATABASE_FAILED` where there is no IndexedDB or it cannot be opened;
 *   `DATABASE_CORRUPT` when a stored manifest no longer decodes to its infohash
 *
 * @example
 * ```ts
 * import { openIndexedDbStateStore } from '@mycel/store/browser'
 *
 * const state = await openIndexedDbStateStore()
 * const node = await createCoreNode({ state, ... })
 * ```
 */
export async function openIndexedDbStateStore(options: IndexedDbStateStoreOptions = {}): Promise<IndexedDbStateStore> {
  const factory = indexedDbFactory()
  if (factory === undefined) throw new StoreError('DATABASE_FAILED', 'this runtime has no IndexedDB')
  const name = options.database ?? DEFAULT_STATE_DATABASE
  const db = await openDatabase(factory, name, 1, (created) => {
    for (const store of ALL) if (!created.objectStoreNames.contains(store)) created.createObjectStore(store)
  }).catch((error) => {
    throw databaseError(error, `opening IndexedDB ${name}`)
  })
  const store = new IndexedDbStateStore(db, name, options)
  try {
    await store.load()
  } catch (error) {
    db.close()
    throw databaseError(error, `reading IndexedDB ${name}`)
  }
  return store
}
