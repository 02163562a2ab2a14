/**
 * Channels under hostile input: forged signatures, replays, oversized or
 * malformed indexes, floods, a seq far in the future; and the gossip bounds
 * (fan-out, relay rate, mesh size, one answer per want). The feed is driven
 * directly with recorded peers and a ManualClock; the last tests send the
 * same attacks from a raw peer over the memory transport to a real node.
 */
import { createItemKeyPair } from '@mycel/dht'
import { ManualClock } from '@mycel/dht/testing'
import { MemoryStateStore } from '@mycel/store'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { decodeGossipBody, encodeBencode, encodeGossipBody, GOSSIP_PROTOCOL } from '@mycel/wire'
import { getDefaultCrypto, randomBytes } from '@mycel/wire/crypto'
import { silentLogger } from '@mycel/wire/log'
import { afterEach, describe, expect, it } from 'vitest'
import { ChannelFeed, type FeedEnvironment } from '../src/channels/feed.js'
import { encodeIndex } from '../src/channels/index-format.js'
import { CHANNEL_LIMITS } from '../src/channels/limits.js'
import {
  type ChannelMessage,
  channelTopic,
  decodeChannelMessage,
  encodeChannelMessage,
} from '../src/channels/messages.js'
import { type ChannelVersion, signVersion } from '../src/channels/version.js'
import type { MycelNode, PeerLink } from '../src/index.js'
import { cleanup, memoryNode, nextEvent } from './helpers.js'
import { RawPeer } from './raw-peer.js'

const crypto = getDefaultCrypto()
const NOW = 1_800_000_000_000

/** A peer link that records nothing itself: the environment records what goes to it. */
function fakePeer(name: string): PeerLink {
  return { key: name, isClosed: false } as unknown as PeerLink
}

interface Harness {
  feed: ChannelFeed
  clock: ManualClock
  sent: Array<{ to: string; message: ChannelMessage }>
  penalised: Array<{ peer: string; reason: string }>
  faults: Array<{ peer: string; reason: string }>
  accepted: ChannelVersion[]
  keys: { secretKey: Uint8Array; publicKey: Uint8Array }
  /** A signed version of an index of `entries` entries (each with `text` bytes of text), at `seq`. */
  version(
    seq: number,
    options?: { entries?: number; text?: number; index?: Uint8Array },
  ): { version: ChannelVersion; index: Uint8Array }
  /** The payload of a `version` message. */
  payload(version: ChannelVersion, index?: Uint8Array): Uint8Array
}

function harness(): Harness {
  const keys = createItemKeyPair()
  const clock = new ManualClock(NOW)
  const sent: Harness['sent'] = []
  const penalised: Harness['penalised'] = []
  const faults: Harness['faults'] = []
  const accepted: ChannelVersion[] = []
  const env: FeedEnvironment = {
    crypto,
    clock,
    wallNow: () => clock.now(),
    log: silentLogger.forComponent('test'),
    send: (peer, message) => {
      sent.push({ to: peer.key, message })
      return true
    },
    penalise: (peer, reason) => penalised.push({ peer: peer.key, reason }),
    fault: (peer, reason) => faults.push({ peer: peer.key, reason }),
    accepted: (_feed, version) => accepted.push(version),
  }
  const feed = new ChannelFeed(keys.publicKey, channelTopic(keys.publicKey, crypto), undefined, env)
  const version: Harness['version'] = (seq, options = {}) => {
    const index =
      options.index ??
      encodeIndex({
        title: 't',
        entries: Array.from({ length: options.entries ?? 1 }, (_, i) => ({
          infohash: (i + 1).toString(16).padStart(64, '0'),
          name: `n${i}`,
          size: i,
          time: i,
          ...(options.text ? { text: 'x'.repeat(options.text) } : {}),
        })),
      })
    return { version: signVersion({ ...keys, seq, index, private: false }, crypto), index }
  }
  const payload: Harness['payload'] = (version, index) =>
    encodeChannelMessage({
      type: 'version',
      seq: version.seq,
      signature: version.signature,
      value: version.value,
      ...(index === undefined ? {} : { index }),
    })
  return { feed, clock, sent, penalised, faults, accepted, keys, version, payload }
}

