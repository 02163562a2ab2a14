/**
 * Classic ratio accounting for stock clients: the `uploaded` and
 * `downloaded` counters of each announce made with a user's passkey, and
 * the time the user's clients seed. These are what the clients say
 * (self-reported, shown as such): a client can lie about them, which is why
 * credits come from receipts instead ({@link ReceiptBook}). Increases are
 * kept in memory and written in batches with the tracker's other counts,
 * never one write per announce. The ledger also remembers when each user
 * last announced each infohash: a receipt counts only if both its peers
 * announced the share within the window.
 * @module
 */
import type { AnnounceRequest } from '@mycel/wire'
import type { PeerRanker } from '../core/access.js'
import { keyOf } from '../core/registry.js'
import type { SqlDatabase } from '../storage/sql.js'

/** Peer entries (user, infohash, peer id) remembered at most; beyond, the oldest are forgotten. */
export const LEDGER_MAX_PEERS = 2_000_000

interface PeerCounters {
  uploaded: number
  downloaded: number
  /** Seconds since 1970 of its last announce. */
  at: number
  seeder: boolean
}

interface Pending {
  uploaded: number
  downloaded: number
  seeding: number
}

/**
 * Per-user counters from announces, who announced what when, and which
 * account each listed peer belongs to: as a {@link PeerRanker} it scores a
 * peer by its account's reputation (read at each flush).
 */
export class Ledger implements PeerRanker {
  private readonly peers = new Map<string, PeerCounters>()
  /** The account of each peer (its compact form), and when it last announced. */
  private readonly peerUsers = new Map<string, { userId: number; at: number }>()
  /** Reputation of the accounts with listed peers, as of the last flush. */
  private reputations = new Map<number, number>()
  private readonly lastAnnounce = new Map<string, number>()
  private pending = new Map<number, Pending>()

  /**
   * @param sql - the tracker's database
   * @param windowSeconds - how long an announce counts (the peers' lifetime: `interval` times the TTL factor)
   * @param nowSeconds - the clock
   */
  constructor(
    private readonly sql: SqlDatabase,
    readonly windowSeconds: number,
    private readonly nowSeconds: () => number,
  ) {}

  /**
   * Counts a served announce of a user.
   *
   * @param userId - whose passkey it carried
   * @param request - the announce
   * @param addressKey - where it came from (part of the peer's identity: one peer id from two addresses is two peers)
   * @param peer - the peer's compact form as the tracker lists it, when it is listed (port not 0)
   */
  announced(userId: number, request: AnnounceRequest, addressKey: string, peer?: string): void {
    const now = this.nowSeconds()
    const infohash = keyOf(request.infohash)
    const key = `${userId}|${infohash}|${keyOf(request.peerId)}|${addressKey}`
    const last = this.peers.get(key)
    // Counters restart at 0 when a client restarts: a counter below the last one counts from 0.
    const uploaded = last === undefined ? 0 : delta(request.uploaded, last.uploaded)
    const downloaded = last === undefined ? 0 : delta(request.downloaded, last.downloaded)
    const seeding = last?.seeder === true ? Math.max(0, Math.min(now - last.at, this.windowSeconds)) : 0
    if (uploaded + downloaded + seeding > 0) {
      const pending = this.pending.get(userId) ?? { uploaded: 0, downloaded: 0, seeding: 0 }
      pending.uploaded += uploaded
      pending.downloaded += downloaded
      pending.seeding += seeding
      this.pending.set(userId, pending)
    }
    if (request.event === 'stopped') {
      this.peers.delete(key)
    } else {
      if (last === undefined && this.peers.size >= LEDGER_MAX_PEERS) this.prune(now, true)
      this.peers.delete(key)
      this.peers.set(key, {
        uploaded: request.uploaded,
        downloaded: request.downloaded,
        at: now,
        seeder: request.left === 0,
      })
    }
    if (peer !== undefined) {
      if (request.event === 'stopped') {
        this.peerUsers.delete(peer)
      } else {
        this.peerUsers.delete(peer)
        this.peerUsers.set(peer, { userId, at: now })
      }
    }
    const userKey = `${userId}|${infohash}`
    this.lastAnnounce.delete(userKey)
    this.lastAnnounce.set(userKey, now)
  }

