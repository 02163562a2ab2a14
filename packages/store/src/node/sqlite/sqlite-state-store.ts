import { Bitfield, decodeMetadata, encodeMetadata, Manifest } from '@mycel/pieces'
import { toHex } from '@mycel/wire'
import { assertSignal } from '@mycel/wire/assert'
import { type ComponentLogger, describeError } from '@mycel/wire/log'
import { throwIfAborted } from '@mycel/wire/signal'
import type BetterSqlite3 from 'better-sqlite3'
import { assertInfohash } from '../../assert.js'
import { StoreError } from '../../errors.js'
import {
  adjustedScore,
  assertBanTime,
  assertKey,
  assertPeerId,
  assertRole,
  assertValue,
  newShareRow,
  resolveFilter,
  resolveLimit,
  type ShareRow,
  updateShareRow,
} from '../../state/records.js'
import { foldText, searchTerms } from '../../state/search.js'
import { shareRecord } from '../../state/share-record.js'
import type {
  ListPeersOptions,
  PeerRecord,
  SearchHit,
  SearchOptions,
  SeedInit,
  ShareFilter,
  ShareInit,
  ShareRecord,
  ShareUpdate,
  StateOptions,
  StateStore,
} from '../../state-store.js'
import { Queries } from './queries.js'
import { fileRows } from './schema.js'
import { databaseError } from './sqlite-errors.js'
import {
  blob,
  extentOf,
  type PeerSqlRow,
  peerOf,
  prepareStatements,
  type ShareSqlRow,
  type Statements,
  shareRowOf,
} from './statements.js'
import { VerifiedPieces } from './verified-pieces.js'

/**
 * A {@link index!StateStore | StateStore} in a SQLite database (better-sqlite3), for apps.
 * Piece marks are kept in memory and written in batches, one transaction
 * per flush; every other write is its own transaction (`putSeed`'s six
 * writes one), committed before its promise resolves. Open one with {@link openSqliteStateStore}.
 */
export interface SqliteStateStore extends StateStore {
  /** The database file (absolute), or `':memory:'`. */
  readonly path: string
  /** {@inheritDoc index!StateStore.putSeed} */
  putSeed(seed: SeedInit, options?: StateOptions): Promise<ShareRecord>
}

/** What the store needs besides its database. @internal */
export interface StoreSettings {
  flushInterval: number
  manifestCacheSize: number
  maxPeers: number
  now: () => number
  beforeCommit: (() => Promise<void> | void) | undefined
  /** Where failed and recovered commits are logged (`mycel:store`). */
  log: ComponentLogger
}

/**
 * The implementation behind {@link SqliteStateStore}, kept out of the API so
 * that its types need no better-sqlite3 types.
 * @internal
 */
export class SqliteDatabaseStore implements SqliteStateStore {
  readonly path: string
  private readonly statements: Statements
  private readonly queries: Queries
  private readonly verified: VerifiedPieces
  private readonly manifests = new Map<string, Manifest>()
  private peerCount: number
  private timer: ReturnType<typeof setTimeout> | undefined
  private flushChain: Promise<void> = Promise.resolve()
  /** Whether the last commit of piece marks failed (logged once per run of failures). */
  private commitsFailing = false
  private closing: Promise<void> | undefined
  /** {@link putSeed} in one transaction (made once: better-sqlite3 builds a transaction's wrappers each time). */
  private readonly seedTransaction: (...args: Parameters<SqliteDatabaseStore['writeSeed']>) => void

  constructor(
    private readonly db: BetterSqlite3.Database,
    path: string,
    private readonly settings: StoreSettings,
  ) {
    this.path = path
    this.statements = prepareStatements(db)
    this.queries = new Queries(db)
    const statements = this.statements
    this.verified = new VerifiedPieces(
      {
        load: (infohash) => statements.loadBitfield.get(infohash) as { size: number; bits: Uint8Array } | undefined,
        writeAll: db.transaction((entries: readonly { infohash: Uint8Array; bits: Uint8Array; verified: number }[]) => {
          for (const { infohash, bits, verified } of entries) statements.writeBitfield.run(bits, verified, infohash)
        }),
      },
      path,
    )
    this.peerCount = statements.countPeers.get() as number
    this.seedTransaction = db.transaction((...args: Parameters<SqliteDatabaseStore['writeSeed']>) =>
      this.writeSeed(...args),
    )
  }

