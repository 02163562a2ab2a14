import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../src/index.js'
import { ItemStore } from '../src/storage/item-store.js'
import { PeerStore } from '../src/storage/peer-store.js'
import { TOKEN_LENGTH, TokenIssuer } from '../src/storage/tokens.js'
import { prng } from './prng.js'

const MINUTE = 60_000
const key = (n: number) => new Uint8Array(20).fill(n)
const peer = (n: number) => ({ host: `10.0.${n >> 8}.${n & 255}`, port: 6881 })

describe('write tokens', () => {
  it('are bound to the IP address they were given to', () => {
    const tokens = new TokenIssuer()
    const token = tokens.issue('10.0.0.1')
    expect(token.length).toBe(TOKEN_LENGTH)
    expect(tokens.verify('10.0.0.1', token)).toBe(true)
    expect(tokens.verify('10.0.0.2', token)).toBe(false)
    expect(tokens.verify('10.0.0.1', token.subarray(1))).toBe(false)
    expect(tokens.verify('10.0.0.1', new Uint8Array(TOKEN_LENGTH))).toBe(false)
  })

  it('survive one rotation of the secret and not two', () => {
    const tokens = new TokenIssuer()
    const token = tokens.issue('10.0.0.1')
    tokens.rotate()
    expect(tokens.verify('10.0.0.1', token)).toBe(true)
    expect(tokens.issue('10.0.0.1')).not.toEqual(token)
    tokens.rotate()
    expect(tokens.verify('10.0.0.1', token)).toBe(false)
  })
})

describe('peer store limits', () => {
  const limits = { ...DEFAULT_LIMITS, maxPeerKeys: 3, maxPeersPerKey: 4, maxPeers: 10, peerTtl: 30 * MINUTE }

  it('keeps at most maxPeersPerKey per key, dropping the least recently announced', () => {
    const store = new PeerStore(limits)
    for (let i = 1; i <= 4; i++) expect(store.add(key(1), peer(i), i)).toBe('stored')
    expect(store.add(key(1), peer(1), 5)).toBe('refreshed') // peer 1 is now the most recent
    expect(store.add(key(1), peer(5), 6)).toBe('stored') // evicts peer 2, the least recent
    const hosts = store.get(key(1), 7, 100).map((p) => p.host)
    expect(hosts).toEqual([peer(5).host, peer(1).host, peer(4).host, peer(3).host])
    expect(store.peerCount).toBe(4)
    expect(store.get(key(1), 7, 2).length).toBe(2)
  })

  it('refuses new keys past maxPeerKeys and new peers past maxPeers', () => {
    const store = new PeerStore(limits)
    for (let k = 1; k <= 3; k++) expect(store.add(key(k), peer(k), 0)).toBe('stored')
    expect(store.add(key(4), peer(4), 0)).toBe('full')
    expect(store.keyCount).toBe(3)
    for (let i = 10; i < 17; i++) expect(store.add(key(1 + (i % 3)), peer(i), 0)).toBe('stored')
    expect(store.peerCount).toBe(10)
    expect(store.add(key(1), peer(100), 0)).toBe('full')
    expect(store.add(key(2), peer(2), 0)).toBe('refreshed')
  })

  it('expires peers 30 minutes after their last announce', () => {
    const store = new PeerStore(limits)
    store.add(key(1), peer(1), 0)
    store.add(key(1), peer(2), 10 * MINUTE)
    expect(store.get(key(1), 29 * MINUTE, 10).length).toBe(2)
    expect(store.get(key(1), 30 * MINUTE, 10).map((p) => p.host)).toEqual([peer(2).host])
    store.add(key(1), peer(2), 35 * MINUTE) // re-announced: lives on
    store.sweep(60 * MINUTE)
    expect(store.peerCount).toBe(1)
    store.sweep(65 * MINUTE)
    expect(store.peerCount).toBe(0)
    expect(store.keyCount).toBe(0)
  })
})