  /**
   * Whether a user announced one of some infohashes within the window.
   *
   * @param userId - the user
   * @param infohashes - the share's 20-byte keys (its truncated v2 infohash, discovery key, v1 infohash)
   * @returns true when one was announced within the window
   */
  announcedWithin(userId: number, infohashes: readonly Uint8Array[]): boolean {
    const since = this.nowSeconds() - this.windowSeconds
    return infohashes.some((infohash) => (this.lastAnnounce.get(`${userId}|${keyOf(infohash)}`) ?? -1) >= since)
  }

  /** Forgets what is older than the window (or, when `hard`, the oldest tenth too). */
  private prune(now: number, hard = false): void {
    const since = now - this.windowSeconds
    for (const [key, peer] of this.peers) if (peer.at < since) this.peers.delete(key)
    for (const [key, at] of this.lastAnnounce) if (at < since) this.lastAnnounce.delete(key)
    for (const [key, { at }] of this.peerUsers) if (at < since) this.peerUsers.delete(key)
    if (hard) {
      for (const map of [this.peers, this.peerUsers] as Array<Map<string, unknown>>) {
        if (map.size < LEDGER_MAX_PEERS) continue
        let drop = Math.ceil(LEDGER_MAX_PEERS / 10)
        for (const key of map.keys()) {
          if (drop-- <= 0) break
          map.delete(key)
        }
      }
    }
  }

  score(peer: string): number {
    const owner = this.peerUsers.get(peer)
    return owner === undefined ? 0 : (this.reputations.get(owner.userId) ?? 0)
  }

  /** Reads the reputation of the accounts that have listed peers. */
  private async readReputations(): Promise<void> {
    const ids = [...new Set([...this.peerUsers.values()].map((owner) => owner.userId))]
    const reputations = new Map<number, number>()
    for (let at = 0; at < ids.length; at += 500) {
      const chunk = ids.slice(at, at + 500)
      const rows = await this.sql.all<{ id: number; reputation: number }>(
        `SELECT id, reputation FROM tracker_users WHERE id IN (${chunk.map((_, i) => `$${i + 1}`).join(', ')})`,
        chunk,
      )
      for (const row of rows) reputations.set(Number(row.id), Number(row.reputation))
    }
    this.reputations = reputations
  }

  /**
   * Writes the increases counted since the last call, in one transaction
   * (kept for the next call when the write fails), and recomputes the
   * reputation of the users concerned.
   */
  async flush(): Promise<void> {
    this.prune(this.nowSeconds())
    if (this.pending.size === 0) return this.readReputations()
    const batch = this.pending
    this.pending = new Map()
    try {
      await this.sql.transaction(async (tx) => {
        for (const [userId, { uploaded, downloaded, seeding }] of [...batch].sort((a, b) => a[0] - b[0])) {
          await tx.run(
            `UPDATE tracker_users SET uploaded = uploaded + $1, downloaded = downloaded + $2, seeding_seconds = seeding_seconds + $3, reputation = ${REPUTATION_SQL.replace('seeding_seconds', '(seeding_seconds + $3)')} WHERE id = $4`,
            [uploaded, downloaded, seeding, userId],
          )
        }
      })
    } catch (err) {
      for (const [userId, counts] of batch) {
        const now = this.pending.get(userId) ?? { uploaded: 0, downloaded: 0, seeding: 0 }
        this.pending.set(userId, {
          uploaded: now.uploaded + counts.uploaded,
          downloaded: now.downloaded + counts.downloaded,
          seeding: now.seeding + counts.seeding,
        })
      }
      throw err
    }
    await this.readReputations()
  }
}

function delta(now: number, last: number): number {
  return now >= last ? now - last : now
}

/** Bytes of verified upload worth one reputation point. */
export const REPUTATION_BYTES = 1024 * 1024 * 1024
/** Seconds of seeding worth one reputation point. */
export const REPUTATION_SEEDING_SECONDS = 3600

/**
 * Reputation, from the user's row: 10 points per GiB others' receipts say
 * they received from the user and verified, 1 point per hour of seeding,
 * minus the penalty of reports (corrupt data, failed transfers).
 */
export const REPUTATION_SQL = `(10 * (verified_uploaded / ${REPUTATION_BYTES}) + seeding_seconds / ${REPUTATION_SEEDING_SECONDS} - penalty)`