  /** {@inheritDoc index!StateStore.putManifest} */
  async putManifest(manifest: Manifest, options: StateOptions = {}): Promise<void> {
    if (!(manifest instanceof Manifest)) throw new TypeError('manifest must be a Manifest')
    this.guard(options, () => {
      const key = toHex(manifest.infohash)
      const metadata = encodeMetadata(manifest)
      const empty = new Bitfield(manifest.pieceCount)
      const inserted = this.db.transaction(() => {
        const { insertManifest, insertBitfield, insertFile } = this.statements
        const result = insertManifest.run(
          manifest.infohash,
          manifest.name,
          manifest.pieceCount,
          manifest.totalLength,
          manifest.singleFile ? 1 : 0,
          metadata,
        )
        if (result.changes === 0) return false
        insertBitfield.run(manifest.infohash, manifest.pieceCount, empty.toBytes())
        fileRows(manifest, (index, path, folded) => insertFile.run(manifest.infohash, index, path, folded))
        return true
      })()
      if (inserted) {
        this.verified.replace(manifest.infohash, empty)
        this.cacheManifest(key, manifest)
      }
    })
  }

  /** {@inheritDoc index!StateStore.getManifest} */
  async getManifest(infohash: Uint8Array, options: StateOptions = {}): Promise<Manifest | undefined> {
    assertInfohash(infohash)
    return this.guard(options, () => {
      const key = toHex(infohash)
      const cached = this.manifests.get(key)
      if (cached !== undefined) {
        this.cacheManifest(key, cached)
        return cached
      }
      const metadata = this.statements.metadata.get(infohash) as Uint8Array | undefined
      if (metadata === undefined) return undefined
      const manifest = decodeMetadata(metadata, infohash)
      this.cacheManifest(key, manifest)
      return manifest
    })
  }

  /** {@inheritDoc index!StateStore.getMetadata} */
  async getMetadata(infohash: Uint8Array, options: StateOptions = {}): Promise<Uint8Array | undefined> {
    assertInfohash(infohash)
    return this.guard(options, () => {
      const metadata = this.statements.metadata.get(infohash) as Uint8Array | undefined
      return metadata === undefined ? undefined : blob(metadata)
    })
  }

  /** {@inheritDoc index!StateStore.getBitfield} */
  async getBitfield(infohash: Uint8Array, options: StateOptions = {}): Promise<Bitfield | undefined> {
    assertInfohash(infohash)
    return this.guard(options, () => this.verified.entry(infohash)?.bitfield.clone())
  }

  /** {@inheritDoc index!StateStore.markVerified} */
  markVerified(infohash: Uint8Array, piece: number): void {
    assertInfohash(infohash)
    if (this.closing !== undefined) throw StoreError.closed('the state store')
    try {
      if (this.verified.mark(infohash, piece) && this.timer === undefined) this.scheduleFlush()
    } catch (err) {
      throw databaseError(err, this.path)
    }
  }

  /** {@inheritDoc index!StateStore.setBitfield} */
  async setBitfield(infohash: Uint8Array, bitfield: Bitfield, options: StateOptions = {}): Promise<void> {
    assertInfohash(infohash)
    if (!(bitfield instanceof Bitfield)) throw new TypeError('bitfield must be a Bitfield')
    this.guard(options, () => this.replaceBitfield(infohash, bitfield.clone()))
  }

  /** {@inheritDoc index!StateStore.clearBitfield} */
  async clearBitfield(infohash: Uint8Array, options: StateOptions = {}): Promise<void> {
    assertInfohash(infohash)
    this.guard(options, () => {
      const entry = this.verified.entry(infohash)
      if (entry === undefined) throw StoreError.unknownShare(toHex(infohash))
      this.replaceBitfield(infohash, new Bitfield(entry.bitfield.size))
    })
  }

  /** {@inheritDoc index!StateStore.flush} */
  async flush(options: StateOptions = {}): Promise<void> {
    this.guard(options, () => {})
    await this.commitPending()
  }