describe('peer store bounds per address and network', () => {
  const limits = { ...DEFAULT_LIMITS, peerTtl: 30 * MINUTE }
  const at = (host: string, port = 6881) => ({ host, port })
  const hostsOf = (store: PeerStore, k: Uint8Array, now = 0) =>
    store.get(k, now, 1000).map((p) => `${p.host}:${p.port}`)

  it('keeps maxPeersPerIpPerKey ports of one IP under a key, its own least recent making room', () => {
    const store = new PeerStore(limits)
    expect(store.add(key(1), at('192.0.2.1'), 0)).toBe('stored')
    for (let port = 1; port <= 20; port++) expect(store.add(key(1), at('198.51.100.7', port), port)).toBe('stored')
    const kept = hostsOf(store, key(1)).filter((p) => p.startsWith('198.51.100.7:'))
    expect(kept.length).toBe(limits.maxPeersPerIpPerKey)
    expect(kept.map((p) => Number(p.split(':')[1])).sort((a, b) => a - b)).toEqual([13, 14, 15, 16, 17, 18, 19, 20])
    expect(hostsOf(store, key(1))).toContain('192.0.2.1:6881')
    expect(store.add(key(2), at('198.51.100.7', 1), 30)).toBe('stored') // another key has its own share
  })

  it('keeps maxPeersPerPrefixPerKey peers of one /24 under a key, taken from its most represented address', () => {
    const store = new PeerStore(limits)
    // 198.51.100.1 announces 8 ports, then 30 more addresses of the /24 announce once each.
    for (let port = 1; port <= 8; port++) store.add(key(1), at('198.51.100.1', port), port)
    for (let host = 2; host <= 31; host++) store.add(key(1), at(`198.51.100.${host}`), 100 + host)
    const peers = hostsOf(store, key(1))
    expect(peers.length).toBe(limits.maxPeersPerPrefixPerKey)
    // The crowded address gave way first, down to one peer; then the least recent of the one-peer addresses.
    expect(peers.filter((p) => p.startsWith('198.51.100.1:')).length).toBeLessThanOrEqual(1)
    expect(peers).toContain('198.51.100.31:6881')
  })

  it('a full key takes from its most represented network: a peer alone in its network stays', () => {
    const small = { ...limits, maxPeersPerKey: 20 }
    const store = new PeerStore(small)
    store.add(key(1), at('192.0.2.1'), 0) // the seeder, alone in its /24, announced first
    for (let n = 0; n < 4; n++) store.add(key(1), at(`203.0.113.${n}`), 1 + n) // another network, 4 peers
    // 300 announces from 60 networks, 5 addresses each, all after the seeder.
    const results = new Set<string>()
    for (let n = 0; n < 300; n++) results.add(store.add(key(1), at(`10.${n % 60}.0.${Math.floor(n / 60)}`), 10 + n))
    const peers = hostsOf(store, key(1))
    expect(peers.length).toBe(20)
    expect(peers).toContain('192.0.2.1:6881')
    expect(peers.filter((p) => p.startsWith('203.0.113.')).length).toBe(1) // the crowded network gave way first
    // Once every network had one peer, newcomers from other networks were refused; a network's own
    // newcomer took its place.
    expect(results).toEqual(new Set(['stored', 'full']))
    const perNetwork = new Map<string, number>()
    for (const peer of peers) {
      const network = peer.split('.').slice(0, 3).join('.')
      perNetwork.set(network, (perNetwork.get(network) ?? 0) + 1)
    }
    expect(Math.max(...perNetwork.values())).toBeLessThanOrEqual(2)
  })

  it('refuses new peers of an address or network past its share of the whole store; expiry gives it back', () => {
    const store = new PeerStore({ ...limits, maxPeersPerIp: 5, maxPeersPerPrefix: 8 })
    for (let k = 1; k <= 5; k++) expect(store.add(key(k), at('198.51.100.1'), 0)).toBe('stored')
    expect(store.add(key(6), at('198.51.100.1'), 0)).toBe('address-full')
    expect(store.add(key(1), at('198.51.100.1'), 1)).toBe('refreshed') // what it has still refreshes
    expect(store.add(key(1), at('198.51.100.1', 7000), 1)).toBe('address-full') // a new port is a new peer
    for (let k = 1; k <= 3; k++) expect(store.add(key(k), at('198.51.100.2'), 0)).toBe('stored')
    expect(store.add(key(9), at('198.51.100.3'), 0)).toBe('address-full') // the /24 has its 8
    expect(store.add(key(9), at('192.0.2.1'), 0)).toBe('stored') // other networks are not affected
    store.sweep(30 * MINUTE) // the node sweeps every minute
    expect(store.add(key(6), at('198.51.100.1'), 30 * MINUTE)).toBe('stored') // its first peers expired
  })

  it('counts IPv6 addresses by /48, and IPv4-mapped ones by their /24', () => {
    const store = new PeerStore({ ...limits, maxPeersPerPrefix: 3 })
    expect(store.add(key(1), at('2001:db8:1:1::1'), 0)).toBe('stored')
    expect(store.add(key(2), at('2001:db8:1:ffff::2'), 0)).toBe('stored')
    expect(store.add(key(3), at('2001:db8:1::3'), 0)).toBe('stored')
    expect(store.add(key(4), at('2001:db8:1:2::4'), 0)).toBe('address-full')
    expect(store.add(key(4), at('2001:db8:2::4'), 0)).toBe('stored') // another /48
    for (const n of [1, 2, 3]) expect(store.add(key(n), at(`::ffff:192.0.2.${n}`), 0)).toBe('stored')
    expect(store.add(key(4), at('192.0.2.9'), 0)).toBe('address-full') // the same /24 as the mapped ones
  })

  it('get_peers answers take one peer of each network in turn, most recent first', () => {
    const store = new PeerStore(limits)
    store.add(key(1), at('192.0.2.1'), 1)
    store.add(key(1), at('203.0.113.1'), 2)
    store.add(key(1), at('203.0.113.2'), 3)
    for (let n = 0; n < 16; n++) store.add(key(1), at(`198.51.100.${n}`), 10 + n) // a crowd in one /24, announced last
    const answer = store.get(key(1), 30, 5).map((p) => p.host)
    expect(answer).toEqual(['198.51.100.15', '203.0.113.2', '192.0.2.1', '198.51.100.14', '203.0.113.1'])
    expect(store.get(key(1), 30, 100).length).toBe(19)
  })

  it('keeps every bound under random announces from a few crowded networks (and stays consistent through expiry)', () => {
    const small = {
      ...limits,
      maxPeerKeys: 6,
      maxPeersPerKey: 12,
      maxPeersPerIpPerKey: 3,
      maxPeersPerPrefixPerKey: 5,
      maxPeers: 50,
      maxPeersPerIp: 9,
      maxPeersPerPrefix: 20,
    }
    const store = new PeerStore(small)
    const random = prng(42)
    const pick = (n: number) => Math.floor(random() * n)
    const keys = [1, 2, 3, 4, 5, 6, 7].map(key)
    for (let step = 0; step < 20_000; step++) {
      const now = step * 1000 // 20,000 s: peers expire and come back many times
      const host = `10.0.${pick(4)}.${pick(6)}`
      store.add(keys[pick(keys.length)] as Uint8Array, at(host, 1 + pick(8)), now)
      if (step % 97 !== 0) continue
      const perIp = new Map<string, number>()
      const perNetwork = new Map<string, number>()
      let total = 0
      for (const k of keys) {
        const peers = store.get(k, now, 1000)
        total += peers.length
        expect(peers.length).toBeLessThanOrEqual(small.maxPeersPerKey)
        const ips = new Map<string, number>()
        const networks = new Map<string, number>()
        for (const peer of peers) {
          const network = peer.host.split('.').slice(0, 3).join('.')
          ips.set(peer.host, (ips.get(peer.host) ?? 0) + 1)
          networks.set(network, (networks.get(network) ?? 0) + 1)
          perIp.set(peer.host, (perIp.get(peer.host) ?? 0) + 1)
          perNetwork.set(network, (perNetwork.get(network) ?? 0) + 1)
        }
        for (const count of ips.values()) expect(count).toBeLessThanOrEqual(small.maxPeersPerIpPerKey)
        for (const count of networks.values()) expect(count).toBeLessThanOrEqual(small.maxPeersPerPrefixPerKey)
      }
      for (const count of perIp.values()) expect(count).toBeLessThanOrEqual(small.maxPeersPerIp)
      for (const count of perNetwork.values()) expect(count).toBeLessThanOrEqual(small.maxPeersPerPrefix)
      expect(store.peerCount).toBe(total)
      expect(total).toBeLessThanOrEqual(small.maxPeers)
    }
    expect(store.peerCount).toBeGreaterThan(0)
  })
})

