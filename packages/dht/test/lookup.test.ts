import { describe, expect, it } from 'vitest'
import { compareDistance, type DhtNode, type NodeContact, randomNodeId } from '../src/index.js'
import { CandidateList } from '../src/lookup/candidates.js'
import { createTestnet, ManualClock, MemoryNetwork } from '../src/testing.js'

const contact = (id: Uint8Array, n: number): NodeContact => ({ id, host: `10.1.${n >> 8}.${n & 255}`, port: 6881 })

describe('lookup candidates', () => {
  const target = new Uint8Array(20)
  const own = new Uint8Array(20).fill(0xff)

  it('ranks by distance, keeps at most `capacity`, and takes every id and address once', () => {
    const list = new CandidateList(target, own, 3, 5)
    const ids = Array.from({ length: 12 }, () => randomNodeId())
    for (const [i, id] of ids.entries()) list.add(contact(id, i), 1)
    expect(list.ranked.length).toBe(5)
    const expected = [...ids].sort((a, b) => compareDistance(a, b, target)).slice(0, 5)
    expect(list.ranked.map((c) => c.id)).toEqual(expected)
    expect(list.add(contact(expected[0] as Uint8Array, 99), 1)).toBeUndefined() // same id
    expect(list.add(contact(randomNodeId(), 0), 1)).toBeUndefined() // same address
    expect(list.add(contact(own, 100), 1)).toBeUndefined() // ourselves
  })

  it('asks the closest new node among the k closest not failed, and converges when they all answered', () => {
    const list = new CandidateList(target, own, 2, 10)
    const near = new Uint8Array(20)
    near[19] = 1
    const mid = new Uint8Array(20)
    mid[18] = 1
    const far = new Uint8Array(20)
    far[0] = 1
    for (const [i, id] of [near, mid, far].entries()) list.add(contact(id, i), 1)
    list.addAddress({ host: '10.9.9.9', port: 1 })
    expect(list.next()?.id).toBeUndefined() // bootstrap addresses first
    ;(list.unranked[0] as { state: string }).state = 'failed'
    expect(list.next()?.id).toEqual(near)
    ;(list.ranked[0] as { state: string }).state = 'responded'
    expect(list.next()?.id).toEqual(mid)
    ;(list.ranked[1] as { state: string }).state = 'failed'
    expect(list.converged()).toBe(false)
    expect(list.next()?.id).toEqual(far) // mid failed: far moves into the k closest
    ;(list.ranked[2] as { state: string }).state = 'responded'
    expect(list.converged()).toBe(true)
    expect(list.closest().map((c) => c.id)).toEqual([near, far])
  })
})

describe('lookup bounds', () => {
  it('a lookup sends at most maxQueriesPerLookup queries and yields at most maxPeersPerLookup peers', async () => {
    const testnet = await createTestnet(60, { network: new MemoryNetwork({ clock: new ManualClock(), latency: 5 }) })
    try {
      const key = randomNodeId()
      for (const i of [1, 2, 3, 4]) await testnet.settle((testnet.nodes[i] as DhtNode).announce(key, 7000 + i))
      const limited = await testnet.addNode({ limits: { maxQueriesPerLookup: 4 } })
      const summary = await testnet.settle(limited.findNode(randomNodeId()))
      expect(summary.queries).toBe(4)
      const few = await testnet.addNode({ limits: { maxPeersPerLookup: 2 } })
      const peers = await testnet.settle(
        (async () => {
          const found = []
          for await (const peer of few.lookup(key)) found.push(peer)
          return found
        })(),
      )
      expect(peers.length).toBe(2)
    } finally {
      await testnet.close()
    }
  })
})
