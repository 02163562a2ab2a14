/**
 * mycel nodes with no DHT finding each other only through a real
 * mycel-tracker process, over HTTP and UDP: node-wide trackers, a magnet's
 * `tr`, a `.torrent`'s tiers (the first one dead), the trackers of a
 * download kept across a restart, and the tracker's scrape.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bindUdpSocket } from '@mycel/dht/udp'
import { decodeTorrent, encodeTorrent, parseMagnet } from '@mycel/pieces'
import { MemoryStateStore } from '@mycel/store'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureTrackerBuilt, startTracker, type TrackerProcess } from '../../../test/support/tracker-process.js'
import { createNode, type MycelNode, type NodeOptions, shareKeyOf, TrackerPeerSource } from '../src/index.js'
import { cleanup, sha256, tempDir, writeContent } from './helpers.js'

let tracker: TrackerProcess
beforeAll(async () => {
  await ensureTrackerBuilt()
  tracker = await startTracker()
}, 600_000)
afterAll(() => tracker?.stop())

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

async function folder(): Promise<string> {
  const dir = await tempDir()
  dirs.push(dir)
  return dir
}

/** A node with no DHT, on TCP at 127.0.0.1. */
async function node(options: Partial<NodeOptions> = {}): Promise<MycelNode> {
  const created = await createNode({ dataDir: await folder(), listen: ['tcp://127.0.0.1:0'], dht: false, ...options })
  nodes.push(created)
  return created
}

describe.each(['http', 'udp'] as const)('through mycel-tracker over %s, with no DHT', (kind) => {
  const url = () => tracker[kind]

  it('two nodes with the tracker as their only way find each other and complete a download', async () => {
    const source = await folder()
    const target = await folder()
    const bytes = await writeContent(join(source, 'album.bin'), 500_000, 81)
    const seeder = await node({ trackers: [url()] })
    const share = await seeder.share(join(source, 'album.bin'))
    // The seeder is listed once its announce reached the tracker.
    expect(await seeder.announce(share.infohash)).toBe(1)
    const leecher = await node({ trackers: [url()] })
    expect(share.magnet).not.toContain('tr=')
    await leecher.download(share.magnet, { dir: target }).done()
    expect(sha256(await readFile(join(target, 'album.bin')))).toBe(sha256(bytes))
    expect(leecher.peers().map((peer) => peer.peerId)).toContain(seeder.peerId)
  }, 60_000)

  it('a share’s own trackers go in its magnet (tr), and a leecher with no tracker of its own uses them', async () => {
    const source = await folder()
    const target = await folder()
    const bytes = await writeContent(join(source, 'one.bin'), 300_000, 82)
    const seeder = await node()
    const share = await seeder.share(join(source, 'one.bin'), { trackers: [url()] })
    expect(parseMagnet(share.magnet).trackers).toEqual([url()])
    expect(await seeder.announce(share.infohash)).toBe(1)
    const leecher = await node()
    await leecher.download(share.magnet, { dir: target }).done()
    expect(sha256(await readFile(join(target, 'one.bin')))).toBe(sha256(bytes))
    // The tracker counts the seeder and, once it completed, the leecher as seeders.
    const counts = await new TrackerPeerSource([url()], { bindUdp: (type) => bindUdpSocket({ type }) })
    try {
      const scrape = await counts.scrape(shareKeyOf(share.infohash, 'discovery-key'))
      expect(scrape.tracker).toBe(url())
      expect(scrape.complete + scrape.incomplete).toBeGreaterThanOrEqual(1)
    } finally {
      await counts.close()
    }
  }, 60_000)
})

