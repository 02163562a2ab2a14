/**
 * One swarm: the peers announced under one infohash, kept compact (a peer is
 * its 6- or 18-byte compact address as a string, and an expiry time in two
 * parallel arrays), and the number of downloads completed in it.
 * @module
 */

/** What one announce asks of a swarm. */
export interface SwarmAnnounce {
  /** The peer's compact address (see `compactKey`), or `undefined` when it accepts no connections (port 0). */
  readonly peer: string | undefined
  /** Whether it has everything (`left` = 0). */
  readonly seeder: boolean
  /** Whether it leaves (`event=stopped`). */
  readonly stopped: boolean
  /** When its entry expires, in seconds on the tracker's clock. */
  readonly expiresAt: number
}

/** What an announce changed. */
export interface SwarmChange {
  /** +1 for a peer added, -1 for one removed, 0 otherwise. */
  readonly peers: number
  /** Whether a known leecher became a seeder (or left with nothing left): one more completed download. */
  readonly completed: boolean
  /** Whether the peer was new but not added because a bound was reached. */
  readonly full: boolean
}

const NO_CHANGE: SwarmChange = { peers: 0, completed: false, full: false }

/**
 * The peers of a swarm, in two dense arrays (seeders, leechers) so that a
 * random run of them is picked in O(numwant), and a map from compact address
 * to slot (leecher `i` is `i`, seeder `i` is `-i - 1`).
 */
class PeerLists {
  readonly slots = new Map<string, number>()
  readonly seeders: string[] = []
  readonly seederExpiry: number[] = []
  readonly leechers: string[] = []
  readonly leecherExpiry: number[] = []

  add(peer: string, seeder: boolean, expiresAt: number): void {
    if (seeder) {
      this.slots.set(peer, -this.seeders.length - 1)
      this.seeders.push(peer)
      this.seederExpiry.push(expiresAt)
    } else {
      this.slots.set(peer, this.leechers.length)
      this.leechers.push(peer)
      this.leecherExpiry.push(expiresAt)
    }
  }

  /** Removes the peer in `slot`, moving the last one of its list into its place. */
  remove(peer: string, slot: number): void {
    this.slots.delete(peer)
    const seeder = slot < 0
    const list = seeder ? this.seeders : this.leechers
    const expiry = seeder ? this.seederExpiry : this.leecherExpiry
    const index = seeder ? -slot - 1 : slot
    const last = list.length - 1
    if (index !== last) {
      const moved = list[last] as string
      list[index] = moved
      expiry[index] = expiry[last] as number
      this.slots.set(moved, seeder ? -index - 1 : index)
    }
    list.pop()
    expiry.pop()
  }

  /** Removes the entries of one list that expired before `now`; returns how many. */
  expire(seeder: boolean, now: number, onRemove: (peer: string) => void): number {
    const list = seeder ? this.seeders : this.leechers
    const expiry = seeder ? this.seederExpiry : this.leecherExpiry
    let removed = 0
    // Backwards, so that the entry moved into a freed slot was checked already.
    for (let i = list.length - 1; i >= 0; i--) {
      if ((expiry[i] as number) >= now) continue
      const peer = list[i] as string
      this.remove(peer, seeder ? -i - 1 : i)
      onRemove(peer)
      removed++
    }
    return removed
  }
}

/** One swarm, keyed by its 20-byte infohash (one character per byte). */
export class Swarm {
  /** Completed downloads: the stored count plus those counted since. */
  completed = 0
  /** Completed downloads counted since the last flush to storage. */
  unflushedCompleted = 0
  /** Whether the stored count is still to be read (a swarm new to memory, when storage may know it). */
  loadPending = false
  private lists: PeerLists | undefined

  /** @param key - the infohash, one character per byte */
  constructor(readonly key: string) {}

  /** Seeders in the swarm. */
  get seeders(): number {
    return this.lists?.seeders.length ?? 0
  }

  /** Leechers in the swarm. */
  get leechers(): number {
    return this.lists?.leechers.length ?? 0
  }

  /** Peers in the swarm. */
  get size(): number {
    return this.seeders + this.leechers
  }

