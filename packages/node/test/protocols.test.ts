/**
 * Optional protocols on a connection: a feature registers a named protocol
 * and gets its own channel on every connection whose peer speaks it too;
 * the connection never learns its messages. Real nodes on the memory
 * transport, and a hand-driven raw peer for what a hostile one sends.
 */
import { createMemoryNetwork } from '@mycel/transport/testing'
import { encodeGossipBody, type Message, WireError } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { type ConnectionProtocol, GOSSIP_BUDGET, type MycelNode, type PeerLink } from '../src/index.js'
import { ProtocolRegistry } from '../src/peer/protocols.js'
import { createTestnet, type NodeTestnet } from '../src/testing.js'
import { cleanup, deferred, memoryNode, nextEvent, Recorded } from './helpers.js'
import { RawPeer } from './raw-peer.js'

const nodes: MycelNode[] = []
const raws: RawPeer[] = []
let net: NodeTestnet | undefined
afterEach(async () => {
  await Promise.allSettled(raws.splice(0).map((raw) => raw.close()))
  await cleanup(nodes.splice(0), [])
  await net?.close()
  net = undefined
})

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const bytes = (value: string) => new TextEncoder().encode(value)

/** A protocol that answers every message with `<name>:<message>` and records what it heard. */
function echo(name: string, heard: Recorded<string>): ConnectionProtocol {
  return {
    name: 'echo/1',
    open: (channel) => ({
      onMessage: (body) => {
        const message = text(body)
        heard.push(`${channel.link.key.slice(0, 6)} ${message}`)
        if (!message.startsWith('re:')) channel.send(bytes(`re:${name}:${message}`))
      },
    }),
  }
}

describe('optional protocols on a connection', () => {
  it('open where both sides speak them, carry their messages both ways, and go out in hello', async () => {
    net = await createTestnet(0, { dht: false })
    const heardByA = new Recorded<string>()
    const heardByB = new Recorded<string>()
    const channel = deferred<(body: Uint8Array) => boolean>()
    const a = await net.add({
      protocols: [
        {
          name: 'echo/1',
          open: (opened) => {
            channel.resolve((body) => opened.send(body))
            return echo('a', heardByA).open(opened)
          },
        },
      ],
    })
    const b = await net.add({ protocols: [echo('b', heardByB)] })
    await a.connect(net.address(b))
    const send = await channel.promise
    expect(send(bytes('hi'))).toBe(true)
    await heardByA.count(1)
    expect(heardByB.items).toEqual([`${a.peerId.slice(0, 6)} hi`])
    expect(heardByA.items).toEqual([`${b.peerId.slice(0, 6)} re:b:hi`])
  })

  it('a message of a protocol the node does not speak is ignored, not fatal', async () => {
    const network = createMemoryNetwork()
    const node = await memoryNode(network.transport())
    nodes.push(node)
    const raw = await RawPeer.dial(network.transport(), node.addresses[0] as string, ['echo/1'])
    raws.push(raw)
    await raw.next('hello')
    let disconnected = false
    node.on('peer-disconnected', () => {
      disconnected = true
    })
    raw.send({ type: 'ext', protocol: 'echo/1', body: bytes('anyone?') })
    raw.send({ type: 'ext', protocol: 'never-heard-of/9', body: bytes('x') })
    // A round trip after them: still connected (an unknown share is refused, the connection stays).
    raw.send({ type: 'meta-get', id: 1, infohash: new Uint8Array(32), offset: 0 })
    const answer = await new Promise<Message>((resolve) =>
      raw.on((message) => {
        if (message.type === 'reject') resolve(message)
      }),
    )
    expect(answer).toMatchObject({ type: 'reject', id: 1, code: 'NOT_AVAILABLE' })
    // A second round trip, raced against the connection closing: a node that was closing it after the
    // unknown protocol (its close still on the way) would not answer.
    const second = new Promise<Message>((resolve) =>
      raw.on((message) => {
        if (message.type === 'reject' && message.id === 2) resolve(message)
      }),
    )
    raw.send({ type: 'meta-get', id: 2, infohash: new Uint8Array(32), offset: 0 })
    const connection = raw.connection as NonNullable<RawPeer['connection']>
    expect(await Promise.race([second.then(() => 'answered'), connection.closed.then(() => 'closed')])).toBe('answered')
    expect(disconnected).toBe(false)
    expect(node.peers().map((peer) => peer.peerId)).toEqual([raw.identity.toString()])
  })

  it('a malformed message of a protocol (a WireError from its decoder) closes that one connection', async () => {
    const network = createMemoryNetwork()
    const strict: ConnectionProtocol = {
      name: 'strict/1',
      open: () => ({
        onMessage: (body) => {
          if (body.length !== 1) throw new WireError('MESSAGE_INVALID_FIELD', 'strict/1 messages are one byte')
        },
      }),
    }
    const node = await memoryNode(network.transport(), { protocols: [strict] })
    nodes.push(node)
    const honest = await RawPeer.dial(network.transport(), node.addresses[0] as string, ['strict/1'])
    const hostile = await RawPeer.dial(network.transport(), node.addresses[0] as string, ['strict/1'])
    raws.push(honest, hostile)
    await Promise.all([honest.next('hello'), hostile.next('hello')])
    const reasons: Array<Error | undefined> = []
    node.on('peer-disconnected', (_peer, reason) => reasons.push(reason))
    const disconnected = nextEvent(node, 'peer-disconnected')
    honest.send({ type: 'ext', protocol: 'strict/1', body: new Uint8Array(1) })
    hostile.send({ type: 'ext', protocol: 'strict/1', body: new Uint8Array(2) })
    await disconnected
    expect(reasons).toHaveLength(1)
    expect(reasons[0]).toMatchObject({ code: 'PEER_PROTOCOL' })
    expect(reasons[0]?.message).toMatch(/bad strict\/1 message/)
    expect(node.peers().map((peer) => peer.peerId)).toEqual([honest.identity.toString()])
  })

  it('checks names and refuses a name registered twice', () => {
    const registry = new ProtocolRegistry()
    const open = () => ({ onMessage() {} })
    registry.register({ name: 'pex/1', open })
    expect(() => registry.register({ name: 'pex/1', open })).toThrow(/registered already/)
    expect(() => registry.register({ name: '', open })).toThrow(TypeError)
    expect(() => registry.register({ name: 'x'.repeat(33), open })).toThrow(TypeError)
    expect(() => registry.register({ name: 'with space', open })).toThrow(TypeError)
    const unregister = registry.register({ name: 'gossip/1', open })
    expect(registry.names).toEqual(['pex/1', 'gossip/1'])
    unregister()
    expect(registry.names).toEqual(['pex/1'])
    // Only names both sides list open.
    expect([...registry.open(['gossip/1', 'pex/1', 'pex/1'], () => ({}) as never).keys()]).toEqual(['pex/1'])
  })
})

