import { Bitfield, encodeMetadata, Manifest } from '@mycel/pieces'
import { compareBytes, toHex } from '@mycel/wire'
import { assertInteger, assertSignal } from '@mycel/wire/assert'
import { throwIfAborted } from '@mycel/wire/signal'
import { assertInfohash } from '../assert.js'
import { StoreError } from '../errors.js'
import { DEFAULT_MAX_PEERS } from '../limits.js'
import {
  adjustedScore,
  assertBanTime,
  assertKey,
  assertPeerId,
  assertRole,
  assertValue,
  newShareRow,
  passesFilter,
  resolveFilter,
  resolveLimit,
  type ShareRow,
  updateShareRow,
} from '../state/records.js'
import { foldText, matchesAll, pathText, searchTerms } from '../state/search.js'
import { compareShares, shareRecord } from '../state/share-record.js'
import type {
  ListPeersOptions,
  PeerRecord,
  SearchHit,
  SearchOptions,
  ShareFilter,
  ShareInit,
  ShareRecord,
  ShareUpdate,
  StateOptions,
  StateStore,
} from '../state-store.js'

/** Options of {@link MemoryStateStore}. */
export interface MemoryStateStoreOptions {
  /** The clock (ms since the epoch); default `Date.now`. */
  now?: () => number
  /** Most peer records kept; default 10,000. */
  maxPeers?: number
}

/** A manifest as a state store keeps it. @internal */
export interface StoredManifest {
  manifest: Manifest
  metadata: Uint8Array
  /** Folded paths of the files, for search; made on first search. */
  foldedPaths?: string[]
}

/**
 * A {@link StateStore} in memory: everything is lost on close. For tests,
 * simulations and short-lived nodes; the semantics are exactly those of the
 * SQLite store (both pass `stateStoreCompliance`).
 *
 * @example
 * ```ts
 * const state = new MemoryStateStore()
 * await state.putManifest(manifest)
 * state.markVerified(manifest.infohash, 0)
 * ;(await state.getBitfield(manifest.infohash))?.get(0) // true
 * ```
 */
export class MemoryStateStore implements StateStore {
  /** @internal */
  protected readonly now: () => number
  /** @internal */
  protected readonly maxPeers: number
  /** @internal */
  protected readonly manifests = new Map<string, StoredManifest>()
  /** @internal */
  protected readonly bitfields = new Map<string, Bitfield>()
  /** @internal */
  protected readonly shares = new Map<string, ShareRow>()
  /** @internal */
  protected readonly peers = new Map<string, PeerRecord>()
  /** @internal */
  protected readonly values = new Map<string, Uint8Array>()
  private closing: Promise<void> | undefined

  /** @param options - clock and peer bound */
  constructor(options: MemoryStateStoreOptions = {}) {
    this.now = options.now ?? Date.now
    this.maxPeers =
      options.maxPeers === undefined ? DEFAULT_MAX_PEERS : assertInteger(options.maxPeers, 'maxPeers', { min: 1 })
  }

  /** {@inheritDoc index!StateStore.putManifest} */
  async putManifest(manifest: Manifest, options: StateOptions = {}): Promise<void> {
    if (!(manifest instanceof Manifest)) throw new TypeError('manifest must be a Manifest')
    this.enter(options)
    const key = toHex(manifest.infohash)
    if (this.manifests.has(key)) return
    this.manifests.set(key, { manifest, metadata: encodeMetadata(manifest) })
    this.bitfields.set(key, new Bitfield(manifest.pieceCount))
  }

  /** {@inheritDoc index!StateStore.getManifest} */
  async getManifest(infohash: Uint8Array, options: StateOptions = {}): Promise<Manifest | undefined> {
    return this.stored(infohash, options)?.manifest
  }

  /** {@inheritDoc index!StateStore.getMetadata} */
  async getMetadata(infohash: Uint8Array, options: StateOptions = {}): Promise<Uint8Array | undefined> {
    return this.stored(infohash, options)?.metadata.slice()
  }

  /** {@inheritDoc index!StateStore.getBitfield} */
  async getBitfield(infohash: Uint8Array, options: StateOptions = {}): Promise<Bitfield | undefined> {
    assertInfohash(infohash)
    this.enter(options)
    return this.bitfields.get(toHex(infohash))?.clone()
  }

  /** {@inheritDoc index!StateStore.markVerified} */
  markVerified(infohash: Uint8Array, piece: number): void {
    this.bitfieldOf(infohash).set(piece)
  }

