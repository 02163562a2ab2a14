/**
 * Every swarm the tracker holds in memory, within three bounds: swarms in
 * all, peers in all, peers per swarm. Swarms without peers stay (for their
 * completed count) until room is needed; the oldest idle one goes first.
 * @module
 */
import { Swarm, type SwarmAnnounce, type SwarmChange } from './swarm.js'

/** The bounds of the table; `docs/limits.md` gives the defaults. */
export interface SwarmLimits {
  /** Most swarms in memory (with or without peers). */
  readonly maxSwarms: number
  /** Most peers in all swarms together. */
  readonly maxPeers: number
  /** Most peers in one swarm. */
  readonly maxPeersPerSwarm: number
  /** Most peer entries (in all swarms) of one address (an IPv4 address, or the /64 of an IPv6 one). */
  readonly maxPeersPerAddress: number
}

/** The address part a peer's entries are counted under: 4 bytes of IPv4, the /64 (8 bytes) of IPv6. */
function addressOf(peer: string): string {
  return peer.length === 6 ? peer.slice(0, 4) : peer.slice(0, 8)
}

/** A completed count to add to the storage's, for one swarm. */
export interface CompletedDelta {
  /** The swarm's infohash, one character per byte. */
  readonly key: string
  /** Downloads completed since the last flush. */
  readonly delta: number
}

/** All swarms in memory, and the peer counts across them. */
export class SwarmTable {
  private readonly swarms = new Map<string, Swarm>()
  /** Swarms without peers, in the order they became idle: the ones evicted when the table is full. */
  private readonly idle = new Set<string>()
  /** Swarms new to memory whose stored completed count is still to be read. */
  private readonly pendingLoads = new Set<string>()
  /** Swarms with completed downloads not yet flushed. */
  private readonly dirty = new Set<Swarm>()
  /** Peer entries of each address (see `addressOf`), for the per-address bound. */
  private readonly perAddress = new Map<string, number>()
  private readonly forget = (peer: string) => this.removed(peer)
  /**
   * Whether storage may hold counts of swarms that are not in memory (it
   * held more than were loaded at start, or idle swarms were evicted): then
   * a swarm new to memory has its stored count read in the next batch.
   */
  storageHasMore = false
  /** Peers in all swarms. */
  peers = 0
  /** Seeders in all swarms. */
  seeders = 0
  /** Leechers in all swarms. */
  leechers = 0

  /** @param limits - the bounds */
  constructor(readonly limits: SwarmLimits) {}

  /** Swarms in memory. */
  get size(): number {
    return this.swarms.size
  }

  /** Swarms with at least one peer. */
  get activeSize(): number {
    return this.swarms.size - this.idle.size
  }

  /** The swarm of `key`, if it is in memory. */
  get(key: string): Swarm | undefined {
    return this.swarms.get(key)
  }

  /** Every swarm in memory (for stats and tests). */
  values(): IterableIterator<Swarm> {
    return this.swarms.values()
  }

  /**
   * The swarm of `key`, created when it is not in memory and there is room
   * (an idle swarm whose count is flushed is evicted to make room).
   *
   * @param key - the infohash, one character per byte
   * @returns the swarm, or `undefined` when the table is full of swarms with peers
   */
  open(key: string): Swarm | undefined {
    const existing = this.swarms.get(key)
    if (existing !== undefined) return existing
    if (this.swarms.size >= this.limits.maxSwarms && !this.evictIdle()) return undefined
    const swarm = new Swarm(key)
    this.swarms.set(key, swarm)
    this.idle.add(key)
    if (this.storageHasMore) {
      swarm.loadPending = true
      this.pendingLoads.add(key)
    }
    return swarm
  }

  private evictIdle(): boolean {
    for (const key of this.idle) {
      const swarm = this.swarms.get(key) as Swarm
      if (swarm.unflushedCompleted > 0 || swarm.loadPending) continue
      this.idle.delete(key)
      this.swarms.delete(key)
      this.storageHasMore = true
      return true
    }
    return false
  }

