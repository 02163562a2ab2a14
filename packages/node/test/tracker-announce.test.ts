/**
 * What a tracker is told, and when: the share's announce key (never the
 * infohash unless the share chose it), our port, a random tracker peer id,
 * this run's uploaded/downloaded and what is left, the BEP 3 events, the
 * tracker's interval, min interval and tracker id honoured, BEP 12 tiers.
 * The trackers are recording doubles on 127.0.0.1.
 */
import { join } from 'node:path'
import { ManualClock } from '@mycel/dht/testing'
import { discoveryKey } from '@mycel/pieces'
import { MemoryStateStore } from '@mycel/store'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createNode,
  type MycelNode,
  type NodeOptions,
  PEER_ID_PREFIX,
  type ShareKey,
  TrackerClient,
  TrackerPeerSource,
} from '../src/index.js'
import { cleanup, tempDir, writeContent } from './helpers.js'
import { LogRecorder } from './log-recorder.js'
import { announceBody, type HttpTrackerDouble, reply, HttpTrackerDouble as Tracker } from './tracker-doubles.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
const trackers: HttpTrackerDouble[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()))
})

async function folder(): Promise<string> {
  const dir = await tempDir()
  dirs.push(dir)
  return dir
}

async function node(options: Partial<NodeOptions> = {}): Promise<MycelNode> {
  const created = await createNode({ dataDir: await folder(), listen: ['tcp://127.0.0.1:0'], dht: false, ...options })
  nodes.push(created)
  return created
}

async function tracker(handler: Parameters<typeof Tracker.start>[0] = (_, res) => reply(res, announceBody())) {
  const double = await Tracker.start(handler)
  trackers.push(double)
  return double
}

const portOf = (node: MycelNode) => Number(new URL(node.addresses[0] as string).port)
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes)
const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex')

function randomShare(): ShareKey {
  return { infohash: crypto.getRandomValues(new Uint8Array(32)), key: crypto.getRandomValues(new Uint8Array(20)) }
}