  /** {@inheritDoc index!StateStore.setBitfield} */
  async setBitfield(infohash: Uint8Array, bitfield: Bitfield, options: StateOptions = {}): Promise<void> {
    if (!(bitfield instanceof Bitfield)) throw new TypeError('bitfield must be a Bitfield')
    this.enter(options)
    const current = this.bitfieldOf(infohash)
    if (bitfield.size !== current.size) {
      throw new RangeError(`share ${toHex(infohash)} has ${current.size} pieces, the bitfield ${bitfield.size}`)
    }
    this.bitfields.set(toHex(infohash), bitfield.clone())
  }

  /** {@inheritDoc index!StateStore.clearBitfield} */
  async clearBitfield(infohash: Uint8Array, options: StateOptions = {}): Promise<void> {
    this.enter(options)
    const current = this.bitfieldOf(infohash)
    this.bitfields.set(toHex(infohash), new Bitfield(current.size))
  }

  /** Nothing is pending in memory; checks the store is open. */
  async flush(options: StateOptions = {}): Promise<void> {
    this.enter(options)
  }

  /** {@inheritDoc index!StateStore.addShare} */
  async addShare(init: ShareInit, options: StateOptions = {}): Promise<ShareRecord> {
    const row = newShareRow(init, this.now())
    this.enter(options)
    const key = toHex(row.infohash)
    if (this.shares.has(key)) throw new StoreError('SHARE_EXISTS', `share ${key} is already recorded`)
    this.shares.set(key, row)
    return this.record(row)
  }

  /** {@inheritDoc index!StateStore.getShare} */
  async getShare(infohash: Uint8Array, options: StateOptions = {}): Promise<ShareRecord | undefined> {
    assertInfohash(infohash)
    this.enter(options)
    const row = this.shares.get(toHex(infohash))
    return row === undefined ? undefined : this.record(row)
  }

  /** {@inheritDoc index!StateStore.listShares} */
  async listShares(filter?: ShareFilter, options: StateOptions = {}): Promise<ShareRecord[]> {
    const resolved = resolveFilter(filter)
    this.enter(options)
    return this.sortedShares()
      .filter((row) => passesFilter(row, resolved))
      .slice(resolved.offset, resolved.offset + resolved.limit)
      .map((row) => this.record(row))
  }

  /** {@inheritDoc index!StateStore.updateShare} */
  async updateShare(infohash: Uint8Array, update: ShareUpdate, options: StateOptions = {}): Promise<ShareRecord> {
    assertInfohash(infohash)
    this.enter(options)
    const key = toHex(infohash)
    const row = this.shares.get(key)
    if (row === undefined) throw StoreError.unknownShare(key)
    const next = updateShareRow(row, update, this.now())
    this.shares.set(key, next)
    return this.record(next)
  }

  /** {@inheritDoc index!StateStore.removeShare} */
  async removeShare(infohash: Uint8Array, options: StateOptions = {}): Promise<boolean> {
    assertInfohash(infohash)
    this.enter(options)
    const key = toHex(infohash)
    const removed = this.shares.delete(key)
    const hadManifest = this.manifests.delete(key)
    this.bitfields.delete(key)
    return removed || hadManifest
  }

