import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_LIMITS,
  DhtNode,
  type DhtNodeOptions,
  decodeCompactPeer,
  KRPC_ERROR,
  type PeerAddress,
} from '../src/index.js'
import { ManualClock, MemoryNetwork } from '../src/testing.js'
import { rejectionCode } from './helpers.js'
import { RawClient } from './raw-client.js'

const MINUTE = 60_000
const key = (n: number) => new Uint8Array(20).fill(n)

let clock: ManualClock
let network: MemoryNetwork
let node: DhtNode
const clients: RawClient[] = []

function start(options: Partial<DhtNodeOptions> = {}) {
  node = new DhtNode({ socket: network.createSocket(), clock, ...options })
}

function client(host?: string): RawClient {
  const created = new RawClient(network, clock, host)
  clients.push(created)
  return created
}

async function announceFrom(from: RawClient, infohash: Uint8Array, port = 7000): Promise<number | 'ok'> {
  const { token } = await from.values(node, 'get_peers', { info_hash: infohash })
  const answer = await from.ask(node, 'announce_peer', { info_hash: infohash, port, token })
  return answer?.kind === 'error' ? answer.code : 'ok'
}

beforeEach(() => {
  clock = new ManualClock()
  network = new MemoryNetwork({ clock })
})

afterEach(async () => {
  await node?.close()
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

describe('limits on what remote nodes can make a node store', () => {
  it('peers per key: the least recently announced make room; they expire after 30 minutes', async () => {
    start({ limits: { maxPeersPerKey: 3 } })
    const announcers = [client(), client(), client(), client()]
    for (const announcer of announcers) expect(await announceFrom(announcer, key(1))).toBe('ok')
    const reader = client()
    const { values } = await reader.values(node, 'get_peers', { info_hash: key(1) })
    expect((values as Uint8Array[]).length).toBe(3)
    expect(node.stats().storage.peers).toBe(3)
    await clock.advance(20 * MINUTE)
    expect(await announceFrom(announcers[3] as RawClient, key(1))).toBe('ok') // re-announced: lives on
    await clock.advance(11 * MINUTE)
    const later = await reader.values(node, 'get_peers', { info_hash: key(1) })
    expect((later.values as Uint8Array[]).length).toBe(1)
    await clock.advance(30 * MINUTE)
    expect(node.stats().storage).toMatchObject({ peers: 0, peerKeys: 0 })
  })

  it('keys and total peers: new ones are refused with 202 when full', async () => {
    start({ limits: { maxPeerKeys: 2, maxPeers: 3 } })
    const announcer = client()
    expect(await announceFrom(announcer, key(1))).toBe('ok')
    expect(await announceFrom(announcer, key(2))).toBe('ok')
    expect(await announceFrom(announcer, key(3))).toBe(KRPC_ERROR.server)
    expect(await announceFrom(client(), key(1))).toBe('ok')
    expect(await announceFrom(client(), key(2))).toBe(KRPC_ERROR.server)
    expect(await announceFrom(announcer, key(2), 7000)).toBe('ok') // a refresh is not a new peer
    expect(node.stats().storage).toMatchObject({ peerKeys: 2, peers: 3 })
  })

  it('get_peers answers carry at most maxPeersPerResponse peers', async () => {
    start({ limits: { maxPeersPerResponse: 2 } })
    for (let i = 0; i < 4; i++) await announceFrom(client(), key(1))
    const { values } = await client().values(node, 'get_peers', { info_hash: key(1) })
    expect((values as Uint8Array[]).length).toBe(2)
  })

  it('get_peers answers hold every network before a second peer of any: a crowd announced last fills one slot', async () => {
    start()
    for (let n = 0; n < 60; n++) expect(await announceFrom(client(`172.16.${n}.1`), key(1))).toBe('ok')
    for (let n = 0; n < 30; n++) expect(await announceFrom(client(`192.0.2.${n}`), key(1))).toBe('ok')
    expect(node.stats().storage.peers).toBe(60 + DEFAULT_LIMITS.maxPeersPerPrefixPerKey)
    const { values } = await client().values(node, 'get_peers', { info_hash: key(1) })
    const hosts = (values as Uint8Array[]).map((bytes) => (decodeCompactPeer(bytes) as PeerAddress).host)
    expect(hosts.length).toBe(DEFAULT_LIMITS.maxPeersPerResponse)
    expect(hosts.filter((host) => host.startsWith('192.0.2.')).length).toBe(1)
  })

  it('items: new targets refused with 202 past maxItems; items expire after 2 hours', async () => {
    start({ limits: { maxItems: 2 } })
    const writer = client()
    const put = async (v: string) => {
      const { token } = await writer.values(node, 'get', { target: key(9) })
      const answer = await writer.ask(node, 'put', { token, v })
      return answer?.kind === 'error' ? answer.code : 'ok'
    }
    expect(await put('one')).toBe('ok')
    expect(await put('two')).toBe('ok')
    expect(await put('three')).toBe(KRPC_ERROR.server)
    expect(node.stats().storage.items).toBe(2)
    await clock.advance(2 * 60 * MINUTE + MINUTE)
    expect(node.stats().storage.items).toBe(0)
    expect(await put('three')).toBe('ok')
  })

  it('incoming queries per second per address: the excess is dropped and counted', async () => {
    start({ limits: { queriesPerSecondPerAddress: 5 } })
    const noisy = client()
    noisy.answerPings = false
    for (let i = 0; i < 8; i++) noisy.send(node, 'find_node', { target: key(1) })
    await clock.advance(1)
    expect(noisy.received.filter((r) => r.message.kind === 'response').length).toBe(5)
    expect(node.stats().dropped['rate-limited']).toBe(3)
    // Another address is not affected, and the window reopens after a second.
    expect((await client().ask(node, 'ping'))?.kind).toBe('response')
    await clock.advance(1000)
    expect((await noisy.ask(node, 'ping'))?.kind).toBe('response')
  })

  it('the rate limiter remembers a bounded number of addresses', async () => {
    start({ limits: { queriesPerSecondPerAddress: 1, maxTrackedAddresses: 2 } })
    const first = client()
    expect((await first.ask(node, 'ping'))?.kind).toBe('response')
    expect(await first.ask(node, 'ping')).toBeUndefined()
    // Two other addresses push the first out of the table: it is forgotten, not kept forever.
    await client().ask(node, 'ping')
    await client().ask(node, 'ping')
    expect((await first.ask(node, 'ping'))?.kind).toBe('response')
  })

  it('outgoing queries in flight are bounded; the rest wait for a slot', async () => {
    start({ limits: { maxPendingQueries: 2 }, queryTimeout: 1000 })
    const silent: PeerAddress[] = Array.from({ length: 5 }, (_, i) => ({ host: `10.9.9.${i + 1}`, port: 6881 }))
    const pings = silent.map((address) => node.ping(address).catch((err: { code: string }) => err.code))
    await clock.advance(1)
    expect(node.stats().queries.inFlight).toBe(2)
    await clock.advance(2000)
    expect(node.stats().queries.inFlight).toBe(2)
    await clock.advance(10_000)
    expect(await Promise.all(pings)).toEqual(Array(5).fill('TIMEOUT'))
    expect(node.stats().queries).toMatchObject({ inFlight: 0, timeouts: 5, sent: 10 })
  })

  it('a waiting query can be aborted', async () => {
    start({ limits: { maxPendingQueries: 1 } })
    const first = node.ping({ host: '10.9.9.1', port: 1 }).catch(() => undefined)
    const controller = new AbortController()
    const second = rejectionCode(node.ping({ host: '10.9.9.2', port: 1 }, { signal: controller.signal }))
    await clock.advance(1)
    controller.abort()
    expect(await second).toBe('ABORTED')
    await clock.advance(10_000)
    await first
  })

  it('pings to check nodes that queried us are bounded', async () => {
    start({ limits: { maxLivenessPings: 3 } })
    const strangers = Array.from({ length: 10 }, () => {
      const stranger = client()
      stranger.answerPings = false
      return stranger
    })
    for (const stranger of strangers) stranger.send(node, 'ping')
    await clock.advance(1)
    const pinged = strangers.filter((s) => s.received.some((r) => r.message.kind === 'query')).length
    expect(pinged).toBe(3)
  })

  it('has documented defaults', () => {
    expect(DEFAULT_LIMITS).toMatchObject({
      maxPacketBytes: 2048,
      peerTtl: 30 * MINUTE,
      itemTtl: 120 * MINUTE,
      maxPeersPerKey: 100,
    })
    expect(() => new DhtNode({ socket: network.createSocket(), limits: { maxItems: -1 } })).toThrow(RangeError)
  })
})
