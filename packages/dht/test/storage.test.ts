import { describe, expect, it } from 'vitest'
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
  const limits = { maxPeerKeys: 3, maxPeersPerKey: 4, maxPeers: 10, peerTtl: 30 * MINUTE }

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

describe('peer store samples (BEP 51)', () => {
  const limits = { maxPeerKeys: 100, maxPeersPerKey: 4, maxPeers: 1000, peerTtl: 30 * MINUTE }

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
    const store = new ItemStore({ maxItems: 2, itemTtl: 120 * MINUTE })
    expect(store.putImmutable(key(1), value(1), 0)).toBe('stored')
    expect(store.putMutable(key(2), mutable(1), 0)).toBe('stored')
    expect(store.putImmutable(key(3), value(3), 0)).toBe('full')
    expect(store.putImmutable(key(1), value(1), 0)).toBe('refreshed')
    expect(store.putMutable(key(2), mutable(2), 0)).toBe('stored')
    expect(store.size).toBe(2)
  })

  it('expires items two hours after their last put', () => {
    const store = new ItemStore({ maxItems: 10, itemTtl: 120 * MINUTE })
    store.putImmutable(key(1), value(1), 0)
    store.putImmutable(key(2), value(2), 0)
    store.putImmutable(key(2), value(2), 60 * MINUTE)
    expect(store.get(key(1), 119 * MINUTE)).toBeDefined()
    expect(store.get(key(1), 120 * MINUTE)).toBeUndefined()
    store.sweep(150 * MINUTE)
    expect(store.size).toBe(1)
    store.sweep(180 * MINUTE)
    expect(store.size).toBe(0)
  })

  it('moves mutable items only forward, with cas', () => {
    const store = new ItemStore({ maxItems: 10, itemTtl: 120 * MINUTE })
    expect(store.putMutable(key(1), mutable(5), 0)).toBe('stored')
    expect(store.putMutable(key(1), mutable(4), 0)).toBe('seq-too-low')
    expect(store.putMutable(key(1), mutable(5, 2), 0)).toBe('seq-too-low')
    expect(store.putMutable(key(1), mutable(5), 10)).toBe('refreshed')
    expect(store.putMutable(key(1), { ...mutable(6), cas: 4 }, 0)).toBe('cas-mismatch')
    expect(store.putMutable(key(1), { ...mutable(6), cas: 5 }, 0)).toBe('stored')
    expect(store.putMutable(key(1), mutable((2n ** 62n) as unknown as number), 0)).toBe('stored')
    expect(store.get(key(1), 0)?.mutable?.seq).toBe(2n ** 62n)
  })
})