  /** {@inheritDoc index!StateStore.addShare} */
  async addShare(init: ShareInit, options: StateOptions = {}): Promise<ShareRecord> {
    const row = newShareRow(init, this.settings.now())
    return this.guard(options, () => {
      const key = toHex(row.infohash)
      this.db.transaction(() => {
        if (this.statements.shareExists.get(row.infohash) !== undefined) {
          throw new StoreError('SHARE_EXISTS', `share ${key} is already recorded`)
        }
        this.insertShareRow(row)
      })()
      return this.readShare(row.infohash) as ShareRecord
    })
  }

  /** {@inheritDoc index!StateStore.putSeed} */
  async putSeed(seed: SeedInit, options: StateOptions = {}): Promise<ShareRecord> {
    const { manifest, contentPath } = seed
    if (!(manifest instanceof Manifest)) throw new TypeError('manifest must be a Manifest')
    const values = [...(seed.values ?? [])]
    for (const [key, value] of values) {
      assertKey(key)
      assertValue(value)
    }
    const { infohash } = manifest
    const now = this.settings.now()
    const row = newShareRow({ infohash, name: manifest.name, role: 'seed', contentPath, status: 'complete' }, now)
    return this.guard(options, () => {
      const metadata = encodeMetadata(manifest)
      const verified = Bitfield.full(manifest.pieceCount)
      this.seedTransaction(manifest, metadata, verified, row, values)
      this.verified.remove(infohash)
      this.verified.replace(infohash, verified)
      this.cacheManifest(toHex(infohash), manifest)
      return this.readShare(infohash) as ShareRecord
    })
  }

  /** Inserts a share's row (no row of that infohash may exist). */
  private insertShareRow(row: ShareRow): void {
    this.statements.insertShare.run(
      row.infohash,
      row.name,
      foldText(row.name),
      row.role,
      row.contentPath,
      row.status,
      row.addedAt,
      row.updatedAt,
      row.completedAt ?? null,
      row.lastError ?? null,
    )
  }

  /** {@link putSeed}'s writes, in one transaction. */
  private writeSeed(
    manifest: Manifest,
    metadata: Uint8Array,
    verified: Bitfield,
    row: ShareRow,
    values: ReadonlyArray<readonly [string, Uint8Array]>,
  ): void {
    const s = this.statements
    const { infohash } = manifest
    const previous = s.selectShare.get(infohash) as ShareSqlRow | undefined
    s.deleteShare.run(infohash)
    s.deleteManifest.run(infohash)
    s.insertManifest.run(
      infohash,
      manifest.name,
      manifest.pieceCount,
      manifest.totalLength,
      manifest.singleFile ? 1 : 0,
      metadata,
    )
    s.insertBitfield.run(infohash, manifest.pieceCount, verified.toBytes())
    s.writeBitfield.run(verified.toBytes(), verified.count(), infohash)
    fileRows(manifest, (index, path, folded) => s.insertFile.run(infohash, index, path, folded))
    this.insertShareRow(row)
    if (previous !== undefined && previous.bytes_uploaded + previous.bytes_downloaded > 0) {
      s.updateShare.run(
        row.name,
        foldText(row.name),
        row.contentPath,
        row.status,
        row.updatedAt,
        row.completedAt ?? null,
        row.lastError ?? null,
        previous.bytes_uploaded,
        previous.bytes_downloaded,
        infohash,
      )
    }
    for (const [key, value] of values) s.setValue.run(key, value)
  }

  /** {@inheritDoc index!StateStore.getShare} */
  async getShare(infohash: Uint8Array, options: StateOptions = {}): Promise<ShareRecord | undefined> {
    assertInfohash(infohash)
    return this.guard(options, () => this.readShare(infohash))
  }

  /** {@inheritDoc index!StateStore.listShares} */
  async listShares(filter?: ShareFilter, options: StateOptions = {}): Promise<ShareRecord[]> {
    const resolved = resolveFilter(filter)
    return this.guard(options, () => this.queries.listShares(resolved).map((row) => this.recordOf(row)))
  }

