import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { crc32c, isExemptAddress } from '../src/bep42.js'
import { ExternalAddressVotes } from '../src/external-address.js'
import {
  DhtNode,
  encodeCompactPeer,
  idToHex,
  isSecureNodeId,
  type RoutingTableSnapshot,
  randomNodeId,
  secureNodeId,
} from '../src/index.js'
import { ManualClock, MemoryNetwork } from '../src/testing.js'
import { bindUdpSocket } from '../src/udp.js'
import { RawClient } from './raw-client.js'

const closing: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const item of closing.splice(0)) await item.close()
})

/** An id whose last byte (and so the 3 random bits BEP 42 uses) is `last`, the rest zeros. */
const endingIn = (last: number) => () => {
  const bytes = new Uint8Array(20)
  bytes[19] = last
  return bytes
}
const prefixBits = (id: Uint8Array) => ((id[0] as number) << 13) | ((id[1] as number) << 5) | ((id[2] as number) >> 3)

describe('BEP 42 node ids', () => {
  it('hashes with CRC-32C (the standard check value)', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
  })

  it("gives the ids of BEP 42's examples", () => {
    // IP, random byte, first three bytes of the example id (the low 3 bits of the third are random)
    const examples: [string, number, number][] = [
      ['124.31.75.21', 1, 0x5fbfbf],
      ['21.75.31.124', 86, 0x5a3ce9],
      ['65.23.51.170', 22, 0xa5d432],
      ['84.124.73.14', 65, 0x1b0321],
      ['43.213.53.83', 90, 0xe56f6c],
    ]
    for (const [ip, random, prefix] of examples) {
      const id = secureNodeId(ip, endingIn(random))
      expect(prefixBits(id)).toBe(prefix >> 3)
      expect(id[19]).toBe(random)
      expect(isSecureNodeId(id, ip)).toBe(true)
    }
  })

  it('checks ids made for an address, and refuses them with any of the 21 bits changed (IPv4 and IPv6)', () => {
    const address = fc.oneof(
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
    )
    const random = fc.uint8Array({ minLength: 20, maxLength: 20 })
    fc.assert(
      fc.property(address, random, fc.integer({ min: 0, max: 20 }), (ip, bytes, bit) => {
        const id = secureNodeId(ip, () => bytes.slice())
        expect(isSecureNodeId(id, ip)).toBe(true)
        expect(id.subarray(3)).toEqual(bytes.subarray(3)) // the rest stays random
        const changed = id.slice()
        changed[bit >> 3] = (changed[bit >> 3] as number) ^ (0x80 >> (bit & 7))
        expect(isSecureNodeId(changed, ip)).toBe(false)
      }),
    )
  })

  it('refuses what is not an address or not an id', () => {
    expect(() => secureNodeId('example.org')).toThrow(TypeError)
    expect(isSecureNodeId(new Uint8Array(19), '203.0.113.1')).toBe(false)
    expect(isSecureNodeId(secureNodeId('203.0.113.1'), 'not an ip')).toBe(false)
  })

  it('exempts local networks only', () => {
    for (const ip of ['10.1.2.3', '127.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.3.4']) {
      expect(isExemptAddress(ip), ip).toBe(true)
    }
    for (const ip of ['::1', 'fd12::1', 'fc00::5', 'fe80::1', 'febf::1']) expect(isExemptAddress(ip), ip).toBe(true)
    for (const ip of ['11.0.0.1', '172.32.0.1', '172.15.0.1', '192.169.0.1', '203.0.113.7', '2001:db8::1', 'fec0::1']) {
      expect(isExemptAddress(ip), ip).toBe(false)
    }
  })
})