  /** Whether the peer is in the swarm. */
  has(peer: string): boolean {
    return this.lists?.slots.has(peer) ?? false
  }

  /**
   * Applies an announce: adds, refreshes, moves (leecher to seeder) or
   * removes the peer.
   *
   * @param announce - the peer and what it says
   * @param room - whether a new peer may be added (the bounds of the swarm and of the tracker)
   * @returns what changed
   */
  announce(announce: SwarmAnnounce, room: boolean): SwarmChange {
    const { peer } = announce
    if (peer === undefined) return NO_CHANGE
    const slot = this.lists?.slots.get(peer)
    if (announce.stopped) {
      if (slot === undefined) return NO_CHANGE
      const lists = this.lists as PeerLists
      lists.remove(peer, slot)
      if (lists.slots.size === 0) this.lists = undefined
      // A leecher that leaves with nothing left to download finished it (clients that stop
      // right after completing, such as aria2 with --seed-time=0, send no `completed`).
      const completed = slot >= 0 && announce.seeder
      if (completed) this.countCompleted()
      return { peers: -1, completed, full: false }
    }
    if (slot === undefined) {
      if (!room) return { peers: 0, completed: false, full: true }
      this.lists ??= new PeerLists()
      this.lists.add(peer, announce.seeder, announce.expiresAt)
      return { peers: 1, completed: false, full: false }
    }
    const lists = this.lists as PeerLists
    const wasSeeder = slot < 0
    if (wasSeeder === announce.seeder) {
      if (wasSeeder) lists.seederExpiry[-slot - 1] = announce.expiresAt
      else lists.leecherExpiry[slot] = announce.expiresAt
      return NO_CHANGE
    }
    lists.remove(peer, slot)
    lists.add(peer, announce.seeder, announce.expiresAt)
    if (!announce.seeder) return NO_CHANGE
    this.countCompleted()
    return { peers: 0, completed: true, full: false }
  }

  private countCompleted(): void {
    this.completed++
    this.unflushedCompleted++
  }

  /**
   * Picks up to `numwant` peers for a requester: a run of consecutive
   * entries from a random start (seeders then leechers; only leechers for a
   * seeder, which has no use for other seeders), the requester left out.
   *
   * @param requester - the requester's compact address, if it has one
   * @param seeder - whether the requester is a seeder
   * @param numwant - most peers to give
   * @param family - only peers of this family (UDP answers carry one), or both
   * @returns the compact addresses, IPv4 and IPv6 apart
   */
  select(
    requester: string | undefined,
    seeder: boolean,
    numwant: number,
    family: 4 | 6 | undefined,
  ): { peers4: string; peers6: string } {
    const lists = this.lists
    let peers4 = ''
    let peers6 = ''
    if (lists === undefined || numwant <= 0) return { peers4, peers6 }
    const seeders = seeder ? 0 : lists.seeders.length
    const total = seeders + lists.leechers.length
    if (total === 0) return { peers4, peers6 }
    // Entries of the other family are skipped; the walk is bounded all the same.
    const steps = Math.min(total, numwant * 4 + 16)
    const start = Math.floor(Math.random() * total)
    let given = 0
    for (let i = 0; i < steps && given < numwant; i++) {
      const index = (start + i) % total
      const peer = (index < seeders ? lists.seeders[index] : lists.leechers[index - seeders]) as string
      if (peer === requester) continue
      if (peer.length === 6) {
        if (family === 6) continue
        peers4 += peer
      } else {
        if (family === 4) continue
        peers6 += peer
      }
      given++
    }
    return { peers4, peers6 }
  }

  /**
   * Removes the peers whose entries expired.
   *
   * @param now - seconds on the tracker's clock
   * @param onRemove - called with each peer removed
   * @returns how many were removed
   */
  expire(now: number, onRemove: (peer: string) => void): number {
    const lists = this.lists
    if (lists === undefined) return 0
    const removed = lists.expire(true, now, onRemove) + lists.expire(false, now, onRemove)
    if (lists.slots.size === 0) this.lists = undefined
    return removed
  }
}
