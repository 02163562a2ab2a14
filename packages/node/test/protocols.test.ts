/**
 * Optional protocols on a connection: a feature registers a named protocol
 * and gets its own channel on every connection whose peer speaks it too;
 * the connection never learns its messages. Real nodes on the memory
 * transport, and a hand-driven raw peer for what a hostile one sends.
 */
import { createMemoryNetwork } from '@mycel/transport/testing'
import { encodeGossipBody, type Message, WireError } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { type ConnectionProtocol, GOSSIP_BUDGET, type MycelNode, type PeerInfo, type PeerLink } from '../src/index.js'
import { ProtocolRegistry } from '../src/peer/protocols.js'
import { cleanup, memoryNode, until } from './helpers.js'
import { RawPeer } from './raw-peer.js'

const nodes: MycelNode[] = []
const raws: RawPeer[] = []
afterEach(async () => {
  await Promise.allSettled(raws.splice(0).map((raw) => raw.close()))
  await cleanup(nodes.splice(0), [])
})

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const bytes = (value: string) => new TextEncoder().encode(value)

/** A protocol that answers every message with `<name>:<message>` and records what it heard. */
function echo(name: string, heard: string[]): ConnectionProtocol {
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
    const network = createMemoryNetwork()
    const heardByA: string[] = []
    const heardByB: string[] = []
    const channels: Array<(body: Uint8Array) => boolean> = []
    const a = await memoryNode(network.transport(), {
      protocols: [
        {
          name: 'echo/1',
          open: (channel) => {
            channels.push((body) => channel.send(body))
            return echo('a', heardByA).open(channel)
          },
        },
      ],
    })
    const b = await memoryNode(network.transport(), { protocols: [echo('b', heardByB)] })
    nodes.push(a, b)
    await a.connect(b.addresses[0] as string)
    await until(() => channels.length === 1)
    expect(channels[0]?.(bytes('hi'))).toBe(true)
    await until(() => heardByA.length === 1)
    expect(heardByB).toEqual([`${a.peerId.slice(0, 6)} hi`])
    expect(heardByA).toEqual([`${b.peerId.slice(0, 6)} re:b:hi`])
  })

  it('a message of a protocol the node does not speak is ignored, not fatal', async () => {
    const network = createMemoryNetwork()
    const node = await memoryNode(network.transport())
    nodes.push(node)
    const raw = await RawPeer.dial(network.transport(), node.addresses[0] as string, ['echo/1'])
    raws.push(raw)
    await raw.next('hello')
    const disconnected = new Promise<PeerInfo>((resolve) => node.on('peer-disconnected', resolve))
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
    const closed = await Promise.race([disconnected.then(() => true), new Promise((r) => setTimeout(r, 100, false))])
    expect(closed).toBe(false)
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
    honest.send({ type: 'ext', protocol: 'strict/1', body: new Uint8Array(1) })
    hostile.send({ type: 'ext', protocol: 'strict/1', body: new Uint8Array(2) })
    await until(() => reasons.length === 1)
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
    const network = createMemoryNetwork()
    const a = await memoryNode(network.transport())
    const b = await memoryNode(network.transport())
    const c = await memoryNode(network.transport())
    nodes.push(a, b, c)
    const heardByB: string[] = []
    const heardByC: string[] = []
    b.gossip.subscribe(topic, (payload, from) => heardByB.push(`${from.key === a.peerId} ${text(payload)}`))
    c.gossip.subscribe(bytes('another topic'), (payload) => heardByC.push(text(payload)))
    const opened: string[] = []
    a.gossip.onPeer((peer) => opened.push(peer.key))
    await a.connect(b.addresses[0] as string)
    await a.connect(c.addresses[0] as string)
    await until(() => a.gossip.peers.length === 2)
    expect(opened.sort()).toEqual([b.peerId, c.peerId].sort())
    expect(a.gossip.publish(topic, bytes('version 7'))).toBe(2)
    await until(() => heardByB.length === 1)
    expect(heardByB).toEqual(['true version 7'])
    expect(heardByC).toEqual([]) // not its topic
    const peerB = a.gossip.peers.find((peer) => peer.key === b.peerId) as PeerLink
    expect(a.gossip.sendTo(peerB, topic, bytes('version 8'))).toBe(true)
    await until(() => heardByB.length === 2)
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