describe('our address as others see it', () => {
  const report = (host: string) => encodeCompactPeer({ host, port: 6881 })

  it('is believed once two voters agree, and follows the majority', () => {
    const votes = new ExternalAddressVotes(4)
    expect(votes.report(report('198.51.100.1'), { host: '203.0.113.1', port: 1 })).toBe(false)
    expect(votes.address).toBeUndefined()
    // one public host answering from many ports is one voter
    for (let port = 2; port < 10; port++) votes.report(report('198.51.100.9'), { host: '203.0.113.2', port })
    expect(votes.address).toBeUndefined()
    expect(votes.report(report('198.51.100.1'), { host: '203.0.113.3', port: 1 })).toBe(true)
    expect(votes.address).toBe('198.51.100.1')
    // a tie keeps the address we have; a majority moves it
    votes.report(report('198.51.100.9'), { host: '203.0.113.4', port: 1 })
    expect(votes.address).toBe('198.51.100.1')
    votes.report(report('198.51.100.9'), { host: '203.0.113.5', port: 1 })
    expect(votes.address).toBe('198.51.100.9')
    // reports of the other family or malformed ones are not counted
    expect(votes.report(report('2001:db8::1'), { host: '203.0.113.6', port: 1 })).toBe(false)
    expect(votes.report(new Uint8Array(5), { host: '203.0.113.7', port: 1 })).toBe(false)
    expect(votes.address).toBe('198.51.100.9')
  })

  it('remembers a bounded number of voters, the most recent', () => {
    const votes = new ExternalAddressVotes(4)
    for (let i = 0; i < 64; i++) votes.report(report('198.51.100.1'), { host: `203.0.113.${i}`, port: 1 })
    for (let i = 0; i < 64; i++) votes.report(report('198.51.100.2'), { host: `198.18.0.${i}`, port: 1 })
    expect(votes.address).toBe('198.51.100.2')
  })

  it('is learned from the `ip` of real answers over UDP on 127.0.0.1, and saved in the snapshot', async () => {
    const nodes: DhtNode[] = []
    const first = new DhtNode({ socket: await bindUdpSocket({ host: '127.0.0.1', port: 0 }) })
    nodes.push(first)
    closing.push(first)
    const bootstrap = [`127.0.0.1:${first.address.port}`]
    for (let i = 0; i < 3; i++) {
      const node = new DhtNode({ socket: await bindUdpSocket({ host: '127.0.0.1', port: 0 }), bootstrap })
      closing.push(node)
      nodes.push(node)
      await node.ready()
    }
    const last = nodes[3] as DhtNode
    expect(last.externalAddress).toBe('127.0.0.1')
    expect(last.stats().externalAddress).toBe('127.0.0.1')
    expect(last.snapshot().external).toBe('127.0.0.1')
  })

  it('is sent to every querying node as `ip`, its compact address', async () => {
    const clock = new ManualClock()
    const network = new MemoryNetwork({ clock })
    const node = new DhtNode({ socket: network.createSocket(), clock })
    const client = new RawClient(network, clock, '203.0.113.50')
    closing.push(node, client)
    const answer = await client.ask(node, 'ping')
    expect(answer?.kind).toBe('response')
    expect(answer?.kind === 'response' && answer.ip).toEqual(encodeCompactPeer(client.address))
  })
})

describe('a node that enforces BEP 42 ids', () => {
  it('keeps nodes whose id does not follow their public address out of its routing table', async () => {
    const clock = new ManualClock()
    const network = new MemoryNetwork({ clock })
    const strict = new DhtNode({ socket: network.createSocket({ host: '203.0.113.1' }), clock, enforceNodeIds: true })
    closing.push(strict)
    const joiners = [
      { host: '198.51.100.7', id: randomNodeId(), kept: false },
      { host: '198.51.100.8', id: secureNodeId('198.51.100.8'), kept: true },
      { host: '10.0.0.9', id: randomNodeId(), kept: true }, // a local network: exempt
    ]
    for (const joiner of joiners) {
      const node = new DhtNode({
        socket: network.createSocket({ host: joiner.host }),
        clock,
        id: joiner.id,
        bootstrap: [`203.0.113.1:${strict.address.port}`],
      })
      closing.push(node)
      await clock.run(node.ready())
      // the strict node learns of it both ways: it queried us, and it answers our ping
      await clock.run(strict.ping(node.address).catch(() => undefined))
    }
    const held = new Set(strict.snapshot().nodes.map((node) => node.id))
    for (const joiner of joiners) expect(held.has(idToHex(joiner.id)), joiner.host).toBe(joiner.kept)
  })
})

describe('the id on restart', () => {
  const snapshot = (id: Uint8Array, external?: string): RoutingTableSnapshot => ({
    version: 1,
    id: idToHex(id),
    nodes: [],
    ...(external === undefined ? {} : { external }),
  })

  it('follows BEP 42 for the public address the last run learned', async () => {
    const network = new MemoryNetwork()
    const old = randomNodeId()
    const renewed = new DhtNode({ socket: network.createSocket(), routingTable: snapshot(old, '198.51.100.20') })
    closing.push(renewed)
    expect(isSecureNodeId(renewed.id, '198.51.100.20')).toBe(true)

    const secure = secureNodeId('198.51.100.20')
    const kept = [
      snapshot(secure, '198.51.100.20'), // already follows it
      snapshot(old, '192.168.1.4'), // a local address says nothing
      snapshot(old), // no address known
      snapshot(old, 'not an address'), // a damaged field is ignored
    ]
    for (const routingTable of kept) {
      const node = new DhtNode({ socket: network.createSocket(), routingTable })
      closing.push(node)
      expect(idToHex(node.id)).toBe(routingTable.id)
    }
    const given = randomNodeId()
    const chosen = new DhtNode({
      socket: network.createSocket(),
      id: given,
      routingTable: snapshot(old, '198.51.100.20'),
    })
    closing.push(chosen)
    expect(chosen.id).toEqual(given)
  })
})