describe('what a tracker is told', () => {
  it('a seeder: its discovery key (or truncated infohash if it chose), its port, a random -MY0100- id, left 0, numwant 0', async () => {
    const recording = await tracker()
    const source = await folder()
    await writeContent(join(source, 'a.bin'), 40_000, 1)
    await writeContent(join(source, 'b.bin'), 40_000, 2)
    const seeder = await node({ trackers: [recording.url] })
    const hidden = await seeder.share(join(source, 'a.bin'))
    await recording.received(1)
    const first = recording.requests[0]?.announce
    expect(hex(first?.infohash)).toBe(hex(discoveryKey(hidden.infohash)))
    expect(first).toMatchObject({
      port: portOf(seeder),
      left: 0,
      uploaded: 0,
      downloaded: 0,
      event: 'started',
      numwant: 0,
    })
    expect(text(first?.peerId).startsWith(PEER_ID_PREFIX)).toBe(true)
    expect(text(first?.peerId)).toHaveLength(20)
    expect(recording.requests[0]?.query).not.toContain(seeder.peerId)
    const open = await seeder.share(join(source, 'b.bin'), { announceKey: 'infohash' })
    await recording.received(2)
    expect(hex(recording.requests[1]?.announce?.infohash)).toBe(hex(open.infohash.slice(0, 20)))
    // One tracker peer id for the node; a new one for another node.
    expect(text(recording.requests[1]?.announce?.peerId)).toBe(text(first?.peerId))
    const other = await node({ trackers: [recording.url] })
    await other.share(join(source, 'a.bin'))
    await recording.received(3)
    expect(text(recording.requests[2]?.announce?.peerId)).not.toBe(text(first?.peerId))
  })

  it('a download: started with left unknown, completed at once when done (downloaded = its size, left 0), stopped when removed', async () => {
    const recording = await tracker()
    const source = await folder()
    await writeContent(join(source, 'c.bin'), 200_000, 3)
    const seeder = await node()
    const shared = await seeder.share(join(source, 'c.bin'))
    const leecher = await node()
    const download = leecher.download(shared.magnet, {
      dir: await folder(),
      peers: seeder.addresses,
      trackers: [recording.url],
    })
    await download.done()
    const events = () => recording.requests.map((request) => request.announce?.event)
    await recording.received(2)
    const [started, completed] = recording.requests.map((request) => request.announce)
    expect(started).toMatchObject({ event: 'started', port: portOf(leecher), numwant: 50 })
    // Unknown until the manifest comes; once it has, all of it is left.
    expect([undefined, 200_000]).toContain(started?.left)
    expect(completed).toMatchObject({ event: 'completed', left: 0, downloaded: 200_000 })
    await leecher.remove(shared.infohash)
    await recording.received(3)
    expect(events()).toEqual(['started', 'completed', 'stopped'])
    expect(recording.requests[2]?.announce).toMatchObject({ numwant: 0, downloaded: 200_000 })
  })

  it('says stopped when the node closes (BEP 3), and a tracker that does not answer it does not hold the close', async () => {
    let hang = false
    const recording = await tracker((request, res) => {
      if (hang && request.announce?.event === 'stopped') return // never answered
      reply(res, announceBody())
    })
    const source = await folder()
    await writeContent(join(source, 'e.bin'), 20_000, 5)
    const first = await node({ trackers: [recording.url] })
    const shared = await first.share(join(source, 'e.bin'))
    // Once the tracker answered its started (a second announce this soon takes that answer):
    expect(await first.announce(shared.infohash)).toBe(1)
    await first.close()
    expect(recording.requests.map((request) => request.announce?.event)).toEqual(['started', 'stopped'])
    hang = true
    const second = await node({ trackers: [recording.url] })
    expect(await second.announce((await second.share(join(source, 'e.bin'))).infohash)).toBe(1)
    await second.close()
    await recording.received(4)
    expect(recording.requests[3]?.announce?.event).toBe('stopped')
  })

  it('re-announces at the tracker’s interval, echoing its tracker id', async () => {
    const clock = new ManualClock(Date.now())
    const recording = await tracker((_, res) =>
      reply(res, announceBody([], { interval: 600, trackerId: new TextEncoder().encode('tid-7') })),
    )
    const source = await folder()
    await writeContent(join(source, 'd.bin'), 20_000, 4)
    const seeder = await node({ trackers: [recording.url], clock, state: new MemoryStateStore() })
    await seeder.share(join(source, 'd.bin'))
    await recording.received(1)
    expect(recording.requests[0]?.announce?.trackerId).toBeUndefined()
    await clock.advance(599_000)
    expect(recording.requests).toHaveLength(1)
    await clock.advance(2_000)
    await recording.received(2)
    expect(recording.requests[1]?.announce).toMatchObject({ trackerId: new TextEncoder().encode('tid-7') })
    expect(recording.requests[1]?.announce?.event).toBeUndefined()
  })

  it('a lookup takes the last answer within the tracker’s min interval, and asks again after it', async () => {
    const clock = new ManualClock(1_000_000)
    const recording = await tracker((_, res) =>
      reply(
        res,
        announceBody(
          [
            { host: '192.0.2.1', port: 6881 },
            { host: '2001:db8::1', port: 6882 },
          ],
          { minInterval: 120 },
        ),
      ),
    )
    const source = new TrackerPeerSource([recording.url], { clock })
    const share = randomShare()
    const lookup = async () => {
      const found: string[] = []
      for await (const peer of source.lookup(share, { port: 7000 })) found.push(peer.address)
      return found
    }
    try {
      expect(await source.announce(share, { port: 7000, event: 'started' })).toEqual({
        reached: 1,
        nextAnnounceMs: 1_800_000,
      })
      expect(await lookup()).toEqual(['tcp://192.0.2.1:6881', 'tcp://[2001:db8::1]:6882'])
      // The same announce again within min interval is not sent either.
      expect(await source.announce(share, { port: 7000 })).toEqual({ reached: 1, nextAnnounceMs: 1_800_000 })
      expect(recording.requests).toHaveLength(1)
      await clock.advance(120_000)
      expect(await lookup()).toHaveLength(2)
      expect(recording.requests).toHaveLength(2)
      expect(recording.requests[1]?.announce?.event).toBeUndefined()
    } finally {
      await source.close()
    }
  })

  it('hands on each peer with its place in the tracker’s answer (a rank: mycel-tracker with accounts orders by reputation)', async () => {
    const recording = await tracker((_, res) =>
      reply(
        res,
        announceBody([
          { host: '192.0.2.3', port: 6881 },
          { host: '192.0.2.1', port: 6882 },
          { host: '192.0.2.2', port: 6883 },
        ]),
      ),
    )
    const source = new TrackerPeerSource([recording.url])
    try {
      const found: unknown[] = []
      for await (const peer of source.lookup(randomShare(), { port: 7000 })) found.push(peer)
      expect(found).toEqual([
        { address: 'tcp://192.0.2.3:6881', rank: 0 },
        { address: 'tcp://192.0.2.1:6882', rank: 1 },
        { address: 'tcp://192.0.2.2:6883', rank: 2 },
      ])
    } finally {
      await source.close()
    }
  })

  it('logs a tracker’s warning message once, and takes its answer', async () => {
    const recording = await tracker((_, res) => reply(res, announceBody([], { warning: 'please upgrade' })))
    const log = new LogRecorder('mycel:tracker')
    const source = new TrackerPeerSource([recording.url], { logger: log.logger, clock: new ManualClock(0) })
    try {
      expect(await source.announce(randomShare(), { port: 7000 })).toMatchObject({ reached: 1 })
      expect(await source.announce(randomShare(), { port: 7000 })).toMatchObject({ reached: 1 })
      expect(log.lines.filter((line) => line.includes('please upgrade'))).toHaveLength(1)
      expect(await log.line(/warn.*please upgrade/)).toBeTruthy()
    } finally {
      await source.close()
    }
  })
})