describe('peer store samples (BEP 51)', () => {
  const limits = { ...DEFAULT_LIMITS, maxPeerKeys: 100, maxPeersPerKey: 4, maxPeers: 1000, peerTtl: 30 * MINUTE }

  it('draws distinct live keys, all of them when there are fewer than asked', () => {
    const store = new PeerStore(limits)
    for (let k = 1; k <= 5; k++) store.add(key(k), peer(k), 0)
    const all = store.sample(0, 20, MINUTE)
    expect(all.map((k) => k[0]).sort((a, b) => (a as number) - (b as number))).toEqual([1, 2, 3, 4, 5])
    const fresh = new PeerStore(limits)
    for (let k = 1; k <= 50; k++) fresh.add(key(k), peer(k), 0)
    const some = fresh.sample(0, 20, MINUTE, prng(1))
    expect(some.length).toBe(20)
    expect(new Set(some.map((k) => k[0])).size).toBe(20)
    for (const k of some) expect(k).toEqual(key(k[0] as number))
  })

  it('reuses a sample for its interval, then draws a new one without expired keys', () => {
    const store = new PeerStore(limits)
    store.add(key(1), peer(1), 0)
    const first = store.sample(0, 20, 10 * MINUTE)
    store.add(key(2), peer(2), MINUTE)
    expect(store.sample(5 * MINUTE, 20, 10 * MINUTE)).toBe(first) // same sample until the interval ends
    const later = store.sample(30 * MINUTE, 20, 10 * MINUTE) // key 1 has expired, key 2 not yet
    expect(later.map((k) => k[0])).toEqual([2])
  })

  it('gives every key about the same chance', () => {
    const store = new PeerStore(limits)
    for (let k = 1; k <= 40; k++) store.add(key(k), peer(k), 0)
    const counts = new Map<number, number>()
    const random = prng(7)
    for (let round = 0; round < 2000; round++) {
      for (const k of store.sample(round * MINUTE, 10, 1, random))
        counts.set(k[0] as number, (counts.get(k[0] as number) ?? 0) + 1)
      store.add(key(1 + (round % 40)), peer(1 + (round % 40)), round * MINUTE) // keep every key alive
    }
    // Each key is drawn with probability 10/40 per round: 500 of 2000 expected.
    for (let k = 1; k <= 40; k++) expect(Math.abs((counts.get(k) ?? 0) - 500)).toBeLessThan(100)
  })
})

