import { encodeBencode } from '@mycel/wire'
import { createTextLogger } from '@mycel/wire/log'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DhtNode, type DhtNodeOptions, encodeKrpc } from '../src/index.js'
import { ManualClock, MemoryNetwork } from '../src/testing.js'
import { createUdpDhtNode } from '../src/udp.js'
import { ascii } from './helpers.js'
import { RawClient } from './raw-client.js'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

/** A node on a memory network that logs into `lines`, and a raw client to poke it with. */
function setup(options: Partial<DhtNodeOptions> = {}) {
  const lines: string[] = []
  const clock = new ManualClock()
  const network = new MemoryNetwork({ clock })
  const logger = createTextLogger({ write: (line) => lines.push(line), now: () => 0 })
  const node = new DhtNode({ socket: network.createSocket(), clock, logger, ...options })
  const client = new RawClient(network, clock)
  closers.push(
    () => node.close(),
    () => client.close(),
  )
  return { lines, clock, node, client }
}

const key = new Uint8Array(20).fill(7)

describe('a DHT node logs what it drops and refuses, under mycel:dht', () => {
  it('logs a malformed datagram from a real UDP socket with its sender and the reason', async () => {
    let logged: (line: string) => void = () => {}
    const line = new Promise<string>((resolve) => {
      logged = resolve
    })
    const node = await createUdpDhtNode({
      host: '127.0.0.1',
      port: 0,
      logger: createTextLogger({ write: (text) => logged(text) }),
    })
    const client = await RawClient.udp('127.0.0.1')
    closers.push(
      () => node.close(),
      () => client.close(),
    )
    client.sendRaw(ascii('d1:t2:aa1:y1:qe garbage'), node)
    const text = await line
    expect(text).toMatch(/ mycel:dht debug dropped a datagram from 127\.0\.0\.1:\d+ \(malformed\): /)
    expect(text).toContain(` from=127.0.0.1:${client.address.port} reason=malformed`)
    expect(node.stats().dropped.malformed).toBe(1)
  })

  it('logs oversized datagrams, stray responses, and rate-limited queries', async () => {
    const { lines, clock, node, client } = setup({ limits: { queriesPerSecondPerAddress: 1 } })
    client.sendRaw(new Uint8Array(3000).fill(0x64), node)
    client.sendRaw(encodeKrpc({ kind: 'response', transactionId: ascii('zz'), values: { id: key } }), node)
    client.send(node, 'ping')
    client.send(node, 'ping') // the second in the same second
    await clock.advance(1)
    expect(node.stats().dropped).toMatchObject({ oversized: 1, 'unexpected-response': 1, 'rate-limited': 1 })
    expect(lines).toHaveLength(3)
    expect(lines[0]).toContain('(oversized): ')
    expect(lines[1]).toContain('(unexpected-response): no query of ours waits for its transaction id')
    expect(lines[2]).toContain('(rate-limited): a ping query over 1 per second from that address')
  })

  it('logs every refused query with its KRPC error: a bad token, full storage, an unknown method', async () => {
    const { lines, node, client } = setup({ limits: { maxPeers: 1 } })
    expect(await client.errorCode(node, 'announce_peer', { info_hash: key, port: 7000, token: ascii('nope') })).toBe(
      203,
    )
    const { token } = await client.values(node, 'get_peers', { info_hash: key })
    await client.values(node, 'announce_peer', { info_hash: key, port: 7000, token })
    const other = new Uint8Array(20).fill(8)
    expect(await client.errorCode(node, 'announce_peer', { info_hash: other, port: 7001, token })).toBe(202)
    expect(await client.errorCode(node, 'vote', {})).toBe(204)
    const refused = lines.filter((line) => line.includes(' refused '))
    expect(refused).toHaveLength(3)
    expect(refused[0]).toMatch(/refused announce_peer from \S+: 203 bad token .*method=announce_peer code=203/)
    expect(refused[1]).toContain('refused announce_peer from')
    expect(refused[1]).toContain(': 202 peer storage full')
    expect(refused[2]).toContain('refused vote from')
    expect(refused[2]).toContain(': 204 method unknown')
  })

  it('logs queries a read-only node drops', async () => {
    const { lines, clock, node, client } = setup({ readOnly: true })
    client.send(node, 'find_node', { target: key })
    await clock.advance(1)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('(read-only): a find_node query: a read-only node answers none (BEP 43)')
  })

  it('logs nothing for what it answers', async () => {
    const { lines, node, client } = setup()
    await client.values(node, 'ping')
    await client.values(node, 'get_peers', { info_hash: key })
    expect(lines).toEqual([])
  })
})

describe('a DHT node without a logger', () => {
  it('writes nothing anywhere, though it drops and refuses as before', async () => {
    const clock = new ManualClock()
    const network = new MemoryNetwork({ clock })
    const node = new DhtNode({ socket: network.createSocket(), clock })
    const client = new RawClient(network, clock)
    closers.push(
      () => node.close(),
      () => client.close(),
    )
    const spies = [
      vi.spyOn(process.stderr, 'write'),
      vi.spyOn(process.stdout, 'write'),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((method) => vi.spyOn(console, method)),
    ]
    try {
      client.sendRaw(encodeBencode({ y: 'q' }), node)
      expect(await client.errorCode(node, 'announce_peer', { info_hash: key, port: 1, token: ascii('x') })).toBe(203)
      await clock.advance(1)
      expect(node.stats().dropped.malformed).toBe(1)
      for (const spy of spies) expect(spy).not.toHaveBeenCalled()
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })
})
