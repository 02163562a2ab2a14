import { afterEach, describe, expect, it } from 'vitest'
import {
  DEFAULT_LIMITS,
  type DhtNode,
  decodeCompactPeer,
  KRPC_ERROR,
  type PeerAddress,
  randomNodeId,
} from '../src/index.js'
import { createUdpDhtNode } from '../src/udp.js'
import { RawClient } from './raw-client.js'

// One attacker with one IP address (or one /24) against a node that stores a
// key: real UDP sockets on loopback addresses of 127/8, which Linux routes
// without configuration. The node holding the key is 127.0.0.1; the honest
// seeder announces once from 127.1.0.2, another /24.

const HOLDER = '127.0.0.1'
const SEEDER = '127.1.0.2'
const ATTACKER = '127.0.0.66'

let holder: DhtNode
const opened: { close(): Promise<void> }[] = []

async function open<T extends { close(): Promise<void> }>(resource: Promise<T>): Promise<T> {
  const value = await resource
  opened.push(value)
  return value
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((resource) => resource.close()))
})

/**
 * A raw KRPC socket on `host` that plays the attacker: it does not answer
 * pings, so the holder does not put it in its routing table (where the
 * seeder's lookups would wait on it).
 */
async function attackerSocket(host: string): Promise<RawClient> {
  const client = await open(RawClient.udp(host))
  client.answerPings = false
  return client
}

/** Announces `port` under `key` from `client` (token first); 'ok' or the KRPC error code. */
async function announce(client: RawClient, key: Uint8Array, port: number): Promise<'ok' | number> {
  const { token } = await client.values(holder.address, 'get_peers', { info_hash: key })
  const answer = await client.ask(holder.address, 'announce_peer', { info_hash: key, port, token })
  if (answer === undefined) throw new Error('no answer to announce_peer')
  return answer.kind === 'error' ? answer.code : 'ok'
}

/** The peers of one `get_peers` answer of the holder, as `host:port`. */
async function peersOf(key: Uint8Array): Promise<string[]> {
  const reader = await open(RawClient.udp('127.2.0.1'))
  const { values } = await reader.values(holder.address, 'get_peers', { info_hash: key })
  if (!Array.isArray(values)) return []
  return values.map((bytes) => {
    const peer = decodeCompactPeer(bytes as Uint8Array) as PeerAddress
    return `${peer.host}:${peer.port}`
  })
}

/** A seeder: a real DHT node on its own address that announces `key` once, through the holder. */
async function seed(key: Uint8Array): Promise<void> {
  const seeder = await open(
    createUdpDhtNode({ host: SEEDER, port: 0, bootstrap: [`${HOLDER}:${holder.address.port}`] }),
  )
  await seeder.ready()
  expect(await seeder.announce(key, 6881)).toBe(1)
}

describe('one address cannot eclipse a key or fill the stores (real UDP on 127/8)', () => {
  it('150 announces from one IP (many ports, valid tokens) leave the seeder in get_peers answers', async () => {
    holder = await open(createUdpDhtNode({ host: HOLDER, port: 0 }))
    const key = randomNodeId()
    await seed(key)
    // 15 source ports, 10 announces each: 150 peers from one IP, each announce with a valid token.
    const sockets = await Promise.all(Array.from({ length: 15 }, () => attackerSocket(ATTACKER)))
    const results: ('ok' | number)[] = []
    for (const [i, socket] of sockets.entries()) {
      for (let n = 0; n < 10; n++) results.push(await announce(socket, key, 10_000 + i * 10 + n))
    }
    expect(results.every((result) => result === 'ok')).toBe(true) // answered, but not all kept
    const peers = await peersOf(key)
    expect(peers).toContain(`${SEEDER}:6881`)
    const fromAttacker = peers.filter((peer) => peer.startsWith(`${ATTACKER}:`))
    expect(fromAttacker.length).toBeGreaterThan(0)
    expect(fromAttacker.length).toBeLessThanOrEqual(DEFAULT_LIMITS.maxPeersPerIpPerKey)
    expect(holder.stats().storage.peers).toBe(1 + DEFAULT_LIMITS.maxPeersPerIpPerKey)
  })

  it('a whole /24 (30 addresses, 5 ports each) takes at most its share of the key, and the seeder stays', async () => {
    holder = await open(createUdpDhtNode({ host: HOLDER, port: 0 }))
    const key = randomNodeId()
    await seed(key)
    for (let host = 10; host < 40; host++) {
      const client = await attackerSocket(`127.0.0.${host}`)
      for (let n = 0; n < 5; n++) expect(await announce(client, key, 20_000 + n)).toBe('ok')
    }
    const peers = await peersOf(key)
    expect(peers).toContain(`${SEEDER}:6881`)
    expect(peers.filter((peer) => peer.startsWith('127.0.0.')).length).toBe(DEFAULT_LIMITS.maxPeersPerPrefixPerKey)
  })

  it('one IP cannot fill the peer store: new peers past its share are refused, other addresses still store', async () => {
    const share = DEFAULT_LIMITS.maxPeersPerIp
    // A store with room for a little more than one address's share, so that "full" is in reach.
    holder = await open(createUdpDhtNode({ host: HOLDER, port: 0, limits: { maxPeers: share + 10 } }))
    const sockets = await Promise.all(Array.from({ length: 5 }, () => attackerSocket(ATTACKER)))
    const results: ('ok' | number)[] = []
    for (let n = 0; n < share + 50; n++) results.push(await announce(sockets[n % 5] as RawClient, randomNodeId(), 7000))
    expect(results.filter((result) => result === 'ok').length).toBe(share)
    expect(results.slice(share).every((result) => result === KRPC_ERROR.server)).toBe(true)
    expect(holder.stats().storage.peers).toBe(share)
    const key = randomNodeId()
    await seed(key)
    expect(await peersOf(key)).toEqual([`${SEEDER}:6881`])
  })

  it('one IP cannot fill the item store: new items past its share are refused, other addresses still put', async () => {
    const share = DEFAULT_LIMITS.maxItemsPerIp
    holder = await open(createUdpDhtNode({ host: HOLDER, port: 0, limits: { maxItems: share + 10 } }))
    const sockets = await Promise.all(Array.from({ length: 3 }, () => attackerSocket(ATTACKER)))
    const put = async (client: RawClient, v: string) => {
      const { token } = await client.values(holder.address, 'get', { target: randomNodeId() })
      const answer = await client.ask(holder.address, 'put', { token, v })
      return answer?.kind === 'error' ? answer.code : 'ok'
    }
    const results: ('ok' | number)[] = []
    for (let n = 0; n < share + 20; n++) results.push(await put(sockets[n % 3] as RawClient, `junk ${n}`))
    expect(results.filter((result) => result === 'ok').length).toBe(share)
    expect(results.slice(share).every((result) => result === KRPC_ERROR.server)).toBe(true)
    expect(holder.stats().storage.items).toBe(share)
    const honest = await open(RawClient.udp(SEEDER))
    expect(await put(honest, 'a real item')).toBe('ok')
  })
})
