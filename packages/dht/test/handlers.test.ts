import { encodeBencode } from '@mycel/wire'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createItemKeyPair,
  DhtNode,
  type DhtNodeOptions,
  immutableItemTarget,
  KRPC_ERROR,
  mutableItemTarget,
  signMutableItem,
} from '../src/index.js'
import { ManualClock, MemoryNetwork } from '../src/testing.js'
import { ascii } from './helpers.js'
import { RawClient } from './raw-client.js'

const MINUTE = 60_000
const key = new Uint8Array(20).fill(7)

let clock: ManualClock
let network: MemoryNetwork
let node: DhtNode
let client: RawClient

function start(options: Partial<DhtNodeOptions> = {}) {
  node = new DhtNode({ socket: network.createSocket(), clock, ...options })
  client = new RawClient(network, clock)
}

beforeEach(() => {
  clock = new ManualClock()
  network = new MemoryNetwork({ clock })
})

afterEach(async () => {
  await node?.close()
  await client?.close()
})

describe('BEP 5 queries', () => {
  it('ping answers with the node id', async () => {
    start()
    const values = await client.values(node, 'ping')
    expect(values.id).toEqual(node.id)
  })

  it('answers 203 without a 20-byte id and 204 for an unknown method', async () => {
    start()
    expect(await client.errorCode(node, 'ping', { id: new Uint8Array(19) })).toBe(KRPC_ERROR.protocol)
    expect(await client.errorCode(node, 'ping', { id: 5 })).toBe(KRPC_ERROR.protocol)
    expect(await client.errorCode(node, 'vote')).toBe(KRPC_ERROR.methodUnknown)
  })

  it('find_node answers compact node info, honouring BEP 32 want', async () => {
    start()
    const helper = new RawClient(network, clock)
    await helper.ask(node, 'ping') // the node pings it back and adds it
    await clock.advance(10)
    expect(node.stats().routingTable.nodes).toBe(1)
    const values = await client.values(node, 'find_node', { target: key })
    expect((values.nodes as Uint8Array).length).toBe(26)
    expect((values.nodes as Uint8Array).subarray(0, 20)).toEqual(helper.id)
    expect(await client.errorCode(node, 'find_node', { target: new Uint8Array(3) })).toBe(KRPC_ERROR.protocol)
    expect((await client.values(node, 'find_node', { target: key, want: ['n6'] })).nodes).toBeUndefined()
    expect((await client.values(node, 'find_node', { target: key, want: ['n4', 'n6'] })).nodes).toBeDefined()
    await helper.close()
  })

  it('get_peers gives a token and nodes, then the announced peers as compact values', async () => {
    start()
    const first = await client.values(node, 'get_peers', { info_hash: key })
    expect(first.token).toBeInstanceOf(Uint8Array)
    expect(first.values).toBeUndefined()
    expect(first.nodes).toBeDefined()
    const announce = await client.values(node, 'announce_peer', { info_hash: key, port: 7000, token: first.token })
    expect(announce.id).toEqual(node.id)
    const second = await client.values(node, 'get_peers', { info_hash: key })
    expect(second.values).toEqual([
      new Uint8Array([...client.address.host.split('.').map(Number), 7000 >> 8, 7000 & 255]),
    ])
    expect(second.nodes).toBeUndefined()
    expect(await client.errorCode(node, 'get_peers', { info_hash: new Uint8Array(21) })).toBe(KRPC_ERROR.protocol)
  })

  it('announce_peer needs a token given to the same IP address, and a port unless implied_port', async () => {
    start()
    const other = new RawClient(network, clock)
    const { token } = await other.values(node, 'get_peers', { info_hash: key })
    expect(await client.errorCode(node, 'announce_peer', { info_hash: key, port: 7000, token })).toBe(
      KRPC_ERROR.protocol,
    )
    expect(await client.errorCode(node, 'announce_peer', { info_hash: key, port: 7000 })).toBe(KRPC_ERROR.protocol)
    const own = (await client.values(node, 'get_peers', { info_hash: key })).token
    expect(await client.errorCode(node, 'announce_peer', { info_hash: key, port: 0, token: own })).toBe(
      KRPC_ERROR.protocol,
    )
    expect(await client.errorCode(node, 'announce_peer', { info_hash: key, port: 70000, token: own })).toBe(
      KRPC_ERROR.protocol,
    )
    await client.values(node, 'announce_peer', { info_hash: key, port: 0, implied_port: 1, token: own })
    const { values } = await other.values(node, 'get_peers', { info_hash: key })
    const port = client.address.port
    expect(values).toEqual([new Uint8Array([...client.address.host.split('.').map(Number), port >> 8, port & 255])])
    expect(node.stats().storage).toMatchObject({ peerKeys: 1, peers: 1 })
    await other.close()
  })

  it('tokens work for 5 to 10 minutes: the secret rotates every 5 minutes and the previous one is accepted', async () => {
    start()
    const early = (await client.values(node, 'get_peers', { info_hash: key })).token
    await clock.advance(5 * MINUTE)
    await client.values(node, 'announce_peer', { info_hash: key, port: 7000, token: early })
    await clock.advance(5 * MINUTE)
    expect(await client.errorCode(node, 'announce_peer', { info_hash: key, port: 7000, token: early })).toBe(
      KRPC_ERROR.protocol,
    )
  })

  it('answers a read-only (BEP 43) node but keeps it out of the routing table', async () => {
    start()
    const answer = await client.ask(node, 'ping', {}, { readOnly: true })
    expect(answer?.kind).toBe('response')
    await clock.advance(5000)
    expect(client.received.length).toBe(1) // no verification ping came back
    expect(node.stats().routingTable.nodes).toBe(0)
    await client.ask(node, 'ping')
    await clock.advance(10)
    expect(client.received.some((r) => r.message.kind === 'query' && r.message.method === 'ping')).toBe(true)
    expect(node.stats().routingTable.nodes).toBe(1)
  })

  it('a read-only node sends ro: 1 and answers nothing', async () => {
    start({ readOnly: true })
    expect(await client.ask(node, 'ping')).toBeUndefined()
    expect(node.stats().dropped['read-only']).toBe(1)
    client.answerPings = false
    const pinging = node.ping(client.address).catch((err: unknown) => err)
    await clock.advance(1)
    const query = client.received.find((r) => r.message.kind === 'query')?.message
    expect(query).toMatchObject({ kind: 'query', method: 'ping', readOnly: true })
    await clock.advance(5000)
    expect(await pinging).toMatchObject({ code: 'TIMEOUT' })
  })
})