describe('what a share has: its trackers and its peers', () => {
  it('sharing the same file again with trackers gives a magnet naming them; trackerStatus says how each announce went, sharePeers who is there', async () => {
    const dead = 'http://127.0.0.1:9/announce' // nothing listens on the discard port
    const source = await folder()
    const target = await folder()
    await writeContent(join(source, 'again.bin'), 200_000, 83)
    const seeder = await node()
    const first = await seeder.share(join(source, 'again.bin'))
    expect(parseMagnet(first.magnet).trackers).toEqual([])
    expect(seeder.trackerStatus(first.infohashHex)).toEqual([])
    const again = await seeder.share(join(source, 'again.bin'), { trackers: [dead, tracker.http] })
    expect(again.infohashHex).toBe(first.infohashHex)
    expect(parseMagnet(again.magnet).trackers).toEqual([dead, tracker.http])
    expect(seeder.getShare(first.infohash)?.magnet).toBe(again.magnet)
    // the dead tracker's tier first: it fails, then the next tier answers
    expect(await seeder.announce(again.infohash)).toBe(1)
    const [deadStatus, liveStatus] = seeder.trackerStatus(first.infohash)
    expect(deadStatus).toMatchObject({ url: dead, tier: 0, lastAnnounce: { ok: false, code: 'TRACKER_UNREACHABLE' } })
    expect(deadStatus?.retryAt).toBeGreaterThan(Date.now())
    expect(liveStatus).toMatchObject({ url: tracker.http, tier: 1, lastAnnounce: { ok: true }, retryAt: undefined })
    expect(liveStatus?.lastAnnounce?.intervalMs).toBeGreaterThan(0)
    const leecher = await node()
    await leecher.download(again.magnet, { dir: target }).done()
    expect(leecher.sharePeers(first.infohashHex).map((peer) => peer.peerId)).toContain(seeder.peerId)
    expect(seeder.sharePeers(first.infohashHex).map((peer) => peer.peerId)).toContain(leecher.peerId)
    expect(seeder.sharePeers('ab'.repeat(32))).toEqual([])
    expect(seeder.trackerStatus('ab'.repeat(32))).toEqual([])
  }, 60_000)
})

describe('trackers of a .torrent and of a download', () => {
  it('a .torrent whose first tier is dead: the download falls through to the tracker of the next tier', async () => {
    const source = await folder()
    const target = await folder()
    const bytes = await writeContent(join(source, 'tiers.bin'), 300_000, 83)
    const seeder = await node({ trackers: [tracker.http] })
    const share = await seeder.share(join(source, 'tiers.bin'))
    expect(await seeder.announce(share.infohash)).toBe(1)
    const { bytes: torrentBytes } = encodeTorrent(share.manifest, {
      announceList: [['http://127.0.0.1:1/announce'], [tracker.udp]],
    })
    const torrent = decodeTorrent(torrentBytes)
    const leecher = await node()
    await leecher.addManifest(torrent.manifest)
    await leecher
      .download(torrent.manifest.infohashHex, { dir: target, trackers: torrent.trackerTiers.map((tier) => [...tier]) })
      .done()
    expect(sha256(await readFile(join(target, 'tiers.bin')))).toBe(sha256(bytes))
  }, 60_000)

  it('a download resumed after a restart keeps the trackers it was given', async () => {
    const source = await folder()
    const target = await folder()
    const bytes = await writeContent(join(source, 'later.bin'), 300_000, 84)
    const seederDir = await folder()
    const seederFirst = await node({ dataDir: seederDir })
    const share = await seederFirst.share(join(source, 'later.bin'))
    await seederFirst.close()
    // The leecher starts with the tracker and no seeder, and stops before finding one.
    const dataDir = await folder()
    const state = new RecordingState()
    const first = await node({ dataDir, state })
    first.download(share.magnet, { dir: target, trackers: [tracker.http] })
    await state.recorded
    // Once announced, the download's trackers are saved.
    expect(await first.announce(share.infohash)).toBe(1)
    await first.close()
    // Now a seeder announces to the tracker, and the leecher comes back with no tracker option at all.
    const seeder = await node({ dataDir: seederDir, trackers: [tracker.http] })
    expect(await seeder.announce(share.infohash)).toBe(1)
    const again = await node({ dataDir, state })
    const resumed = again.getDownload(share.infohash)
    expect(resumed).toBeDefined()
    await resumed?.done()
    expect(sha256(await readFile(join(target, 'later.bin')))).toBe(sha256(bytes))
  }, 60_000)
})

/** A memory state store that says when a share is first recorded. */
class RecordingState extends MemoryStateStore {
  private resolveRecorded: () => void = () => {}
  /** Resolves once a share is recorded. */
  readonly recorded = new Promise<void>((resolve) => {
    this.resolveRecorded = resolve
  })

  override async addShare(...args: Parameters<MemoryStateStore['addShare']>) {
    const record = await super.addShare(...args)
    this.resolveRecorded()
    return record
  }
}