describe('item store limits', () => {
  const value = (n: number) => new Uint8Array([0x31, 0x3a, n])
  const mutable = (seq: number, v = 1) => ({
    value: value(v),
    publicKey: new Uint8Array(32),
    seq,
    signature: new Uint8Array(64),
    salt: new Uint8Array(0),
  })

  it('refuses new targets past maxItems, but updates stored ones', () => {
    const store = new ItemStore({ ...DEFAULT_LIMITS, maxItems: 2 })
    expect(store.putImmutable(key(1), value(1), 0, '10.0.0.1')).toBe('stored')
    expect(store.putMutable(key(2), mutable(1), 0, '10.0.0.1')).toBe('stored')
    expect(store.putImmutable(key(3), value(3), 0, '10.0.0.1')).toBe('full')
    expect(store.putImmutable(key(1), value(1), 0, '10.0.0.1')).toBe('refreshed')
    expect(store.putMutable(key(2), mutable(2), 0, '10.0.0.1')).toBe('stored')
    expect(store.size).toBe(2)
  })

  it('expires items two hours after their last put', () => {
    const store = new ItemStore({ ...DEFAULT_LIMITS, maxItems: 10 })
    store.putImmutable(key(1), value(1), 0, '10.0.0.1')
    store.putImmutable(key(2), value(2), 0, '10.0.0.1')
    store.putImmutable(key(2), value(2), 60 * MINUTE, '10.0.0.1')
    expect(store.get(key(1), 119 * MINUTE)).toBeDefined()
    expect(store.get(key(1), 120 * MINUTE)).toBeUndefined()
    store.sweep(150 * MINUTE)
    expect(store.size).toBe(1)
    store.sweep(180 * MINUTE)
    expect(store.size).toBe(0)
  })

  it('refuses new items of an address or network past its share; expiry gives it back', () => {
    const store = new ItemStore({ ...DEFAULT_LIMITS, maxItemsPerIp: 3, maxItemsPerPrefix: 5 })
    for (let n = 1; n <= 3; n++) expect(store.putImmutable(key(n), value(n), 0, '198.51.100.1')).toBe('stored')
    expect(store.putImmutable(key(4), value(4), 0, '198.51.100.1')).toBe('address-full')
    expect(store.putMutable(key(4), mutable(1), 0, '198.51.100.1')).toBe('address-full')
    expect(store.putImmutable(key(1), value(1), 1, '198.51.100.1')).toBe('refreshed') // what it stored still refreshes
    expect(store.putImmutable(key(5), value(5), 0, '198.51.100.2')).toBe('stored')
    expect(store.putImmutable(key(6), value(6), 0, '198.51.100.2')).toBe('stored')
    expect(store.putImmutable(key(7), value(7), 0, '198.51.100.3')).toBe('address-full') // the /24 has its 5
    expect(store.putImmutable(key(7), value(7), 0, '2001:db8::1')).toBe('stored')
    store.sweep(120 * MINUTE) // the node sweeps every minute
    expect(store.putImmutable(key(8), value(8), 120 * MINUTE, '198.51.100.1')).toBe('stored') // the first ones expired
  })

  it('counts an updated mutable item in the share of whoever stored it first', () => {
    const store = new ItemStore({ ...DEFAULT_LIMITS, maxItemsPerIp: 1 })
    expect(store.putMutable(key(1), mutable(1), 0, '198.51.100.1')).toBe('stored')
    expect(store.putMutable(key(1), mutable(2), 0, '192.0.2.1')).toBe('stored') // a republisher's update
    expect(store.putImmutable(key(2), value(2), 0, '192.0.2.1')).toBe('stored') // its own share is untouched
    expect(store.putImmutable(key(3), value(3), 0, '198.51.100.1')).toBe('address-full')
  })

  it('moves mutable items only forward, with cas', () => {
    const store = new ItemStore({ ...DEFAULT_LIMITS, maxItems: 10 })
    expect(store.putMutable(key(1), mutable(5), 0, '10.0.0.1')).toBe('stored')
    expect(store.putMutable(key(1), mutable(4), 0, '10.0.0.1')).toBe('seq-too-low')
    expect(store.putMutable(key(1), mutable(5, 2), 0, '10.0.0.1')).toBe('seq-too-low')
    expect(store.putMutable(key(1), mutable(5), 10, '10.0.0.1')).toBe('refreshed')
    expect(store.putMutable(key(1), { ...mutable(6), cas: 4 }, 0, '10.0.0.1')).toBe('cas-mismatch')
    expect(store.putMutable(key(1), { ...mutable(6), cas: 5 }, 0, '10.0.0.1')).toBe('stored')
    expect(store.putMutable(key(1), mutable((2n ** 62n) as unknown as number), 0, '10.0.0.1')).toBe('stored')
    expect(store.get(key(1), 0)?.mutable?.seq).toBe(2n ** 62n)
  })
})
