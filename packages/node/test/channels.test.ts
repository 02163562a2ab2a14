/**
 * Channels between real nodes (Noise, gossip/1) on the memory transport,
 * with a simulated DHT: publish, push by gossip, relay, resolve from the
 * DHT, private channels, persistence.
 */
import { ManualClock } from '@mycel/dht/testing'
import { MemoryStateStore } from '@mycel/store'
import { afterEach, describe, expect, it } from 'vitest'
import type { ChannelEntry, ChannelUpdate, MycelNode } from '../src/core.js'
import { createTestnet, type NodeTestnet, nextEvent } from '../src/testing.js'

let net: NodeTestnet | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

const NO_POLL = { pollInterval: 0 }

function entry(n: number, extra: Partial<ChannelEntry> = {}): ChannelEntry {
  return {
    infohash: n.toString(16).padStart(64, '0'),
    name: `file-${n}.bin`,
    size: 1000 * n,
    time: 1_700_000_000 + n,
    ...extra,
  }
}

/** Resolves with the next update of `node`'s channel `publicKey` that satisfies `filter`. */
function nextUpdate(node: MycelNode, publicKey: string, filter: (update: ChannelUpdate) => boolean = () => true) {
  return nextEvent(node.channels, 'update', {
    filter: (...args: unknown[]) => {
      const update = args[0] as ChannelUpdate
      return update.publicKey === publicKey && filter(update)
    },
    timeoutMs: 20_000,
  }).then((args) => args[0] as ChannelUpdate)
}