describe('trackers in options', () => {
  it('are checked before anything is opened: a URL the node cannot announce to is TRACKER_URL_INVALID', async () => {
    const code = async (promise: Promise<unknown>) =>
      promise.then(
        () => 'none',
        (error: { code?: string }) => error.code,
      )
    expect(await code(node({ trackers: ['ftp://tracker.example'] }))).toBe('TRACKER_URL_INVALID')
    expect(await code(node({ trackers: [['http://ok.example/announce', 'udp://no-port.example']] }))).toBe(
      'TRACKER_URL_INVALID',
    )
    const ready = await node()
    const source = await folder()
    await writeContent(join(source, 'f.bin'), 1000, 6)
    expect(await code(ready.share(join(source, 'f.bin'), { trackers: ['ftp://x.example'] }))).toBe(
      'TRACKER_URL_INVALID',
    )
    expect(() => ready.download('ab'.repeat(32), { trackers: ['http://user:pw@x.example/a'] })).toThrow(
      /user name or password/,
    )
    expect(() => ready.download('ab'.repeat(32), { trackers: 'http://x.example/a' as never })).toThrow(TypeError)
  })
})

describe('tiers (BEP 12)', () => {
  it('asks a tier in its shuffled order, moves the tracker that answered to its front, and falls through to the next tier', async () => {
    let refuse = false
    const a = await tracker((_, res) => res.destroy())
    const b = await tracker((_, res) => (refuse ? res.destroy() : reply(res, announceBody())))
    const c = await tracker()
    // A "random" that never swaps keeps each tier as written.
    const client = new TrackerClient({ clock: new ManualClock(0) })
    const source = new TrackerPeerSource([[a.url, b.url], c.url], { client, random: () => 0.999 })
    try {
      expect(source.trackers).toEqual([a.url, b.url, c.url])
      expect(await source.announce(randomShare(), { port: 7000 })).toMatchObject({ reached: 1 })
      expect([a.requests.length, b.requests.length, c.requests.length]).toEqual([1, 1, 0])
      expect(source.trackers).toEqual([b.url, a.url, c.url])
      refuse = true
      // b fails now, a backs off: c, of the next tier, answers.
      expect(await source.announce(randomShare(), { port: 7000 })).toMatchObject({ reached: 1 })
      expect([a.requests.length, b.requests.length, c.requests.length]).toEqual([1, 2, 1])
    } finally {
      await source.close()
      await client.close()
    }
  })

  it('shuffles within each tier, never across tiers', () => {
    const tier1 = ['udp://a.example:1', 'udp://b.example:1', 'udp://c.example:1', 'udp://d.example:1']
    const tier2 = ['udp://e.example:1', 'udp://f.example:1']
    const orders = new Set<string>()
    let seed = 1
    for (let i = 0; i < 40; i++) {
      const random = () => {
        seed = (seed * 16807) % 2147483647
        return seed / 2147483647
      }
      const order = new TrackerPeerSource([tier1, tier2], { random }).trackers
      expect(order.slice(0, 4).sort()).toEqual(tier1)
      expect(order.slice(4).sort()).toEqual(tier2)
      orders.add(order.join())
    }
    expect(orders.size).toBeGreaterThan(5)
  })
})