describe('BEP 44 queries', () => {
  it('stores and serves an immutable item under SHA-1 of its bencoded value', async () => {
    start()
    const target = immutableItemTarget('Hello World!')
    const first = await client.values(node, 'get', { target })
    expect(first.v).toBeUndefined()
    await client.values(node, 'put', { token: first.token, v: 'Hello World!' })
    const second = await client.values(node, 'get', { target })
    expect(second.v).toEqual(ascii('Hello World!'))
    expect((second.nodes as Uint8Array).length % 26).toBe(0)
    expect(await client.errorCode(node, 'put', { token: first.token, v: new Uint8Array(998) })).toBe(
      KRPC_ERROR.valueTooBig,
    )
    expect(await client.errorCode(node, 'put', { token: new Uint8Array(8), v: 'x' })).toBe(KRPC_ERROR.protocol)
    expect(await client.errorCode(node, 'put', { token: first.token })).toBe(KRPC_ERROR.protocol)
    expect(await client.errorCode(node, 'get', { target: new Uint8Array(5) })).toBe(KRPC_ERROR.protocol)
  })

  it('checks mutable puts: signature (206), salt (207), cas (301), seq (302)', async () => {
    start()
    const { secretKey, publicKey } = createItemKeyPair()
    const salt = ascii('profile')
    const target = mutableItemTarget(publicKey, salt)
    const { token } = await client.values(node, 'get', { target })
    const put = (seq: number, value: string, extra: Record<string, unknown> = {}) => ({
      token,
      k: publicKey,
      salt,
      seq,
      v: value,
      sig: signMutableItem(secretKey, { value, seq, salt }),
      ...extra,
    })
    expect(await client.errorCode(node, 'put', put(1, 'a', { sig: new Uint8Array(64) }))).toBe(
      KRPC_ERROR.invalidSignature,
    )
    expect(await client.errorCode(node, 'put', put(1, 'a', { seq: 2 }))).toBe(KRPC_ERROR.invalidSignature)
    expect(await client.errorCode(node, 'put', put(1, 'a', { salt: new Uint8Array(65) }))).toBe(KRPC_ERROR.saltTooBig)
    expect(await client.errorCode(node, 'put', put(1, 'a', { k: new Uint8Array(31) }))).toBe(KRPC_ERROR.protocol)
    expect(await client.errorCode(node, 'put', put(1, 'a', { seq: -1 }))).toBe(KRPC_ERROR.protocol)
    await client.values(node, 'put', put(5, 'five'))
    expect(await client.errorCode(node, 'put', put(4, 'four'))).toBe(KRPC_ERROR.seqTooLow)
    expect(await client.errorCode(node, 'put', put(5, 'other'))).toBe(KRPC_ERROR.seqTooLow)
    await client.values(node, 'put', put(5, 'five')) // same seq, same value: refreshes
    expect(await client.errorCode(node, 'put', put(6, 'six', { cas: 4 }))).toBe(KRPC_ERROR.casMismatch)
    await client.values(node, 'put', put(6, 'six', { cas: 5 }))
    const got = await client.values(node, 'get', { target })
    expect(got).toMatchObject({ seq: 6, k: publicKey, v: ascii('six') })
    expect((got.nodes as Uint8Array).length).toBeLessThanOrEqual(8 * 26)
    // BEP 44: with seq at or above the stored one, only seq is sent.
    const newer = await client.values(node, 'get', { target, seq: 6 })
    expect(newer.seq).toBe(6)
    expect(newer.v).toBeUndefined()
    expect(newer.k).toBeUndefined()
    expect(node.stats().storage.items).toBe(1)
  })

  it('checks at most limits.signatureChecksPerSecond signatures a second, answering 202 beyond', async () => {
    start({ limits: { signatureChecksPerSecond: 3 } })
    const { secretKey, publicKey } = createItemKeyPair()
    const target = mutableItemTarget(publicKey)
    const { token } = await client.values(node, 'get', { target })
    const put = (seq: number) => ({
      token,
      k: publicKey,
      seq,
      v: 'v',
      sig: signMutableItem(secretKey, { value: 'v', seq }),
    })
    for (let seq = 1; seq <= 3; seq++) await client.values(node, 'put', put(seq))
    expect(await client.errorCode(node, 'put', put(4))).toBe(KRPC_ERROR.server)
    // Immutable puts cost no signature check and are not held back.
    await client.values(node, 'put', { token, v: 'plain' })
    await clock.advance(1000)
    await client.values(node, 'put', put(4))
    expect((await client.values(node, 'get', { target })).seq).toBe(4)
  })

  it('fits a get answer with the largest value and nodes into one 1,500-byte frame, over IPv4 and IPv6', async () => {
    for (const [family, host, limit] of [
      [4, '198.51.100.1', 1472],
      [6, 'fd00::1', 1452],
    ] as const) {
      const server = new DhtNode({ socket: network.createSocket({ host }), clock })
      const asker = new RawClient(network, clock, family === 4 ? '198.51.100.2' : 'fd00::2')
      const helpers = Array.from(
        { length: 12 },
        (_, i) =>
          new RawClient(
            network,
            clock,
            family === 4 ? `198.51.100.${10 + i}` : `fd00::${10 + i}`,
            new Uint8Array(20).fill(i + 1),
          ),
      )
      for (const helper of helpers) await helper.ask(server, 'ping') // each is pinged back and enters the table
      await clock.advance(10)
      expect(server.stats().routingTable.nodes).toBeGreaterThanOrEqual(8)
      const { secretKey, publicKey } = createItemKeyPair()
      const value = new Uint8Array(996) // bencoded: 1,000 bytes, the most BEP 44 allows
      const seq = 2n ** 63n - 1n
      const target = mutableItemTarget(publicKey)
      const { token } = await asker.values(server, 'get', { target })
      await asker.values(server, 'put', {
        token,
        k: publicKey,
        seq,
        v: value,
        sig: signMutableItem(secretKey, { value, seq }),
      })
      const answer = await asker.values(server, 'get', { target })
      expect(answer.v).toEqual(value)
      expect((answer[family === 4 ? 'nodes' : 'nodes6'] as Uint8Array).length).toBe(family === 4 ? 8 * 26 : 5 * 38)
      expect((asker.received.at(-1) as { size: number }).size).toBeLessThanOrEqual(limit)
      for (const client of [asker, ...helpers]) await client.close()
      await server.close()
    }
  })

  it('keeps the verbatim bencoding of v for the signature and the target', async () => {
    start()
    const value = { list: [1, -2, 'three'], nested: { b: 'x', a: new Uint8Array([0, 255]) } }
    const target = immutableItemTarget(value)
    const { token } = await client.values(node, 'get', { target })
    await client.values(node, 'put', { token, v: value })
    const got = await client.values(node, 'get', { target })
    expect(immutableItemTarget(encodeBencode(got.v as never), true)).toEqual(target)
  })
})