  /** {@inheritDoc index!StateStore.updateShare} */
  async updateShare(infohash: Uint8Array, update: ShareUpdate, options: StateOptions = {}): Promise<ShareRecord> {
    assertInfohash(infohash)
    return this.guard(options, () => {
      const current = this.statements.selectShare.get(infohash) as ShareSqlRow | undefined
      if (current === undefined) throw StoreError.unknownShare(toHex(infohash))
      const next: ShareRow = updateShareRow(shareRowOf(current), update, this.settings.now())
      this.statements.updateShare.run(
        next.name,
        foldText(next.name),
        next.contentPath,
        next.status,
        next.updatedAt,
        next.completedAt ?? null,
        next.lastError ?? null,
        next.bytesUploaded,
        next.bytesDownloaded,
        infohash,
      )
      return this.readShare(infohash) as ShareRecord
    })
  }

  /** {@inheritDoc index!StateStore.removeShare} */
  async removeShare(infohash: Uint8Array, options: StateOptions = {}): Promise<boolean> {
    assertInfohash(infohash)
    return this.guard(options, () => {
      const removed = this.db.transaction(() => {
        const share = this.statements.deleteShare.run(infohash).changes
        const manifest = this.statements.deleteManifest.run(infohash).changes
        return share + manifest > 0
      })()
      this.verified.remove(infohash)
      this.manifests.delete(toHex(infohash))
      return removed
    })
  }

