import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  compareDistance,
  createItemKeyPair,
  type DhtNode,
  idToHex,
  KRPC_ERROR,
  type PeerAddress,
} from '../src/index.js'
import { createTestnet, ManualClock, MemoryNetwork, type Testnet } from '../src/testing.js'
import { prng, seededId } from './helpers.js'

const random = prng(20260521)
const randomId = () => seededId(random)

async function collect(testnet: Testnet, peers: AsyncIterable<PeerAddress>): Promise<string[]> {
  const found: string[] = []
  await testnet.settle(
    (async () => {
      for await (const peer of peers) found.push(`${peer.host}:${peer.port}`)
    })(),
  )
  return found.sort()
}

function trueClosest(nodes: readonly DhtNode[], target: Uint8Array, except: DhtNode, k = 8): string[] {
  return nodes
    .filter((node) => node !== except)
    .map((node) => node.id)
    .sort((a, b) => compareDistance(a, b, target))
    .slice(0, k)
    .map(idToHex)
}

const warnings: string[] = []
const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`)
beforeAll(() => {
  process.on('warning', onWarning)
})
afterAll(() => {
  process.off('warning', onWarning)
  // e.g. MaxListenersExceededWarning: listeners piling up on one AbortSignal
  expect(warnings).toEqual([])
})

describe('a 300-node network in virtual time', () => {
  let testnet: Testnet
  const node = (i: number) => testnet.nodes[i] as DhtNode

  beforeAll(async () => {
    const network = new MemoryNetwork({ clock: new ManualClock(), latency: { min: 5, max: 60 }, random })
    testnet = await createTestnet(300, { network, id: randomId })
  })
  afterAll(() => testnet?.close())

  it('every node joined: tables hold good nodes and no datagram was malformed', () => {
    const sizes = testnet.nodes.map((n) => n.stats().routingTable.nodes)
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(8)
    for (const n of testnet.nodes) {
      const { dropped, routingTable } = n.stats()
      expect(routingTable.good).toBe(routingTable.nodes)
      // Late answers to queries a finished lookup gave up on are the only drops.
      expect({ ...dropped, 'unexpected-response': 0 }).toEqual({
        oversized: 0,
        malformed: 0,
        'rate-limited': 0,
        'unexpected-response': 0,
        'invalid-response': 0,
        'read-only': 0,
      })
    }
  })

  it('find_node lookups return exactly the k closest nodes', async () => {
    for (let i = 0; i < 30; i++) {
      const origin = node(Math.floor(random() * 300))
      const target = randomId()
      const summary = await testnet.settle(origin.findNode(target))
      expect(summary.closest.map((n) => idToHex(n.id))).toEqual(trueClosest(testnet.nodes, target, origin))
      expect(summary.queries).toBeLessThan(40)
      expect(summary.rounds).toBeGreaterThanOrEqual(1)
    }
  })

  it('a lookup finds every peer announced under a key, once each', async () => {
    const key = randomId()
    const stored = await testnet.settle(
      Promise.all([node(10).announce(key, 7001), node(20).announce(key, 7002), node(30).announce(key, 7003)]),
    )
    for (const count of stored) expect(count).toBe(8)
    const found = await collect(testnet, node(200).lookup(key))
    expect(found).toEqual(
      [`${node(10).address.host}:7001`, `${node(20).address.host}:7002`, `${node(30).address.host}:7003`].sort(),
    )
  })

  it('announce with implied_port stores the UDP source port', async () => {
    const key = randomId()
    await testnet.settle(node(40).announce(key, 1234, { impliedPort: true }))
    expect(await collect(testnet, node(41).lookup(key))).toEqual([`${node(40).address.host}:${node(40).address.port}`])
  })

  it('immutable items: put at the k closest, get back verified', async () => {
    const value = { name: 'photos', size: 123456 }
    const put = await testnet.settle(node(50).putImmutable(value))
    expect(put.stored).toBe(8)
    const item = await testnet.settle(node(250).getImmutable(put.target))
    expect(item?.value).toMatchObject({ size: 123456 })
    expect(item?.target).toEqual(put.target)
    expect(await testnet.settle(node(251).getImmutable(randomId()))).toBeUndefined()
  })

  it('mutable items: newest seq wins, stale seq and wrong cas are refused (302, 301)', async () => {
    const { secretKey, publicKey } = createItemKeyPair(new Uint8Array(32).fill(9))
    const salt = new TextEncoder().encode('channel')
    const first = await testnet.settle(node(60).putMutable({ secretKey, salt, seq: 1, value: 'first' }))
    expect(first.stored).toBe(8)
    const second = await testnet.settle(node(61).putMutable({ secretKey, salt, seq: 2, value: 'second', cas: 1 }))
    expect(second.stored).toBe(8)
    const item = await testnet.settle(node(270).getMutable(publicKey, { salt }))
    expect(item?.seq).toBe(2)
    expect(new TextDecoder().decode(item?.value as Uint8Array)).toBe('second')
    // Without salt it is another item; with seq it asks only for newer ones.
    expect(await testnet.settle(node(271).getMutable(publicKey))).toBeUndefined()
    expect(await testnet.settle(node(272).getMutable(publicKey, { salt, seq: 2 }))).toBeUndefined()
    const stale = await testnet.settle(node(62).putMutable({ secretKey, salt, seq: 1, value: 'first' }))
    // Nodes that hold the item refuse it; one of the closest that never got it may take it (BEP 44 allows
    // that). How many of this lookup's closest 8 hold it depends on how far they overlap the closest
    // sets of the first puts' lookups: most do, all are not guaranteed.
    expect(stale.rejections.length).toBeGreaterThan(0)
    expect(stale.stored + stale.rejections.length).toBe(8)
    for (const rejection of stale.rejections) expect(rejection.code).toBe(KRPC_ERROR.seqTooLow)
    const afterStale = await testnet.settle(node(273).getMutable(publicKey, { salt }))
    expect(afterStale?.seq).toBe(2) // a get still finds the newest version
    const wrongCas = await testnet.settle(node(63).putMutable({ secretKey, salt, seq: 3, value: 'third', cas: 1 }))
    // cas goes only to the nodes that said they hold the item.
    expect(wrongCas.rejections.length).toBeGreaterThan(0)
    expect(wrongCas.stored + wrongCas.rejections.length).toBe(8)
    for (const rejection of wrongCas.rejections) expect(rejection.code).toBe(KRPC_ERROR.casMismatch)
    // Re-publishing with the signature only (no secret key) keeps the item alive.
    const again = await testnet.settle(
      node(64).putMutable({ publicKey, signature: item?.signature as Uint8Array, salt, seq: 2, value: 'second' }),
    )
    // A node that took seq 3 above (one that never held the item, so no cas applied) refuses seq 2.
    expect(again.stored).toBeGreaterThanOrEqual(8 - wrongCas.stored)
    expect(again.stored + again.rejections.length).toBe(8)
    for (const rejection of again.rejections) expect(rejection.code).toBe(KRPC_ERROR.seqTooLow)
  })

  it('20% churn: lookups route around the dead nodes and still find the peers', async () => {
    const key = randomId()
    await testnet.settle(node(70).announce(key, 7070))
    const gone = testnet.network.churn(0.2, { spare: [node(70).address, node(71).address, node(72).address] })
    try {
      expect(gone.length).toBe(59)
      expect(await collect(testnet, node(71).lookup(key))).toEqual([`${node(70).address.host}:7070`])
      const live = testnet.nodes.filter((n) => testnet.network.isOnline(n.address))
      let exact = 0
      for (let i = 0; i < 20; i++) {
        const target = randomId()
        const summary = await testnet.settle(node(72).findNode(target))
        for (const found of summary.closest) expect(testnet.network.isOnline(found)).toBe(true)
        // Every query is one datagram, and a second one to a node that stayed silent.
        expect(summary.datagrams).toBeGreaterThanOrEqual(summary.queries)
        expect(summary.datagrams).toBeLessThanOrEqual(2 * summary.queries)
        if (summary.closest.map((n) => idToHex(n.id)).join() === trueClosest(live, target, node(72)).join()) exact++
      }
      expect(exact).toBeGreaterThanOrEqual(18)
    } finally {
      testnet.network.heal()
    }
  })
})

describe('a 150-node network with 10% datagram loss', () => {
  let testnet: Testnet
  beforeAll(async () => {
    const network = new MemoryNetwork({ clock: new ManualClock(), latency: { min: 5, max: 60 }, loss: 0.1, random })
    testnet = await createTestnet(150, { network, id: randomId })
  })
  afterAll(() => testnet?.close())

  it('announces, lookups and items still work (queries time out and are routed around)', async () => {
    const [a, b, c] = [testnet.nodes[5], testnet.nodes[80], testnet.nodes[140]] as [DhtNode, DhtNode, DhtNode]
    const key = randomId()
    // A store fails when both its attempts lose a datagram (about 4% of them
    // here): 3 failures of 8 happen about once in 100 runs, 5 almost never.
    expect(await testnet.settle(a.announce(key, 9000))).toBeGreaterThanOrEqual(4)
    expect(await collect(testnet, b.lookup(key))).toEqual([`${a.address.host}:9000`])
    const put = await testnet.settle(c.putImmutable('lossy'))
    expect(put.stored).toBeGreaterThanOrEqual(4)
    expect((await testnet.settle(a.getImmutable(put.target)))?.value).toEqual(new TextEncoder().encode('lossy'))
    expect(testnet.network.stats.lost).toBeGreaterThan(0)
    expect(b.stats().queries.timeouts + c.stats().queries.timeouts).toBeGreaterThan(0)
  })
})