describe('channel feed: bad input', () => {
  it('refuses a forged signature: the peer is disconnected and nothing is taken', () => {
    const h = harness()
    const { version } = h.version(NOW)
    const forged = Uint8Array.from(version.signature)
    forged[0] = (forged[0] as number) ^ 1
    h.feed.receive(h.payload({ ...version, signature: forged }), fakePeer('mallory'))
    expect(h.faults).toEqual([{ peer: 'mallory', reason: expect.stringMatching(/forged/) }])
    expect(h.accepted).toEqual([])
    // signed by another key
    const other = createItemKeyPair()
    const alien = signVersion(
      { ...other, seq: NOW, index: encodeIndex({ title: 'x', entries: [] }), private: false },
      crypto,
    )
    h.feed.receive(h.payload(alien), fakePeer('eve'))
    expect(h.faults.map((f) => f.peer)).toEqual(['mallory', 'eve'])
    expect(h.feed.latest).toBeUndefined()
  })

  it('refuses a replayed older version from a peer that sent a newer one, and penalises it', () => {
    const h = harness()
    const old = h.version(NOW - 10_000)
    const current = h.version(NOW)
    const peer = fakePeer('replayer')
    h.feed.receive(h.payload(current.version), peer)
    expect(h.feed.latest?.seq).toBe(NOW)
    h.feed.receive(h.payload(old.version), peer)
    expect(h.penalised).toEqual([{ peer: 'replayer', reason: expect.stringMatching(/replayed version/) }])
    expect(h.feed.latest?.seq).toBe(NOW) // never backwards
    // a peer that was merely behind is answered with ours, not penalised
    h.feed.receive(h.payload(old.version), fakePeer('late'))
    expect(h.penalised).toHaveLength(1)
    expect(h.sent.filter((s) => s.to === 'late').map((s) => s.message.seq)).toEqual([NOW])
  })

  it('refuses a seq more than a day in the future', () => {
    const h = harness()
    const future = h.version(NOW + CHANNEL_LIMITS.maxFutureMs + 1)
    h.feed.receive(h.payload(future.version), fakePeer('time-traveller'))
    expect(h.penalised).toEqual([{ peer: 'time-traveller', reason: expect.stringMatching(/in the future/) }])
    expect(h.feed.latest).toBeUndefined()
    const soon = h.version(NOW + 60_000) // clock skew is fine
    h.feed.receive(h.payload(soon.version), fakePeer('ok'))
    expect(h.feed.latest?.seq).toBe(NOW + 60_000)
  })

  it('refuses an oversized index (the message does not decode: disconnected) and one that is not the signed one', () => {
    const h = harness()
    const { version } = h.version(NOW, { entries: 40, text: 100 })
    const huge = new Uint8Array(CHANNEL_LIMITS.maxIndexBytes + 1)
    h.feed.receive(h.payload(version, huge), fakePeer('big'))
    expect(h.faults).toEqual([{ peer: 'big', reason: expect.stringMatching(/malformed/) }])
    const other = h.version(NOW, { entries: 41, text: 100 }).index
    h.feed.receive(h.payload(version, other), fakePeer('swapper'))
    expect(h.penalised).toEqual([
      { peer: 'swapper', reason: expect.stringMatching(/not the one the signed version points at/) },
    ])
    expect(h.accepted).toEqual([])
  })

  it('refuses a malformed index even when the publisher signed it, and malformed messages', () => {
    const h = harness()
    const garbage = h.version(NOW, { index: encodeBencode({ v: 1, n: 't', e: [{ ih: new Uint8Array(5) }] }) })
    h.feed.receive(h.payload(garbage.version), fakePeer('relay'))
    expect(h.penalised).toEqual([{ peer: 'relay', reason: expect.stringMatching(/does not read.*32-byte infohash/) }])
    expect(h.feed.latest).toBeUndefined()
    const tooMany = encodeBencode({
      v: 1,
      n: 't',
      e: Array.from({ length: CHANNEL_LIMITS.maxEntries + 1 }, () => ({ ih: new Uint8Array(32), n: 'a', s: 1, t: 1 })),
    })
    expect(tooMany.length).toBeLessThanOrEqual(CHANNEL_LIMITS.maxIndexBytes)
    const crowded = h.version(NOW + 1, { index: tooMany })
    h.feed.receive(h.payload(crowded.version, crowded.index), fakePeer('crowd'))
    expect(h.penalised.at(-1)).toEqual({ peer: 'crowd', reason: expect.stringMatching(/entries, over 500/) })
    for (const bytes of [
      new Uint8Array([1, 2, 3]),
      encodeBencode({ m: 'v', q: -1 }),
      encodeBencode({ m: 'z', q: 1 }),
    ]) {
      h.feed.receive(bytes, fakePeer('noise'))
    }
    expect(h.faults.map((f) => f.peer)).toEqual(['noise', 'noise', 'noise'])
    expect(h.accepted).toEqual([])
  })

  it('takes at most peerVersionBurst versions of a flood from one peer, then penalises it', () => {
    const h = harness()
    const peer = fakePeer('flooder')
    for (let i = 0; i < 20; i++) h.feed.receive(h.payload(h.version(NOW + i).version), peer)
    expect(h.accepted).toHaveLength(CHANNEL_LIMITS.peerVersionBurst)
    expect(h.penalised).toHaveLength(20 - CHANNEL_LIMITS.peerVersionBurst)
    expect(h.penalised[0]?.reason).toMatch(/faster than/)
  })
})

