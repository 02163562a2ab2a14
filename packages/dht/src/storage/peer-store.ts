import type { PeerAddress } from '../address.js'
import { idFromHex, idToHex } from '../id.js'
import { addressPrefix } from '../ip.js'
import { Tally } from './tally.js'

/** Bounds of a {@link PeerStore}. @internal */
export interface PeerStoreLimits {
  readonly maxPeerKeys: number
  readonly maxPeersPerKey: number
  readonly maxPeersPerIpPerKey: number
  readonly maxPeersPerPrefixPerKey: number
  readonly maxPeers: number
  readonly maxPeersPerIp: number
  readonly maxPeersPerPrefix: number
  readonly peerTtl: number
}

/**
 * Outcome of {@link PeerStore.add}: `full` when a new key or a peer past
 * `maxPeers` is refused, `address-full` when the announcing IP address or its
 * network already has its share of the whole store.
 * @internal
 */
export type PeerStoreResult = 'stored' | 'refreshed' | 'full' | 'address-full'

interface StoredPeer {
  readonly peer: PeerAddress
  /** The IP address (`peer.host`) and its /24 or /48. */
  readonly prefix: string
  expiresAt: number
}

/** The peers of one key, in announce order (least recent first), with counts per address and network. */
interface KeyPeers {
  readonly peers: Map<string, StoredPeer>
  readonly ips: Tally
  readonly prefixes: Tally
}

/**
 * Peers announced to us with `announce_peer`, per infohash (or discovery
 * key). Bounded by keys, peers per key and peers in total, and per source:
 * per IP address and per network (/24, /48) under one key and in the whole
 * store. Under one key, a peer over its address's or network's share, or
 * arriving when the key is full, takes the place of the least recently
 * announced peer of the most represented network (and within it, address):
 * one crowd can displace only itself, never a peer alone in its network
 * (when every network of a full key has one peer, a newcomer from another
 * network is refused). In the whole store, a new peer from an address or
 * network over its share is refused. A peer expires `peerTtl` after its last
 * announce; expired peers still count in the shares of the whole store until
 * they are read or swept (the node sweeps every minute).
 * @internal
 */
