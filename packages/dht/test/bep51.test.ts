import type { BencodeDict } from '@mycel/wire'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { DhtNode, decodeKrpc, encodeKrpc, KRPC_ERROR, type PeerAddress } from '../src/index.js'
import { createTestnet, ManualClock, MemoryNetwork, type Testnet } from '../src/testing.js'
import { rejectionCode } from './helpers.js'
import { RawClient } from './raw-client.js'

const key = (n: number) => new Uint8Array(20).fill(n)
let testnet: Testnet | undefined
const closing: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await testnet?.close()
  testnet = undefined
  for (const item of closing.splice(0)) await item.close()
})

/** Announces `count` keys to `node` from a raw client, each with a token it got first. */
async function announceKeys(client: RawClient, node: DhtNode, count: number): Promise<void> {
  for (let n = 1; n <= count; n++) {
    const { token } = await client.values(node, 'get_peers', { info_hash: key(n) })
    await client.values(node, 'announce_peer', { info_hash: key(n), port: 7000 + n, token })
  }
}

describe('sample_infohashes (BEP 51), answering', () => {
  it('answers a sample of the stored keys, their number, the interval and nodes', async () => {
    const clock = new ManualClock()
    const network = new MemoryNetwork({ clock })
    const node = new DhtNode({ socket: network.createSocket(), clock, limits: { maxSamplesPerResponse: 5 } })
    const client = new RawClient(network, clock)
    closing.push(node, client)
    await announceKeys(client, node, 8)
    const values = await client.values(node, 'sample_infohashes', { target: key(99) })
    expect(values.id).toEqual(node.id)
    expect(values.num).toBe(8)
    expect(values.interval).toBe(21_600) // 6 hours, the default and BEP 51's maximum
    const samples = values.samples as Uint8Array
    expect(samples.length).toBe(5 * 20)
    const drawn = new Set<number>()
    for (let offset = 0; offset < samples.length; offset += 20) {
      const sample = samples.subarray(offset, offset + 20)
      expect(sample).toEqual(key(sample[0] as number)) // one of the announced keys, whole
      drawn.add(sample[0] as number)
    }
    expect(drawn.size).toBe(5)
    expect(values.nodes).toBeInstanceOf(Uint8Array) // the client itself, learnt from its queries
    // The sample stays the same for the interval.
    expect((await client.values(node, 'sample_infohashes', { target: key(98) })).samples).toEqual(samples)
  })

  it('answers an empty sample when nothing is stored, 203 without a 20-byte target', async () => {
    const clock = new ManualClock()
    const network = new MemoryNetwork({ clock })
    const node = new DhtNode({ socket: network.createSocket(), clock, limits: { sampleInterval: 90_000 } })
    const client = new RawClient(network, clock)
    closing.push(node, client)
    const values = await client.values(node, 'sample_infohashes', { target: key(1) })
    expect(values.num).toBe(0)
    expect(values.samples).toEqual(new Uint8Array(0))
    expect(values.interval).toBe(90)
    expect(await client.errorCode(node, 'sample_infohashes', {})).toBe(KRPC_ERROR.protocol)
    expect(await client.errorCode(node, 'sample_infohashes', { target: key(1).subarray(1) })).toBe(KRPC_ERROR.protocol)
  })
})

describe('DhtNode.sampleInfohashes', () => {
  it('collects every key stored in a testnet by walking it from node to node', async () => {
    const clock = new ManualClock()
    testnet = await createTestnet(25, {
      network: new MemoryNetwork({ clock, latency: 5 }),
      nodeOptions: { limits: { maxSamplesPerResponse: 50 } },
    })
    const net = testnet
    const keys = Array.from({ length: 12 }, (_, n) => key(n + 1))
    for (const [n, k] of keys.entries()) await net.settle((net.nodes[1 + n] as DhtNode).announce(k, 6000 + n))
    const crawler = net.nodes[0] as DhtNode
    const seen = new Set<string>()
    const visited = new Set<string>()
    const queue: PeerAddress[] = net.nodes.slice(1).map((n) => n.address)
    while (queue.length > 0) {
      const address = queue.shift() as PeerAddress
      const where = `${address.host}:${address.port}`
      if (visited.has(where)) continue
      visited.add(where)
      const answer = await net.settle(crawler.sampleInfohashes(address))
      expect(answer.samples.length).toBe(Math.min(answer.num, 50))
      for (const sample of answer.samples) seen.add(sample.join(','))
      queue.push(...answer.nodes)
    }
    expect(visited.size).toBeGreaterThanOrEqual(24)
    for (const k of keys) expect(seen.has(k.join(','))).toBe(true)
  })

  it('refuses malformed answers with INVALID_RESPONSE and a 204 with REMOTE_ERROR', async () => {
    const clock = new ManualClock()
    const network = new MemoryNetwork({ clock })
    const node = new DhtNode({ socket: network.createSocket(), clock })
    const fake = network.createSocket()
    closing.push(node, fake)
    let reply: BencodeDict | 'error' = {}
    fake.onDatagram((bytes, from) => {
      const query = decodeKrpc(bytes, 4096)
      if (query.kind !== 'query') return
      const answer =
        reply === 'error'
          ? encodeKrpc({ kind: 'error', transactionId: query.transactionId, code: 204, message: 'method unknown' })
          : encodeKrpc({ kind: 'response', transactionId: query.transactionId, values: { id: key(5), ...reply } })
      fake.send(answer, from)
    })
    const ask = async (values: BencodeDict | 'error') => {
      reply = values
      const pending = node.sampleInfohashes(fake.localAddress)
      pending.catch(() => {}) // the caller looks at the rejection once the clock has moved
      await clock.advance(1)
      return pending
    }
    const good = { interval: 60, num: 2, samples: new Uint8Array(40).fill(3) }
    const answer = await ask(good)
    expect(answer).toMatchObject({ interval: 60, num: 2, nodes: [] })
    expect(answer.samples).toEqual([key(3), key(3)])
    expect(await rejectionCode(ask({ ...good, samples: new Uint8Array(30) }))).toBe('INVALID_RESPONSE')
    expect(await rejectionCode(ask({ ...good, interval: -1 }))).toBe('INVALID_RESPONSE')
    expect(await rejectionCode(ask({ num: 2, samples: new Uint8Array(0) }))).toBe('INVALID_RESPONSE')
    expect(await rejectionCode(ask({ ...good, nodes: new Uint8Array(25) }))).toBe('INVALID_RESPONSE')
    expect(await rejectionCode(ask('error'))).toBe('REMOTE_ERROR')
    // Whatever the fields hold, the node gives a typed rejection or a well-formed answer.
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            interval: fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 4 })),
            num: fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 4 })),
            samples: fc.oneof(fc.uint8Array({ maxLength: 90 }), fc.integer()),
            nodes: fc.uint8Array({ maxLength: 80 }),
          },
          { requiredKeys: [] },
        ),
        async (values) => {
          try {
            const result = await ask(values as BencodeDict)
            for (const sample of result.samples) expect(sample.length).toBe(20)
            expect(Number.isSafeInteger(result.interval) && result.interval >= 0).toBe(true)
          } catch (err) {
            expect((err as { code?: string }).code).toBe('INVALID_RESPONSE')
          }
        },
      ),
      { numRuns: 100 },
    )
  })
})