describe('gossip/1', () => {
  const topic = bytes('channel:abc')

  it('pushes an update to every connected peer that speaks it; subscribers of the topic hear it', async () => {
    net = await createTestnet(3, { dht: false })
    const [a, b, c] = net.nodes as [MycelNode, MycelNode, MycelNode]
    const heardByB = new Recorded<string>()
    const heardByC: string[] = []
    b.gossip.subscribe(topic, (payload, from) => heardByB.push(`${from.key === a.peerId} ${text(payload)}`))
    c.gossip.subscribe(bytes('another topic'), (payload) => heardByC.push(text(payload)))
    const opened = new Recorded<string>()
    a.gossip.onPeer((peer) => opened.push(peer.key))
    await a.connect(net.address(b))
    await a.connect(net.address(c))
    await opened.count(2)
    expect(a.gossip.peers).toHaveLength(2)
    expect(opened.items.sort()).toEqual([b.peerId, c.peerId].sort())
    expect(a.gossip.publish(topic, bytes('version 7'))).toBe(2)
    await heardByB.count(1)
    expect(heardByB.items).toEqual(['true version 7'])
    expect(heardByC).toEqual([]) // not its topic
    const peerB = a.gossip.peers.find((peer) => peer.key === b.peerId) as PeerLink
    expect(a.gossip.sendTo(peerB, topic, bytes('version 8'))).toBe(true)
    await heardByB.count(2)
    expect(heardByB.items).toEqual(['true version 7', 'true version 8'])
  })

  it('takes what onPeer sends at once: the peer hears the greeting', async () => {
    net = await createTestnet(2, { dht: false })
    const [a, b] = net.nodes as [MycelNode, MycelNode]
    const heardByB = new Recorded<string>()
    b.gossip.subscribe(topic, (payload) => heardByB.push(text(payload)))
    a.gossip.onPeer((peer) => a.gossip.sendTo(peer, topic, bytes('latest is 9')))
    await a.connect(net.address(b))
    await heardByB.count(1)
    expect(heardByB.items).toEqual(['latest is 9'])
  })

  it('hears at most GOSSIP_BUDGET.burst messages of one peer at once', async () => {
    const network = createMemoryNetwork()
    const node = await memoryNode(network.transport())
    nodes.push(node)
    let heard = 0
    node.gossip.subscribe(topic, () => heard++)
    const raw = await RawPeer.dial(network.transport(), node.addresses[0] as string, ['gossip/1'])
    raws.push(raw)
    await raw.next('hello')
    const body = encodeGossipBody({ topic, payload: bytes('flood') })
    for (let i = 0; i < GOSSIP_BUDGET.burst * 3; i++) raw.send({ type: 'ext', protocol: 'gossip/1', body })
    raw.send({ type: 'meta-get', id: 1, infohash: new Uint8Array(32), offset: 0 })
    await raw.next('reject')
    expect(heard).toBe(GOSSIP_BUDGET.burst)
  })
})