  /** {@inheritDoc index!StateStore.search} */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const terms = searchTerms(query)
    const limit = resolveLimit(options.limit, 100)
    if (options.role !== undefined) assertRole(options.role)
    this.enter(options)
    if (terms.length === 0 || limit === 0) return []
    const rows = this.sortedShares().filter((row) => options.role === undefined || row.role === options.role)
    const hits: SearchHit[] = []
    for (const row of rows) {
      if (hits.length >= limit) return hits
      if (matchesAll(foldText(row.name), terms)) hits.push(hit(row, undefined, undefined))
    }
    for (const row of rows) {
      const stored = this.manifests.get(toHex(row.infohash))
      if (stored === undefined || stored.manifest.singleFile) continue
      stored.foldedPaths ??= stored.manifest.files.map((file) => foldText(pathText(file.path)))
      for (let index = 0; index < stored.foldedPaths.length; index++) {
        if (hits.length >= limit) return hits
        if (matchesAll(stored.foldedPaths[index] as string, terms)) {
          hits.push(hit(row, index, stored.manifest.files[index]?.path))
        }
      }
    }
    return hits
  }

  /** {@inheritDoc index!StateStore.getPeer} */
  async getPeer(peerId: Uint8Array, options: StateOptions = {}): Promise<PeerRecord | undefined> {
    assertPeerId(peerId)
    this.enter(options)
    const peer = this.peers.get(toHex(peerId))
    return peer === undefined ? undefined : copyPeer(peer)
  }

  /** {@inheritDoc index!StateStore.adjustPeerScore} */
  async adjustPeerScore(peerId: Uint8Array, delta: number, options: StateOptions = {}): Promise<PeerRecord> {
    assertPeerId(peerId)
    adjustedScore(0, delta)
    this.enter(options)
    const current = this.peers.get(toHex(peerId))
    return this.putPeer(peerId, adjustedScore(current?.score ?? 0, delta), current?.bannedUntil ?? 0)
  }

  /** {@inheritDoc index!StateStore.banPeer} */
  async banPeer(peerId: Uint8Array, until: number, options: StateOptions = {}): Promise<PeerRecord> {
    assertPeerId(peerId)
    assertBanTime(until)
    this.enter(options)
    return this.putPeer(peerId, this.peers.get(toHex(peerId))?.score ?? 0, until)
  }

  /** {@inheritDoc index!StateStore.listPeers} */
  async listPeers(options: ListPeersOptions = {}): Promise<PeerRecord[]> {
    const limit = resolveLimit(options.limit, 50)
    const sign = options.order === 'worst' ? 1 : -1
    if (options.order !== undefined && options.order !== 'best' && options.order !== 'worst') {
      throw new TypeError(`order must be 'best' or 'worst'`)
    }
    this.enter(options)
    const now = this.now()
    return [...this.peers.values()]
      .filter((peer) => !(options.excludeBanned === true && peer.bannedUntil > now))
      .sort((a, b) => sign * (a.score - b.score) || compareBytes(a.peerId, b.peerId))
      .slice(0, limit)
      .map(copyPeer)
  }

  /** {@inheritDoc index!StateStore.removePeer} */
  async removePeer(peerId: Uint8Array, options: StateOptions = {}): Promise<boolean> {
    assertPeerId(peerId)
    this.enter(options)
    return this.peers.delete(toHex(peerId))
  }

  /** {@inheritDoc index!StateStore.getValue} */
  async getValue(key: string, options: StateOptions = {}): Promise<Uint8Array | undefined> {
    assertKey(key)
    this.enter(options)
    return this.values.get(key)?.slice()
  }

  /** {@inheritDoc index!StateStore.setValue} */
  async setValue(key: string, value: Uint8Array, options: StateOptions = {}): Promise<void> {
    assertKey(key)
    assertValue(value)
    this.enter(options)
    this.values.set(key, value.slice())
  }

  /** {@inheritDoc index!StateStore.deleteValue} */
  async deleteValue(key: string, options: StateOptions = {}): Promise<boolean> {
    assertKey(key)
    this.enter(options)
    return this.values.delete(key)
  }

  /** Forgets everything. Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.resolve().then(() => {
      this.manifests.clear()
      this.bitfields.clear()
      this.shares.clear()
      this.peers.clear()
      this.values.clear()
    })
    return this.closing
  }

  private enter(options: StateOptions): void {
    assertSignal(options.signal)
    if (this.closing !== undefined) throw StoreError.closed('the state store')
    throwIfAborted(options.signal, StoreError)
  }

  private stored(infohash: Uint8Array, options: StateOptions): StoredManifest | undefined {
    assertInfohash(infohash)
    this.enter(options)
    return this.manifests.get(toHex(infohash))
  }

  private bitfieldOf(infohash: Uint8Array): Bitfield {
    assertInfohash(infohash)
    if (this.closing !== undefined) throw StoreError.closed('the state store')
    const key = toHex(infohash)
    const bitfield = this.bitfields.get(key)
    if (bitfield === undefined) throw StoreError.unknownShare(key)
    return bitfield
  }

  private sortedShares(): ShareRow[] {
    return [...this.shares.values()].sort(compareShares)
  }

  private record(row: ShareRow): ShareRecord {
    const key = toHex(row.infohash)
    const stored = this.manifests.get(key)
    const verified = this.bitfields.get(key)?.count() ?? 0
    return shareRecord(
      row,
      stored && {
        totalLength: stored.manifest.totalLength,
        pieceCount: stored.manifest.pieceCount,
        verifiedPieces: verified,
      },
    )
  }

  private putPeer(peerId: Uint8Array, score: number, bannedUntil: number): PeerRecord {
    const key = toHex(peerId)
    const peer: PeerRecord = { peerId: peerId.slice(), score, bannedUntil, updatedAt: this.now() }
    this.peers.delete(key)
    this.peers.set(key, peer)
    if (this.peers.size > this.maxPeers) {
      const evict = [...this.peers.values()]
        .filter((candidate) => candidate !== peer)
        .sort((a, b) => a.updatedAt - b.updatedAt || compareBytes(a.peerId, b.peerId))
        .slice(0, this.peers.size - this.maxPeers)
      for (const old of evict) this.peers.delete(toHex(old.peerId))
    }
    return copyPeer(peer)
  }
}

function hit(row: ShareRow, fileIndex: number | undefined, path: readonly string[] | undefined): SearchHit {
  return { infohash: row.infohash.slice(), shareName: row.name, role: row.role, fileIndex, path }
}

function copyPeer(peer: PeerRecord): PeerRecord {
  return { ...peer, peerId: peer.peerId.slice() }
}
