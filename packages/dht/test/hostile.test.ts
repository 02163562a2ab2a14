import { encodeBencode } from '@mycel/wire'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { DhtNode, encodeKrpc } from '../src/index.js'
import { ManualClock, MemoryNetwork } from '../src/testing.js'
import { ascii, prng } from './helpers.js'
import { RawClient } from './raw-client.js'

const id = new Uint8Array(20).fill(1)
const valid = [
  encodeKrpc({ kind: 'query', transactionId: ascii('aa'), method: 'ping', args: { id } }),
  encodeKrpc({ kind: 'query', transactionId: ascii('ab'), method: 'find_node', args: { id, target: id } }),
  encodeKrpc({ kind: 'query', transactionId: ascii('ac'), method: 'get_peers', args: { id, info_hash: id } }),
  encodeKrpc({
    kind: 'query',
    transactionId: ascii('ad'),
    method: 'announce_peer',
    args: { id, info_hash: id, port: 1, token: ascii('12345678') },
  }),
  encodeKrpc({ kind: 'query', transactionId: ascii('ae'), method: 'get', args: { id, target: id, seq: 3 } }),
  encodeKrpc({
    kind: 'query',
    transactionId: ascii('af'),
    method: 'put',
    args: {
      id,
      token: ascii('12345678'),
      v: 'x',
      k: new Uint8Array(32),
      sig: new Uint8Array(64),
      seq: 1,
      salt: 's',
      cas: 0,
    },
  }),
  encodeKrpc({
    kind: 'response',
    transactionId: ascii('aa'),
    values: { id, nodes: new Uint8Array(52), values: [new Uint8Array(6)] },
  }),
  encodeKrpc({ kind: 'error', transactionId: ascii('aa'), code: 201, message: 'x' }),
]

let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await cleanup?.()
  cleanup = undefined
})

async function setup() {
  const clock = new ManualClock()
  const network = new MemoryNetwork({ clock })
  const node = new DhtNode({ socket: network.createSocket(), clock, limits: { queriesPerSecondPerAddress: 1_000_000 } })
  const attacker = new RawClient(network, clock)
  cleanup = async () => {
    await node.close()
    await attacker.close()
  }
  return { clock, network, node, attacker }
}

describe('hostile datagrams', () => {
  it('random bytes are dropped and counted, never thrown, and the node keeps answering', async () => {
    const { clock, node, attacker } = await setup()
    const random = prng(7)
    let sent = 0
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        attacker.sendRaw(bytes, node)
        sent++
      }),
      { numRuns: 500 },
    )
    attacker.sendRaw(new Uint8Array(2049).fill(0x64), node)
    sent++
    for (let i = 0; i < 200; i++)
      attacker.sendRaw(
        Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)),
        node,
      )
    await clock.advance(10) // a throw in the node would reject this
    const { dropped } = node.stats()
    expect(dropped.malformed + dropped.oversized).toBeGreaterThan(sent * 0.9)
    expect(dropped.oversized).toBeGreaterThan(0)
    expect((await attacker.ask(node, 'ping'))?.kind).toBe('response')
  })

  it('mutated valid packets give an answer, an error reply, or a counted drop', async () => {
    const { clock, node, attacker } = await setup()
    const random = prng(11)
    let sent = 0
    for (let round = 0; round < 3000; round++) {
      const packet = (valid[round % valid.length] as Uint8Array).slice()
      const edits = 1 + Math.floor(random() * 3)
      for (let e = 0; e < edits; e++) packet[Math.floor(random() * packet.length)] = Math.floor(random() * 256)
      const cut = random() < 0.2 ? Math.floor(random() * packet.length) : packet.length
      attacker.sendRaw(packet.subarray(0, cut), node)
      sent++
      if (round % 100 === 99) await clock.advance(1)
    }
    await clock.advance(10)
    const stats = node.stats()
    const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0)
    const queries = attacker.received.filter((r) => r.message.kind !== 'query').length
    expect(dropped + queries).toBeGreaterThan(0)
    expect(stats.dropped.malformed).toBeGreaterThan(sent / 10)
    expect((await attacker.ask(node, 'ping'))?.kind).toBe('response')
  })

  it('responses nobody asked for, and answers from the wrong address, are dropped as unexpected', async () => {
    const { clock, network, node, attacker } = await setup()
    attacker.sendRaw(valid[6] as Uint8Array, node)
    await clock.advance(1)
    expect(node.stats().dropped['unexpected-response']).toBe(1)
    const other = new RawClient(network, clock)
    other.answerPings = false
    const pinging = node.ping(other.address).catch((err: { code: string }) => err.code)
    await clock.advance(1)
    const query = other.received[0]?.message
    if (query === undefined) throw new Error('no ping arrived')
    // The attacker answers in the victim's place, with the right transaction id.
    attacker.sendRaw(encodeKrpc({ kind: 'response', transactionId: query.transactionId, values: { id } }), node)
    await clock.advance(1)
    expect(node.stats().dropped['unexpected-response']).toBe(2)
    // A response without a proper id fails the query and is counted.
    other.socket.send(encodeBencode({ r: { id: 'short' }, t: query.transactionId, y: 'r' }), node.address)
    await clock.advance(1)
    expect(await pinging).toBe('INVALID_RESPONSE')
    expect(node.stats().dropped['invalid-response']).toBe(1)
    await other.close()
  })

  it('bad snapshots and compact lists from the network are refused or skipped', async () => {
    const { node } = await setup()
    const network = new MemoryNetwork()
    expect(() => new DhtNode({ socket: network.createSocket(), routingTable: { version: 2 } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_SNAPSHOT' }),
    )
    const restored = new DhtNode({
      socket: network.createSocket(),
      routingTable: {
        version: 1,
        id: 'ab'.repeat(20),
        nodes: [
          { id: 'cd'.repeat(20), host: '10.1.1.1', port: 1 },
          { id: 'zz', host: '10.1.1.2', port: 1 },
          { id: 'ce'.repeat(20), host: 'example.org', port: 1 },
          { id: 'cf'.repeat(20), host: '10.1.1.3', port: 70000 },
          null as never,
        ],
      },
    })
    expect(restored.stats().routingTable.nodes).toBe(1)
    await restored.close()
    expect(node.stats().routingTable.nodes).toBe(0)
  })
})