describe('channel feed: gossip bounds', () => {
  /** A feed whose mesh holds `n` peers that greeted with nothing (want 0). */
  function withMesh(n: number): { h: Harness; peers: PeerLink[] } {
    const h = harness()
    const peers = Array.from({ length: n }, (_, i) => fakePeer(`p${i}`))
    for (const peer of peers) h.feed.receive(encodeChannelMessage({ type: 'want', seq: 0 }), peer)
    return { h, peers }
  }

  it('pushes the index to fanOut peers and the signed item alone to the rest', () => {
    const { h } = withMesh(20)
    const { version, index } = h.version(NOW, { entries: 40, text: 100 }) // not inline
    h.feed.publishLocal(version, index)
    const versions = h.sent.filter((s) => s.message.type === 'version')
    expect(versions).toHaveLength(20)
    const withIndex = versions.filter((s) => s.message.type === 'version' && s.message.index !== undefined)
    expect(withIndex).toHaveLength(CHANNEL_LIMITS.fanOut)
  })

  it('relays at most relayBurst versions at once, then the latest once per interval', async () => {
    const { h } = withMesh(3)
    for (let i = 0; i < 10; i++) {
      const { version, index } = h.version(NOW + i)
      h.feed.publishLocal(version, index)
    }
    const relayed = () => h.sent.filter((s) => s.to === 'p0' && s.message.type === 'version').map((s) => s.message.seq)
    expect(relayed()).toEqual([NOW, NOW + 1, NOW + 2, NOW + 3])
    await h.clock.advance(CHANNEL_LIMITS.relayIntervalMs)
    expect(relayed()).toEqual([NOW, NOW + 1, NOW + 2, NOW + 3, NOW + 9]) // coalesced: the latest
  })

  it('keeps at most maxMeshPeers peers', () => {
    const { h } = withMesh(CHANNEL_LIMITS.maxMeshPeers + 40)
    expect(h.feed.meshPeers).toHaveLength(CHANNEL_LIMITS.maxMeshPeers)
    expect(h.feed.meshPeers.map((p) => p.key)).not.toContain('p0') // the oldest went
  })

  it('answers a want with the index once per version', () => {
    const h = harness()
    const { version, index } = h.version(NOW, { entries: 40, text: 100 })
    h.feed.publishLocal(version, index)
    const asker = fakePeer('asker')
    for (let i = 0; i < 10; i++) h.feed.receive(encodeChannelMessage({ type: 'want', seq: NOW }), asker)
    const answers = h.sent.filter((s) => s.to === 'asker')
    expect(answers).toHaveLength(1)
    expect(answers[0]?.message).toMatchObject({ type: 'version', seq: NOW, index })
  })
})