describe('channels', () => {
  it('pushes a new version to a connected subscriber by gossip, and entry-added names the new share', async () => {
    net = await createTestnet(0, { dht: false })
    const publisher = await net.add({ channels: NO_POLL })
    const subscriber = await net.add({ channels: NO_POLL })
    const channel = await publisher.channels.create({ title: 'Field recordings' })
    expect(channel.link).toBe(`mycel://channel/${channel.publicKey}`)
    const first = nextUpdate(subscriber, channel.publicKey)
    await subscriber.channels.subscribe(channel.link)
    await subscriber.connect(net.address(publisher))
    expect((await first).seq).toBe(channel.seq) // the greeting on connect
    const added = nextEvent(subscriber.channels, 'entry-added', { timeoutMs: 20_000 })
    const update = nextUpdate(subscriber, channel.publicKey, (u) => u.seq > (channel.seq ?? 0))
    await publisher.channels.publish(channel.publicKey, [entry(1)])
    const [publicKey, added1] = await added
    expect(publicKey).toBe(channel.publicKey)
    expect(added1).toEqual(entry(1))
    const got = await update
    expect(got.source).toBe('gossip')
    expect(got.title).toBe('Field recordings')
    expect(got.entries).toEqual([entry(1)])
    const [info] = await subscriber.channels.subscriptions()
    expect(info?.entries).toEqual([entry(1)])
    expect(info?.owned).toBe(false)
  })

  it('keeps its mesh connections open past the idle timeout, so a late version still arrives by gossip', async () => {
    net = await createTestnet(0, { dht: false })
    const idle = { idleTimeout: 300 }
    const publisher = await net.add({ channels: NO_POLL, limits: idle })
    const subscriber = await net.add({ channels: NO_POLL, limits: idle })
    const stranger = await net.add({ channels: NO_POLL, limits: idle })
    const channel = await publisher.channels.create({ title: 'Quiet channel' })
    const first = nextUpdate(subscriber, channel.publicKey)
    await subscriber.channels.subscribe(channel.link)
    await subscriber.connect(net.address(publisher))
    await first
    // A connection that carries no channel is closed once idle (by either side); the mesh's, idle
    // longer, is kept.
    const strangerGone = nextEvent(stranger, 'peer-disconnected', { timeoutMs: 20_000 })
    await stranger.connect(net.address(publisher))
    await strangerGone
    expect(stranger.peers()).toEqual([])
    expect(subscriber.peers().map((peer) => peer.peerId)).toEqual([publisher.peerId])
    const late = nextUpdate(subscriber, channel.publicKey, (u) => u.seq > (channel.seq ?? 0))
    await publisher.channels.publish(channel.publicKey, [entry(7)])
    expect((await late).source).toBe('gossip')
  })

  it('relays a version along a chain of subscribers (publisher - a - b), with a large index asked by want', async () => {
    net = await createTestnet(0, { dht: false })
    const publisher = await net.add({ channels: NO_POLL })
    const a = await net.add({ channels: NO_POLL })
    const b = await net.add({ channels: NO_POLL })
    const channel = await publisher.channels.create({ title: 'big' })
    await a.channels.subscribe(channel.link)
    await b.channels.subscribe(channel.link)
    const aFirst = nextUpdate(a, channel.publicKey)
    await a.connect(net.address(publisher))
    await aFirst
    const bFirst = nextUpdate(b, channel.publicKey)
    await b.connect(net.address(a))
    await bFirst
    // 40 entries with text: an index of several KiB, which travels beside the item, not in it.
    const entries = Array.from({ length: 40 }, (_, i) => entry(i + 1, { text: 'x'.repeat(100) }))
    const reached = nextUpdate(b, channel.publicKey, (u) => (u.entries?.length ?? 0) === 40)
    await publisher.channels.publish(channel.publicKey, entries)
    const got = await reached
    expect(got.source).toBe('gossip')
    expect(got.peerId).toBe(a.peerId)
    expect(new Set(got.entries?.map((e) => e.infohash))).toEqual(new Set(entries.map((e) => e.infohash)))
  })

  it('resolves a channel from the DHT with no peer connected', async () => {
    net = await createTestnet(0)
    const publisher = await net.add({ channels: NO_POLL })
    const subscriber = await net.add({ channels: NO_POLL })
    const channel = await publisher.channels.create({ title: 'dht' })
    const published = await publisher.channels.publish(channel.publicKey, [entry(7)])
    expect(await publisher.channels.republish(channel.publicKey)).toBeGreaterThan(0)
    const update = nextUpdate(subscriber, channel.publicKey)
    await subscriber.channels.subscribe(channel.link) // its first poll runs at once
    const got = await update
    expect(got.source).toBe('dht')
    expect(got.seq).toBe(published.seq)
    expect(got.entries).toEqual([entry(7)])
    expect(subscriber.peers()).toEqual([])
  })

  it('a private channel: a subscriber without the read key verifies and relays, but reads nothing', async () => {
    net = await createTestnet(0, { dht: false })
    const publisher = await net.add({ channels: NO_POLL })
    const blind = await net.add({ channels: NO_POLL })
    const reader = await net.add({ channels: NO_POLL })
    const channel = await publisher.channels.create({ title: 'secret title', private: true })
    expect(channel.link).toMatch(/^mycel:\/\/channel\/[0-9a-f]{64}#[A-Za-z0-9_-]{43}$/)
    const blindLink = channel.link.slice(0, channel.link.indexOf('#'))
    await blind.channels.subscribe(blindLink)
    await reader.channels.subscribe(channel.link)
    const blindFirst = nextUpdate(blind, channel.publicKey)
    await blind.connect(net.address(publisher))
    await blindFirst
    const readerFirst = nextUpdate(reader, channel.publicKey)
    await reader.connect(net.address(blind)) // only through the blind subscriber
    await readerFirst
    const blindUpdate = nextUpdate(blind, channel.publicKey, (u) => u.seq > (channel.seq ?? 0))
    const readerUpdate = nextUpdate(reader, channel.publicKey, (u) => u.seq > (channel.seq ?? 0))
    await publisher.channels.publish(channel.publicKey, [entry(3, { name: 'diary.txt' })])
    const seen = await blindUpdate
    expect(seen.entries).toBeUndefined()
    expect(seen.title).toBeUndefined()
    const [blindInfo] = await blind.channels.subscriptions()
    expect(blindInfo?.readable).toBe(false)
    expect(blindInfo?.private).toBe(true)
    expect(blindInfo?.entries).toEqual([])
    const read = await readerUpdate
    expect(read.title).toBe('secret title')
    expect(read.entries?.map((e) => e.name)).toEqual(['diary.txt'])
    // the blind subscriber is given the key later: it reads what it holds; a wrong key is refused and not kept
    const wrong = `${blindLink}#${'A'.repeat(42)}E`
    await expect(blind.channels.subscribe(wrong)).rejects.toMatchObject({ code: 'CHANNEL_UNREADABLE' })
    const opened = await blind.channels.subscribe(channel.link)
    expect(opened.readable).toBe(true)
    expect(opened.entries.map((e) => e.name)).toEqual(['diary.txt'])
  })

  it('keeps channels and subscriptions in the state store across a restart', async () => {
    net = await createTestnet(0, { dht: false })
    const state = new MemoryStateStore()
    const first = await net.add({ state, channels: NO_POLL })
    const channel = await first.channels.create({ title: 'kept' })
    await first.channels.publish(channel.publicKey, [entry(1), entry(2)])
    const other = await net.add({ channels: NO_POLL })
    const otherChannel = await other.channels.create({ title: 'theirs' })
    await first.channels.subscribe(otherChannel.link, { policy: { type: 'match', text: 'report' } })
    const key = await first.channels.exportKey(channel.publicKey)
    await first.close()
    const again = await net.add({ state, identity: undefined, channels: NO_POLL })
    const [owned] = await again.channels.list()
    expect(owned?.publicKey).toBe(channel.publicKey)
    expect(owned?.entries.map((e) => e.infohash)).toEqual([entry(1).infohash, entry(2).infohash])
    const subscriptions = await again.channels.subscriptions()
    expect(subscriptions.map((s) => [s.publicKey, s.policy])).toEqual([
      [otherChannel.publicKey, { type: 'match', text: 'report' }],
    ])
    // the exported key makes another node the owner, and it publishes after the last version
    const elsewhere = await net.add({ channels: NO_POLL })
    const imported = await elsewhere.channels.importKey(key)
    expect(imported.owned).toBe(true)
    expect(imported.publicKey).toBe(channel.publicKey)
    await expect(elsewhere.channels.importKey('{"mycelChannelKey":1,"secretKey":"zz"}')).rejects.toMatchObject({
      code: 'CHANNEL_KEY_INVALID',
    })
  })

  it('downloads new entries by policy: max-size takes the small one only', async () => {
    net = await createTestnet(0, { dht: false })
    const publisher = await net.add({ channels: NO_POLL })
    const subscriber = await net.add({ channels: NO_POLL })
    const channel = await publisher.channels.create({ title: 'policy' })
    await subscriber.channels.subscribe(channel.link, { policy: { type: 'max-size', bytes: 5000 } })
    const first = nextUpdate(subscriber, channel.publicKey)
    await subscriber.connect(net.address(publisher))
    await first
    const update = nextUpdate(subscriber, channel.publicKey, (u) => (u.entries?.length ?? 0) === 2)
    await publisher.channels.publish(channel.publicKey, [entry(2), entry(9)]) // 2,000 and 9,000 bytes
    await update
    expect(subscriber.getDownload(entry(2).infohash)).toBeDefined()
    expect(subscriber.getDownload(entry(9).infohash)).toBeUndefined()
  })

  it('a policy download that cannot start (the share is seeded here already) costs nothing: the next update arrives', async () => {
    net = await createTestnet(0, { dht: false })
    const publisher = await net.add({ channels: NO_POLL })
    const subscriber = await net.add({ channels: NO_POLL })
    net.content(subscriber).put('/mine/song.ogg', new Uint8Array(5000).fill(7))
    const mine = await subscriber.share('/mine/song.ogg')
    const channel = await publisher.channels.create({ title: 'overlap' })
    await subscriber.channels.subscribe(channel.link, { policy: { type: 'all' } })
    const first = nextUpdate(subscriber, channel.publicKey)
    await subscriber.connect(net.address(publisher))
    await first
    const overlap = nextUpdate(subscriber, channel.publicKey, (u) => (u.entries?.length ?? 0) === 1)
    await publisher.channels.publish(channel.publicKey, [entry(1, { infohash: mine.infohashHex })])
    await overlap
    const next = nextUpdate(subscriber, channel.publicKey, (u) => (u.entries?.length ?? 0) === 2)
    await publisher.channels.publish(channel.publicKey, [entry(2)])
    await next
    expect(subscriber.getDownload(entry(2).infohash)).toBeDefined()
    expect(subscriber.peers()).toHaveLength(1)
  })

  it('outlives its publisher: a subscriber puts the signed item again before it expires', async () => {
    const clock = new ManualClock(Date.now())
    net = await createTestnet(0, { clock })
    const options = { channels: { pollInterval: 0, wallNow: () => clock.now() } }
    for (let i = 0; i < 3; i++) await net.add() // DHT nodes that store items
    const publisher = await net.add(options)
    const subscriber = await net.add(options)
    const channel = await publisher.channels.create({ title: 'alive' })
    const published = await publisher.channels.publish(channel.publicKey, [entry(5)])
    expect(await net.settle(publisher.channels.republish(channel.publicKey))).toBeGreaterThan(0)
    const first = nextUpdate(subscriber, channel.publicKey)
    await subscriber.channels.subscribe(channel.link)
    expect((await net.settle(first)).seq).toBe(published.seq)
    const publisherDht = net.dhtOf(publisher)
    await publisher.close()
    if (publisherDht !== undefined) net.dhtNetwork?.setOnline(publisherDht.address, false)
    // BEP 44 items live 2 hours without a put; the subscriber puts every 45 minutes.
    for (let minutes = 0; minutes < 180; minutes += 5) await clock.advance(5 * 60_000)
    const late = await net.add(options)
    const update = nextUpdate(late, channel.publicKey)
    await late.channels.subscribe(channel.link)
    const got = await net.settle(update)
    expect(got.source).toBe('dht')
    expect(got.entries).toEqual([entry(5)])
  })
})
