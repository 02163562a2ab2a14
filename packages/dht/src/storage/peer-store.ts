import type { PeerAddress } from '../address.js'
import { idFromHex, idToHex } from '../id.js'

/** Bounds of a {@link PeerStore}. @internal */
export interface PeerStoreLimits {
  readonly maxPeerKeys: number
  readonly maxPeersPerKey: number
  readonly maxPeers: number
  readonly peerTtl: number
}

/** Outcome of {@link PeerStore.add}. @internal */
export type PeerStoreResult = 'stored' | 'refreshed' | 'full'

interface StoredPeer {
  readonly peer: PeerAddress
  expiresAt: number
}

/**
 * Peers announced to us with `announce_peer`, per infohash (or discovery
 * key). Bounded three ways: keys, peers per key (the least recently
 * announced peer of a full key makes room for a new one) and peers in total
 * (a new key or peer is refused when it is reached). A peer expires `peerTtl`
 * after its last announce.
 * @internal
 */
export class PeerStore {
  private readonly keys = new Map<string, Map<string, StoredPeer>>()
  private total = 0
  private sampled: { keys: Uint8Array[]; until: number } | undefined

  constructor(private readonly limits: PeerStoreLimits) {}

  /** Number of keys with peers. */
  get keyCount(): number {
    return this.keys.size
  }

  /** Number of peers stored. */
  get peerCount(): number {
    return this.total
  }

  /** Stores or refreshes `peer` under `key`. */
  add(key: Uint8Array, peer: PeerAddress, now: number): PeerStoreResult {
    const hex = idToHex(key)
    let peers = this.keys.get(hex)
    if (peers !== undefined) this.expire(hex, peers, now)
    peers = this.keys.get(hex)
    const address = `${peer.host}|${peer.port}`
    const existing = peers?.get(address)
    if (peers !== undefined && existing !== undefined) {
      peers.delete(address)
      existing.expiresAt = now + this.limits.peerTtl
      peers.set(address, existing)
      return 'refreshed'
    }
    if (peers === undefined) {
      if (this.keys.size >= this.limits.maxPeerKeys || this.total >= this.limits.maxPeers) return 'full'
      peers = new Map()
      this.keys.set(hex, peers)
    } else if (peers.size >= this.limits.maxPeersPerKey) {
      const oldest = peers.keys().next().value as string
      peers.delete(oldest)
      this.total--
    } else if (this.total >= this.limits.maxPeers) {
      return 'full'
    }
    peers.set(address, { peer: { host: peer.host, port: peer.port }, expiresAt: now + this.limits.peerTtl })
    this.total++
    return 'stored'
  }

  /** Up to `max` live peers of `key`, most recently announced first. */
  get(key: Uint8Array, now: number, max: number): PeerAddress[] {
    const hex = idToHex(key)
    const peers = this.keys.get(hex)
    if (peers === undefined) return []
    this.expire(hex, peers, now)
    const all = [...peers.values()]
    const out: PeerAddress[] = []
    for (let i = all.length - 1; i >= 0 && out.length < max; i--) out.push((all[i] as StoredPeer).peer)
    return out
  }

  /**
   * Up to `max` keys drawn at random from those with live peers (BEP 51).
   * The same sample is returned until `reuseFor` ms have passed, so that
   * answering crawlers costs one pass over the keys per interval.
   *
   * @param random - uniform in [0, 1); tests pass their own
   */
  sample(now: number, max: number, reuseFor: number, random: () => number = Math.random): Uint8Array[] {
    if (this.sampled !== undefined && now < this.sampled.until) return this.sampled.keys
    this.sweep(now)
    // Reservoir sampling: every key has the same chance, in one pass.
    const chosen: string[] = []
    let seen = 0
    for (const hex of this.keys.keys()) {
      seen++
      if (chosen.length < max) chosen.push(hex)
      else {
        const slot = Math.floor(random() * seen)
        if (slot < max) chosen[slot] = hex
      }
    }
    const keys = chosen.map(idFromHex)
    this.sampled = { keys, until: now + reuseFor }
    return keys
  }

  /** Drops every expired peer. */
  sweep(now: number): void {
    for (const [hex, peers] of this.keys) this.expire(hex, peers, now)
  }

  private expire(hex: string, peers: Map<string, StoredPeer>, now: number): void {
    // Peers are kept in announce order and share one lifetime, so the expired ones come first.
    for (const [address, stored] of peers) {
      if (stored.expiresAt > now) break
      peers.delete(address)
      this.total--
    }
    if (peers.size === 0) this.keys.delete(hex)
  }
}
