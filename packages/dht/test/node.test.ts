import { afterEach, describe, expect, it } from 'vitest'
import {
  createItemKeyPair,
  DhtError,
  DhtNode,
  decodeKrpc,
  formatHostPort,
  idToHex,
  randomNodeId,
} from '../src/index.js'
import { createTestnet, ManualClock, MemoryNetwork, type MemorySocket, type Testnet } from '../src/testing.js'
import { errorCode, rejectionCode } from './helpers.js'

const MINUTE = 60_000
let testnet: Testnet | undefined

/** Advances virtual time until no node of the testnet has a query in flight. */
async function quiet(net: Testnet, clock: ManualClock): Promise<void> {
  for (let step = 0; step < 100; step++) {
    if (net.nodes.every((node) => node.stats().queries.inFlight === 0)) return
    await clock.advance(100)
  }
  throw new Error('the testnet did not quieten within 10 s of virtual time')
}
afterEach(async () => {
  await testnet?.close()
  testnet = undefined
})

describe('DhtNode lifecycle', () => {
  it('a node without bootstrap nodes only serves; ready() is immediate and always the same promise', async () => {
    const network = new MemoryNetwork()
    const server = new DhtNode({ socket: network.createSocket() })
    const ready = server.ready()
    expect(server.ready()).toBe(ready)
    await ready
    const client = new DhtNode({ socket: network.createSocket(), bootstrap: [formatHostPort(server.address)] })
    await client.ready()
    expect(client.stats().routingTable.nodes).toBe(1)
    expect(server.stats().routingTable.nodes).toBe(1)
    await Promise.all([server.close(), client.close()])
  })

  it('close() is idempotent, ends running operations with CLOSED and clears every timer', async () => {
    const clock = new ManualClock()
    const network = new MemoryNetwork({ clock, latency: 50 })
    testnet = await createTestnet(20, { network })
    const node = testnet.nodes[5] as DhtNode
    const reader = testnet.nodes[6] as DhtNode
    const lookup = node.findNode(randomNodeId())
    const iteration = (async () => {
      for await (const _ of reader.lookup(randomNodeId())) {
        // no peers expected
      }
    })()
    await clock.advance(60)
    const closing = node.close()
    expect(node.close()).toBe(closing)
    await closing
    expect(await rejectionCode(lookup)).toBe('CLOSED')
    expect(await rejectionCode(node.putImmutable('x'))).toBe('CLOSED')
    await testnet.close()
    expect(await rejectionCode(iteration)).toBe('CLOSED')
    // Datagrams still on the wire are delivered (to nobody); no node timer is left.
    await clock.advance(1000)
    expect(clock.pendingTimers).toBe(0)
    expect(network.size).toBe(0)
  })

  it('an AbortSignal cancels a lookup and its queries in flight', async () => {
    const clock = new ManualClock()
    testnet = await createTestnet(30, { network: new MemoryNetwork({ clock, latency: 100 }) })
    // Joining leaves some queries of other lookups and pings in flight: let
    // them finish, so that the lookup's own are the only ones counted.
    await quiet(testnet, clock)
    const node = testnet.nodes[3] as DhtNode
    const controller = new AbortController()
    const lookup = node.findNode(randomNodeId(), { signal: controller.signal })
    await clock.advance(10)
    expect(node.stats().queries.inFlight).toBeGreaterThan(0)
    controller.abort()
    expect(await rejectionCode(lookup)).toBe('ABORTED')
    expect(node.stats().queries.inFlight).toBe(0)
    expect(await rejectionCode(node.announce(randomNodeId(), 1, { signal: AbortSignal.abort() }))).toBe('ABORTED')
  })

  it('leaving a lookup loop early cancels it', async () => {
    const clock = new ManualClock()
    testnet = await createTestnet(30, { network: new MemoryNetwork({ clock, latency: 20 }) })
    const key = randomNodeId()
    await testnet.settle((testnet.nodes[1] as DhtNode).announce(key, 5000))
    const reader = testnet.nodes[2] as DhtNode
    const first = await testnet.settle(
      (async () => {
        for await (const peer of reader.lookup(key)) return peer
        return undefined
      })(),
    )
    expect(first?.port).toBe(5000)
    expect(reader.stats().queries.inFlight).toBe(0)
  })

  it('refreshes buckets that have not changed for 15 minutes', async () => {
    const clock = new ManualClock()
    // The other nodes never refresh, so the only lookups are those of the two watched nodes.
    testnet = await createTestnet(40, {
      network: new MemoryNetwork({ clock, latency: 10 }),
      nodeOptions: { refreshInterval: 0 },
    })
    const watch = (refreshInterval?: number) => {
      const socket = testnet?.network.createSocket() as MemorySocket
      const counted = { findNode: 0 }
      const send = socket.send.bind(socket)
      socket.send = (datagram, to) => {
        const message = decodeKrpc(datagram)
        if (message.kind === 'query' && message.method === 'find_node') counted.findNode++
        send(datagram, to)
      }
      const node = new DhtNode({ socket, clock, bootstrap: testnet?.bootstrap, refreshInterval })
      return { node, counted }
    }
    const refreshing = watch()
    const quiet = watch(0)
    await testnet.settle(Promise.all([refreshing.node.ready(), quiet.node.ready()]))
    expect(refreshing.node.stats().routingTable.nodes).toBeGreaterThanOrEqual(8)
    expect(quiet.node.stats().routingTable.nodes).toBeGreaterThanOrEqual(8)
    const before = { refreshing: refreshing.counted.findNode, quiet: quiet.counted.findNode }
    await clock.advance(14 * MINUTE)
    expect(refreshing.counted.findNode).toBe(before.refreshing)
    await clock.advance(3 * MINUTE)
    expect(refreshing.counted.findNode).toBeGreaterThan(before.refreshing)
    await clock.advance(30 * MINUTE)
    expect(quiet.counted.findNode).toBe(before.quiet)
    await Promise.all([refreshing.node.close(), quiet.node.close()])
  })

  it('checks its arguments', async () => {
    const network = new MemoryNetwork()
    expect(() => new DhtNode({ socket: {} as never })).toThrow(TypeError)
    expect(errorCode(() => new DhtNode({ socket: network.createSocket(), bootstrap: ['nowhere'] }))).toBe(
      'INVALID_ADDRESS',
    )
    expect(() => new DhtNode({ socket: network.createSocket(), id: new Uint8Array(3) })).toThrow(RangeError)
    expect(() => new DhtNode({ socket: network.createSocket(), k: 0 })).toThrow(RangeError)
    const node = new DhtNode({ socket: network.createSocket() })
    expect(() => node.lookup(new Uint8Array(19))).toThrow(RangeError)
    await expect(node.announce(new Uint8Array(20), 0)).rejects.toThrow(RangeError)
    await expect(node.findNode(new Uint8Array(20), { signal: 'x' as never })).rejects.toThrow(TypeError)
    await expect(node.ping({ host: 'example.org', port: 1 })).rejects.toThrow(RangeError)
    await expect(node.putImmutable(new Uint8Array(1000))).rejects.toMatchObject({ code: 'VALUE_TOO_LARGE' })
    await expect(
      node.putMutable({ secretKey: new Uint8Array(32), seq: 1, value: 'x', salt: new Uint8Array(65) }),
    ).rejects.toMatchObject({
      code: 'SALT_TOO_LARGE',
    })
    await expect(node.putMutable({ secretKey: new Uint8Array(31), seq: 1, value: 'x' })).rejects.toThrow(RangeError)
    await expect(node.putMutable({ secretKey: new Uint8Array(32), seq: -1, value: 'x' })).rejects.toThrow(RangeError)
    await expect(
      node.putMutable({ publicKey: new Uint8Array(32), signature: new Uint8Array(64), seq: 1, value: 'x' }),
    ).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' })
    expect(() => node.query(new Uint8Array(20), { method: 'vote' as never })).toThrow(RangeError)
    await node.close()
  })

  it('reports stats for a status display and a snapshot that restores the table', async () => {
    testnet = await createTestnet(12, { network: new MemoryNetwork({ clock: new ManualClock() }) })
    const node = testnet.nodes[4] as DhtNode
    const stats = node.stats()
    expect(stats.id).toBe(idToHex(node.id))
    expect(stats.address).toEqual(node.address)
    expect(stats.routingTable.nodes).toBe(
      stats.routingTable.good + stats.routingTable.questionable + stats.routingTable.bad,
    )
    expect(stats.queries.sent).toBeGreaterThan(0)
    expect(Object.keys(stats.dropped).sort()).toEqual(
      ['invalid-response', 'malformed', 'oversized', 'rate-limited', 'read-only', 'unexpected-response'].sort(),
    )
    const snapshot = JSON.parse(JSON.stringify(node.snapshot()))
    const restored = new DhtNode({ socket: testnet.network.createSocket(), routingTable: snapshot })
    expect(restored.id).toEqual(node.id)
    expect(
      restored
        .snapshot()
        .nodes.map((n) => n.id)
        .sort(),
    ).toEqual(snapshot.nodes.map((n: { id: string }) => n.id).sort())
    expect(restored.stats().routingTable.questionable).toBe(snapshot.nodes.length)
    const other = new DhtNode({ socket: testnet.network.createSocket(), routingTable: snapshot, id: randomNodeId() })
    expect(other.id).not.toEqual(node.id)
    await Promise.all([restored.close(), other.close()])
  })

  it('runs the IPv6 DHT of BEP 32 on an IPv6 socket (nodes6, 18-byte peers)', async () => {
    const network = new MemoryNetwork()
    const server = new DhtNode({ socket: network.createSocket({ host: 'fd00::1', port: 6881 }) })
    const nodes = [server]
    for (let i = 2; i < 8; i++) {
      nodes.push(
        new DhtNode({
          socket: network.createSocket({ host: `fd00::${i}`, port: 6881 }),
          bootstrap: ['[fd00::1]:6881'],
        }),
      )
    }
    await Promise.all(nodes.map((n) => n.ready()))
    expect(nodes.map((n) => n.family)).toEqual(Array(7).fill(6))
    expect((nodes[3] as DhtNode).stats().routingTable.nodes).toBeGreaterThanOrEqual(5)
    const key = randomNodeId()
    expect(await (nodes[2] as DhtNode).announce(key, 443)).toBeGreaterThanOrEqual(5)
    const found = []
    for await (const peer of (nodes[6] as DhtNode).lookup(key)) found.push(peer)
    expect(found).toEqual([{ host: 'fd00::3', port: 443 }])
    let sawNodes6 = false
    for await (const event of (nodes[5] as DhtNode).query(key)) {
      if (event.type === 'response' && event.values.nodes6 instanceof Uint8Array)
        sawNodes6 = event.values.nodes6.length % 38 === 0
    }
    expect(sawNodes6).toBe(true)
    await Promise.all(nodes.map((n) => n.close()))
  })

  it('a node that stores a key or item itself includes it in its own lookups', async () => {
    testnet = await createTestnet(2, { network: new MemoryNetwork({ clock: new ManualClock() }) })
    const [a, b] = testnet.nodes as [DhtNode, DhtNode]
    const key = randomNodeId()
    expect(await testnet.settle(a.announce(key, 4242))).toBe(1) // stored at b only
    const found = await testnet.settle(
      (async () => {
        const peers = []
        for await (const peer of b.lookup(key)) peers.push(peer)
        return peers
      })(),
    )
    expect(found).toEqual([{ host: a.address.host, port: 4242 }])
    const put = await testnet.settle(a.putImmutable('only at b'))
    expect(put.stored).toBe(1)
    expect((await testnet.settle(b.getImmutable(put.target)))?.value).toEqual(new TextEncoder().encode('only at b'))
    const { secretKey, publicKey } = createItemKeyPair()
    await testnet.settle(a.putMutable({ secretKey, seq: 4, value: 'mutable at b' }))
    expect((await testnet.settle(b.getMutable(publicKey)))?.seq).toBe(4)
    expect(await testnet.settle(b.getMutable(publicKey, { seq: 4 }))).toBeUndefined()
  })

  it('a lone node finds nothing and says so', async () => {
    const node = new DhtNode({ socket: new MemoryNetwork().createSocket() })
    expect(await node.findNode(randomNodeId())).toEqual({
      type: 'done',
      closest: [],
      queries: 0,
      datagrams: 0,
      responses: 0,
      rounds: 0,
    })
    expect(await node.announce(randomNodeId(), 1)).toBe(0)
    expect((await node.putImmutable('alone')).stored).toBe(0)
    await node.close()
  })

  it('DhtError carries a stable code and the remote KRPC code', () => {
    const error = DhtError.remote(302, 'old')
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ name: 'DhtError', code: 'REMOTE_ERROR', remoteCode: 302 })
  })
})