export class PeerStore {
  private readonly keys = new Map<string, KeyPeers>()
  private readonly ips = new Tally()
  private readonly prefixes = new Tally()
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
    const found = this.keys.get(hex)
    if (found !== undefined) this.expire(hex, found, now)
    let entry = this.keys.get(hex)
    const address = `${peer.host}|${peer.port}`
    const existing = entry?.peers.get(address)
    if (entry !== undefined && existing !== undefined) {
      entry.peers.delete(address)
      existing.expiresAt = now + this.limits.peerTtl
      entry.peers.set(address, existing)
      return 'refreshed'
    }
    const ip = peer.host
    const prefix = addressPrefix(ip)
    const victim = entry === undefined ? undefined : this.victim(entry, ip, prefix)
    // Taking the place of a peer from the same address (network) leaves its share unchanged.
    if (victim?.peer.host !== ip && this.ips.get(ip) >= this.limits.maxPeersPerIp) return 'address-full'
    if (victim?.prefix !== prefix && this.prefixes.get(prefix) >= this.limits.maxPeersPerPrefix) return 'address-full'
    if (victim === undefined && (this.total >= this.limits.maxPeers || this.isFull(entry))) return 'full'
    if (entry === undefined) {
      if (this.keys.size >= this.limits.maxPeerKeys) return 'full'
      entry = { peers: new Map(), ips: new Tally(), prefixes: new Tally() }
      this.keys.set(hex, entry)
    }
    if (victim !== undefined) this.remove(entry, victim)
    const stored: StoredPeer = { peer: { host: ip, port: peer.port }, prefix, expiresAt: now + this.limits.peerTtl }
    entry.peers.set(address, stored)
    entry.ips.add(ip)
    entry.prefixes.add(prefix)
    this.ips.add(ip)
    this.prefixes.add(prefix)
    this.total++
    return 'stored'
  }

  /**
   * Up to `max` live peers of `key`, spread over networks: one peer of each
   * network (/24, /48) in turn, most recently announced first within each, the
   * networks in the order of their latest announce. So an answer holds every
   * network of the key before a second peer of any, and one crowded network
   * cannot fill it while others have peers.
   */
  get(key: Uint8Array, now: number, max: number): PeerAddress[] {
    const hex = idToHex(key)
    const entry = this.keys.get(hex)
    if (entry === undefined) return []
    this.expire(hex, entry, now)
    const byPrefix = new Map<string, PeerAddress[]>()
    const all = [...entry.peers.values()]
    for (let i = all.length - 1; i >= 0; i--) {
      const stored = all[i] as StoredPeer
      const group = byPrefix.get(stored.prefix)
      if (group === undefined) byPrefix.set(stored.prefix, [stored.peer])
      else group.push(stored.peer)
    }
    const groups = [...byPrefix.values()]
    const out: PeerAddress[] = []
    for (let round = 0; out.length < max && out.length < all.length; round++) {
      for (const group of groups) {
        const peer = group[round]
        if (peer === undefined) continue
        out.push(peer)
        if (out.length === max) break
      }
    }
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
    for (const [hex, entry] of this.keys) this.expire(hex, entry, now)
  }

  /**
   * The peer a newcomer from `ip` in `prefix` replaces under a key, if the key
   * has no room for it: the least recently announced peer of the newcomer's
   * address when that address has its share of the key; else of the most
   * represented address of the newcomer's network when the network has its
   * share; else, when the key is full, of the most represented address of
   * the most represented network. The newcomer counts in those tallies, so
   * a newcomer from the largest group replaces one of its own.
   */
  private victim(entry: KeyPeers, ip: string, prefix: string): StoredPeer | undefined {
    const { limits } = this
    if (entry.ips.get(ip) >= limits.maxPeersPerIpPerKey) return this.oldest(entry, (stored) => stored.peer.host === ip)
    if (entry.prefixes.get(prefix) >= limits.maxPeersPerPrefixPerKey) return this.fromLargestAddress(entry, prefix, ip)
    if (entry.peers.size < limits.maxPeersPerKey) return undefined
    const largest = entry.prefixes.largest(prefix)
    // Every network of the key has one peer and the newcomer's none: no one gives way (a peer alone
    // in its network is never pushed out), the newcomer is refused.
    if (largest <= 1) return undefined
    // Among networks of that size, the one whose peer was announced least recently gives way.
    const first = this.oldest(
      entry,
      (stored) => entry.prefixes.get(stored.prefix) + (stored.prefix === prefix ? 1 : 0) === largest,
    )
    return first === undefined ? undefined : this.fromLargestAddress(entry, first.prefix, ip)
  }

  /** The least recently announced peer of the most represented address in `prefix` (the newcomer's `ip` counted). */
  private fromLargestAddress(entry: KeyPeers, prefix: string, ip: string): StoredPeer | undefined {
    let largest = 0
    for (const stored of entry.peers.values()) {
      if (stored.prefix !== prefix) continue
      const count = entry.ips.get(stored.peer.host) + (stored.peer.host === ip ? 1 : 0)
      if (count > largest) largest = count
    }
    return this.oldest(
      entry,
      (stored) =>
        stored.prefix === prefix && entry.ips.get(stored.peer.host) + (stored.peer.host === ip ? 1 : 0) === largest,
    )
  }

  /** Whether a key's peers fill it (`maxPeersPerKey`). */
  private isFull(entry: KeyPeers | undefined): boolean {
    return entry !== undefined && entry.peers.size >= this.limits.maxPeersPerKey
  }

  private oldest(entry: KeyPeers, matches: (stored: StoredPeer) => boolean): StoredPeer | undefined {
    for (const stored of entry.peers.values()) if (matches(stored)) return stored
    return undefined
  }

  private remove(entry: KeyPeers, stored: StoredPeer): void {
    entry.peers.delete(`${stored.peer.host}|${stored.peer.port}`)
    entry.ips.remove(stored.peer.host)
    entry.prefixes.remove(stored.prefix)
    this.ips.remove(stored.peer.host)
    this.prefixes.remove(stored.prefix)
    this.total--
  }

  private expire(hex: string, entry: KeyPeers, now: number): void {
    // Peers are kept in announce order and share one lifetime, so the expired ones come first.
    for (const stored of entry.peers.values()) {
      if (stored.expiresAt > now) break
      this.remove(entry, stored)
    }
    if (entry.peers.size === 0) this.keys.delete(hex)
  }
}