  /** {@inheritDoc index!StateStore.search} */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const terms = searchTerms(query)
    const limit = resolveLimit(options.limit, 100)
    if (options.role !== undefined) assertRole(options.role)
    return this.guard(options, () =>
      terms.length === 0 || limit === 0 ? [] : this.queries.search(terms, options.role, limit),
    )
  }

  /** {@inheritDoc index!StateStore.getPeer} */
  async getPeer(peerId: Uint8Array, options: StateOptions = {}): Promise<PeerRecord | undefined> {
    assertPeerId(peerId)
    return this.guard(options, () => {
      const row = this.statements.selectPeer.get(peerId) as PeerSqlRow | undefined
      return row === undefined ? undefined : peerOf(row)
    })
  }

  /** {@inheritDoc index!StateStore.adjustPeerScore} */
  async adjustPeerScore(peerId: Uint8Array, delta: number, options: StateOptions = {}): Promise<PeerRecord> {
    assertPeerId(peerId)
    adjustedScore(0, delta)
    return this.guard(options, () =>
      this.db.transaction(() => {
        const row = this.statements.selectPeer.get(peerId) as PeerSqlRow | undefined
        return this.putPeer(peerId, adjustedScore(row?.score ?? 0, delta), row?.banned_until ?? 0, row === undefined)
      })(),
    )
  }

  /** {@inheritDoc index!StateStore.banPeer} */
  async banPeer(peerId: Uint8Array, until: number, options: StateOptions = {}): Promise<PeerRecord> {
    assertPeerId(peerId)
    assertBanTime(until)
    return this.guard(options, () =>
      this.db.transaction(() => {
        const row = this.statements.selectPeer.get(peerId) as PeerSqlRow | undefined
        return this.putPeer(peerId, row?.score ?? 0, until, row === undefined)
      })(),
    )
  }

  /** {@inheritDoc index!StateStore.listPeers} */
  async listPeers(options: ListPeersOptions = {}): Promise<PeerRecord[]> {
    const limit = resolveLimit(options.limit, 50)
    if (options.order !== undefined && options.order !== 'best' && options.order !== 'worst') {
      throw new TypeError(`order must be 'best' or 'worst'`)
    }
    return this.guard(options, () => {
      const bannedAt = options.excludeBanned === true ? this.settings.now() : undefined
      return (this.queries.listPeers(options.order ?? 'best', bannedAt, limit) as PeerSqlRow[]).map(peerOf)
    })
  }

  /** {@inheritDoc index!StateStore.removePeer} */
  async removePeer(peerId: Uint8Array, options: StateOptions = {}): Promise<boolean> {
    assertPeerId(peerId)
    return this.guard(options, () => {
      const removed = this.statements.deletePeer.run(peerId).changes > 0
      if (removed) this.peerCount--
      return removed
    })
  }

  /** {@inheritDoc index!StateStore.getValue} */
  async getValue(key: string, options: StateOptions = {}): Promise<Uint8Array | undefined> {
    assertKey(key)
    return this.guard(options, () => {
      const value = this.statements.getValue.get(key) as Uint8Array | undefined
      return value === undefined ? undefined : blob(value)
    })
  }

  /** {@inheritDoc index!StateStore.setValue} */
  async setValue(key: string, value: Uint8Array, options: StateOptions = {}): Promise<void> {
    assertKey(key)
    assertValue(value)
    this.guard(options, () => {
      this.statements.setValue.run(key, value)
    })
  }

  /** {@inheritDoc index!StateStore.deleteValue} */
  async deleteValue(key: string, options: StateOptions = {}): Promise<boolean> {
    assertKey(key)
    return this.guard(options, () => this.statements.deleteValue.run(key).changes > 0)
  }

  /** {@inheritDoc index!StateStore.close} */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer !== undefined) clearTimeout(this.timer)
      this.timer = undefined
      try {
        await this.commitPending()
      } finally {
        this.db.close()
      }
    })()
    return this.closing
  }

  /** Checks the store is open and the signal not aborted, runs `fn`, maps its errors. */
  private guard<T>(options: StateOptions, fn: () => T): T {
    assertSignal(options.signal)
    if (this.closing !== undefined) throw StoreError.closed('the state store')
    throwIfAborted(options.signal, StoreError)
    try {
      return fn()
    } catch (err) {
      throw databaseError(err, this.path)
    }
  }

  private readShare(infohash: Uint8Array): ShareRecord | undefined {
    const row = this.statements.selectShare.get(infohash) as ShareSqlRow | undefined
    return row === undefined ? undefined : this.recordOf(row)
  }

  private recordOf(row: ShareSqlRow): ShareRecord {
    return shareRecord(shareRowOf(row), extentOf(row, this.verified.cachedCount(row.infohash)))
  }

  private replaceBitfield(infohash: Uint8Array, bitfield: Bitfield): void {
    const entry = this.verified.entry(infohash)
    if (entry === undefined) throw StoreError.unknownShare(toHex(infohash))
    if (bitfield.size !== entry.bitfield.size) {
      throw new RangeError(`share ${toHex(infohash)} has ${entry.bitfield.size} pieces, the bitfield ${bitfield.size}`)
    }
    this.statements.writeBitfield.run(bitfield.toBytes(), bitfield.count(), infohash)
    this.verified.replace(infohash, bitfield)
  }

  private putPeer(peerId: Uint8Array, score: number, bannedUntil: number, isNew: boolean): PeerRecord {
    const updatedAt = this.settings.now()
    this.statements.upsertPeer.run(peerId, score, bannedUntil, updatedAt)
    if (isNew) this.peerCount++
    if (this.peerCount > this.settings.maxPeers) {
      this.peerCount -= this.statements.evictPeers.run(peerId, this.peerCount - this.settings.maxPeers).changes
    }
    return { peerId: peerId.slice(), score, bannedUntil, updatedAt }
  }

  private cacheManifest(key: string, manifest: Manifest): void {
    this.manifests.delete(key)
    if (this.settings.manifestCacheSize === 0) return
    this.manifests.set(key, manifest)
    for (const old of this.manifests.keys()) {
      if (this.manifests.size <= this.settings.manifestCacheSize) break
      this.manifests.delete(old)
    }
  }

  private scheduleFlush(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      // a failed automatic flush keeps its marks pending and retries; flush() and close() report failures
      this.commitPending().catch(() => {})
    }, this.settings.flushInterval)
    this.timer.unref?.()
  }

  /** Runs one batch commit after any in flight. */
  private commitPending(): Promise<void> {
    const run = this.flushChain.then(() => this.commitOnce())
    this.flushChain = run.catch(() => {})
    return run
  }

  private async commitOnce(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const batch = this.verified.take()
    if (batch.length === 0) return
    try {
      await this.settings.beforeCommit?.()
      this.verified.commit(batch)
    } catch (err) {
      this.verified.restore(batch)
      if (this.closing === undefined && this.timer === undefined) this.scheduleFlush()
      const error = databaseError(err, this.path)
      if (!this.commitsFailing) {
        this.commitsFailing = true
        this.settings.log.warn(
          `saving verified pieces to ${this.path} failed; they stay pending and are tried again every ${this.settings.flushInterval} ms: ${describeError(error)}`,
        )
      }
      throw error
    }
    if (this.commitsFailing) {
      this.commitsFailing = false
      this.settings.log.info(`saving verified pieces to ${this.path} works again`)
    }
  }
}