describe('channels on a real node: a raw peer attacks', () => {
  const nodes: MycelNode[] = []
  const raws: RawPeer[] = []
  afterEach(async () => {
    await Promise.allSettled(raws.splice(0).map((raw) => raw.close()))
    await cleanup(nodes.splice(0), [])
  })

  async function subscribedNode(): Promise<{
    node: MycelNode
    raw: RawPeer
    keys: { secretKey: Uint8Array; publicKey: Uint8Array }
    topic: Uint8Array
  }> {
    const network = createMemoryNetwork()
    const node = await memoryNode(network.transport(), { state: new MemoryStateStore() })
    nodes.push(node)
    const keys = createItemKeyPair()
    await node.channels.subscribe(`mycel://channel/${Buffer.from(keys.publicKey).toString('hex')}`)
    const raw = await RawPeer.dial(network.transport(), node.addresses[0] as string, [GOSSIP_PROTOCOL])
    raws.push(raw)
    await raw.next('hello')
    return { node, raw, keys, topic: channelTopic(keys.publicKey, crypto) }
  }

  it('a forged version: peer-penalised, disconnected, the subscription unchanged', async () => {
    const { node, raw, keys, topic } = await subscribedNode()
    // the node greets the raw peer with a want: it follows the channel
    const greeting = await raw.next('ext')
    expect(decodeChannelMessage(greetingPayload(greeting.body))).toEqual({ type: 'want', seq: 0 })
    const index = encodeIndex({ title: 'fake', entries: [] })
    const version = signVersion(
      { secretKey: randomBytes(32), publicKey: keys.publicKey, seq: Date.now(), index, private: false },
      crypto,
    )
    const penalised = nextEvent(node, 'peer-penalised', { timeoutMs: 10_000 })
    raw.send({
      type: 'ext',
      protocol: GOSSIP_PROTOCOL,
      body: encodeGossipBody({
        topic,
        payload: encodeChannelMessage({
          type: 'version',
          seq: version.seq,
          signature: version.signature,
          value: version.value,
        }),
      }),
    })
    const [event] = await penalised
    expect(event.reason).toMatch(/forged/)
    expect(event.disconnected).toBe(true)
    const [info] = await node.channels.subscriptions()
    expect(info?.seq).toBeUndefined()
  })

  it('a genuine version from a raw peer is taken; a replay after it is penalised without a disconnect', async () => {
    const { node, raw, keys, topic } = await subscribedNode()
    const send = (version: ChannelVersion) =>
      raw.send({
        type: 'ext',
        protocol: GOSSIP_PROTOCOL,
        body: encodeGossipBody({
          topic,
          payload: encodeChannelMessage({
            type: 'version',
            seq: version.seq,
            signature: version.signature,
            value: version.value,
          }),
        }),
      })
    const index = encodeIndex({ title: 'real', entries: [] })
    const old = signVersion({ ...keys, seq: Date.now() - 5000, index, private: false }, crypto)
    const current = signVersion({ ...keys, seq: Date.now(), index, private: false }, crypto)
    const update = nextEvent(node.channels, 'update', { timeoutMs: 10_000 })
    send(current)
    await update
    const penalised = nextEvent(node, 'peer-penalised', { timeoutMs: 10_000 })
    send(old)
    const [event] = await penalised
    expect(event.reason).toMatch(/replayed/)
    expect(event.disconnected).toBe(false)
    const [info] = await node.channels.subscriptions()
    expect(info?.seq).toBe(current.seq)
    expect(info?.title).toBe('real')
  })
})

/** The channel payload of a `gossip/1` message body. */
function greetingPayload(body: Uint8Array): Uint8Array {
  return decodeGossipBody(body).payload
}