  /**
   * Applies an announce to a swarm of this table, within the bounds.
   *
   * @param swarm - a swarm from {@link SwarmTable.open}
   * @param announce - the peer and what it says
   * @returns what changed
   */
  announce(swarm: Swarm, announce: SwarmAnnounce): SwarmChange {
    const seeders = swarm.seeders
    const leechers = swarm.leechers
    const address = announce.peer === undefined ? undefined : addressOf(announce.peer)
    const room =
      this.peers < this.limits.maxPeers &&
      swarm.size < this.limits.maxPeersPerSwarm &&
      (address === undefined || (this.perAddress.get(address) ?? 0) < this.limits.maxPeersPerAddress)
    const change = swarm.announce(announce, room)
    this.account(swarm, seeders, leechers)
    if (change.peers > 0 && address !== undefined) this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1)
    else if (change.peers < 0 && announce.peer !== undefined) this.removed(announce.peer)
    if (change.completed) this.dirty.add(swarm)
    return change
  }

  /** Counts a peer entry gone from its address's total. */
  private removed(peer: string): void {
    const address = addressOf(peer)
    const count = (this.perAddress.get(address) ?? 1) - 1
    if (count <= 0) this.perAddress.delete(address)
    else this.perAddress.set(address, count)
  }

  /** Peer entries of the address of a compact peer (for tests and stats). */
  entriesOf(peer: string): number {
    return this.perAddress.get(addressOf(peer)) ?? 0
  }

  /** Brings the totals and the idle set up to date after a swarm changed. */
  private account(swarm: Swarm, seeders: number, leechers: number): void {
    const before = seeders + leechers
    this.seeders += swarm.seeders - seeders
    this.leechers += swarm.leechers - leechers
    this.peers += swarm.size - before
    if (before === 0 && swarm.size > 0) this.idle.delete(swarm.key)
    else if (before > 0 && swarm.size === 0) this.idle.add(swarm.key)
  }

  /**
   * Removes every peer whose entry expired.
   *
   * @param now - seconds on the tracker's clock
   * @returns how many peers were removed
   */
  expire(now: number): number {
    let removed = 0
    for (const swarm of this.swarms.values()) {
      if (swarm.size === 0) continue
      const seeders = swarm.seeders
      const leechers = swarm.leechers
      removed += swarm.expire(now, this.forget)
      this.account(swarm, seeders, leechers)
    }
    return removed
  }

  /**
   * Adds stored completed counts at start, as idle swarms, while there is
   * room; what does not fit is read later, when its swarm is announced.
   *
   * @param stored - infohash (one character per byte) and completed count
   * @param total - how many swarms storage holds in all
   */
  restore(stored: Iterable<{ key: string; completed: number }>, total: number): void {
    let loaded = 0
    for (const { key, completed } of stored) {
      if (this.swarms.size >= this.limits.maxSwarms) break
      const swarm = this.swarms.get(key) ?? new Swarm(key)
      if (!this.swarms.has(key)) {
        this.swarms.set(key, swarm)
        this.idle.add(key)
      }
      swarm.completed += completed
      loaded++
    }
    if (loaded < total) this.storageHasMore = true
  }

  /**
   * Takes up to `max` swarms whose stored count is to be read.
   *
   * @param max - most keys to take
   * @returns their keys
   */
  takePendingLoads(max: number): string[] {
    const keys: string[] = []
    for (const key of this.pendingLoads) {
      if (keys.length >= max) break
      keys.push(key)
    }
    for (const key of keys) this.pendingLoads.delete(key)
    return keys
  }

  /**
   * Adds what storage holds for a swarm whose count was pending.
   *
   * @param key - the swarm's key
   * @param completed - the stored count (0 when storage does not know the swarm)
   */
  applyLoaded(key: string, completed: number): void {
    const swarm = this.swarms.get(key)
    if (swarm === undefined || !swarm.loadPending) return
    swarm.completed += completed
    swarm.loadPending = false
  }

  /**
   * Puts keys back whose stored counts could not be read.
   *
   * @param keys - keys from {@link SwarmTable.takePendingLoads}
   */
  returnPendingLoads(keys: readonly string[]): void {
    for (const key of keys) if (this.swarms.get(key)?.loadPending === true) this.pendingLoads.add(key)
  }

  /**
   * Takes the completed counts not yet flushed (of swarms whose stored
   * count is known: the others wait for it, so nothing is counted twice).
   *
   * @returns one delta per swarm
   */
  takeCompleted(): CompletedDelta[] {
    const deltas: CompletedDelta[] = []
    for (const swarm of this.dirty) {
      if (swarm.loadPending) continue
      deltas.push({ key: swarm.key, delta: swarm.unflushedCompleted })
      swarm.unflushedCompleted = 0
      this.dirty.delete(swarm)
    }
    return deltas
  }

  /**
   * Puts back deltas a flush failed to write.
   *
   * @param deltas - from {@link SwarmTable.takeCompleted}
   */
  returnCompleted(deltas: readonly CompletedDelta[]): void {
    for (const { key, delta } of deltas) {
      const swarm = this.swarms.get(key) ?? this.reopen(key)
      swarm.unflushedCompleted += delta
      this.dirty.add(swarm)
    }
  }

  /** A swarm evicted while its flush was under way comes back, to keep its count. */
  private reopen(key: string): Swarm {
    const swarm = new Swarm(key)
    swarm.loadPending = true
    this.swarms.set(key, swarm)
    this.idle.add(key)
    this.pendingLoads.add(key)
    return swarm
  }
}
