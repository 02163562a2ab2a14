/**
 * Stock BitTorrent clients against the built `mycel-tracker`, each in its
 * own process, on 127.0.0.1: aria2c over HTTP, libtorrent over UDP (a v2
 * torrent: it announces the truncated v2 infohash), and the
 * `bittorrent-tracker` npm client over both.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { toHex } from '@mycel/wire'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { installBittorrentTracker } from './helpers/bittorrent-tracker.js'
import { get, httpScrape } from './helpers/clients.js'
import { collect, ensureBuilt, exited, freePort, Processes, type TrackerProcess } from './helpers/processes.js'
import { Scratch } from './helpers/scratch.js'
import { ARIA2_TRACKER_ONLY, aria2c, libtorrentPython } from './helpers/stock.js'
import { sha256, sharedFile } from './helpers/torrents.js'

const processes = new Processes()
const scratch = new Scratch()
let referenceDir: string

beforeAll(async () => {
  await Promise.all([ensureBuilt(), installBittorrentTracker().then((dir) => (referenceDir = dir))])
}, 600_000)
afterEach(() => processes.cleanup())
afterAll(() => scratch.cleanup())

async function statsOf(tracker: TrackerProcess): Promise<Record<string, unknown> & { totals: Record<string, number> }> {
  const { body } = await get(tracker.base, '/stats')
  return JSON.parse(Buffer.from(body).toString())
}

describe('stock clients against mycel-tracker', () => {
  it('an aria2c seeder and an aria2c leecher find each other only through it over HTTP and complete a transfer', async () => {
    const aria2 = await aria2c()
    const dir = await scratch.dir()
    const tracker = await processes.tracker([
      '--database',
      join(dir, 'tracker.db'),
      '--http',
      '127.0.0.1:0',
      '--udp',
      'none',
    ])
    // aria2 1.36 has no BitTorrent v2, and hashes hybrid info dictionaries its own way: the v1 torrent.
    const { seedDir, leechDir, file, v1, torrentPath } = await sharedFile(
      scratch,
      3_000_000,
      'v1',
      tracker.httpAnnounce,
    )
    const seeder = processes.spawn(aria2, [
      ...ARIA2_TRACKER_ONLY,
      `--dir=${seedDir}`,
      '--check-integrity=true',
      '--seed-ratio=0.0',
      `--listen-port=${await freePort()}`,
      torrentPath,
    ])
    const seederOutput = collect(seeder)
    await expect.poll(async () => (await statsOf(tracker)).seeders, { timeout: 30_000, interval: 200 }).toBe(1)
    const leecher = processes.spawn(aria2, [
      ...ARIA2_TRACKER_ONLY,
      `--dir=${leechDir}`,
      '--seed-time=0',
      `--listen-port=${await freePort()}`,
      torrentPath,
    ])
    const leecherOutput = collect(leecher)
    const code = await exited(leecher, 60_000)
    expect(
      code,
      `${leecherOutput.text()}\n--- seeder:\n${seederOutput.text()}\n--- tracker:\n${tracker.stderr()}`,
    ).toBe(0)
    expect(await sha256(join(leechDir, 'data.bin'))).toBe(await sha256(file))
    // the leecher left with nothing left to download: one completed download; the seeder stays
    await expect.poll(async () => (await statsOf(tracker)).totals.completed, { timeout: 10_000 }).toBe(1)
    expect(await statsOf(tracker)).toMatchObject({ swarms: 1, seeders: 1, leechers: 0 })
    expect(await httpScrape(tracker.base, [v1?.infohash as Uint8Array])).toMatchObject({
      kind: 'scrape',
      files: [{ complete: 1, incomplete: 0, downloaded: 1 }],
    })
  }, 120_000)

  it('a libtorrent seeder and leecher of a v2 torrent find each other only through it over UDP, and scrape it', async () => {
    const python = await libtorrentPython()
    const dir = await scratch.dir()
    const tracker = await processes.tracker([
      '--database',
      join(dir, 'tracker.db'),
      '--http',
      '127.0.0.1:0',
      '--udp',
      '127.0.0.1:0',
    ])
    const { seedDir, leechDir, file, torrent, torrentPath } = await sharedFile(
      scratch,
      2_000_000,
      'v2',
      tracker.udpAnnounce,
    )
    const script = join(import.meta.dirname, 'fixtures', 'libtorrent-swarm.py')
    const swarm = processes.spawn(python, [script, torrentPath, seedDir, leechDir, tracker.udpAnnounce])
    let stderr = ''
    swarm.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const events: Array<Record<string, unknown>> = []
    for await (const line of createInterface({ input: swarm.stdout as NodeJS.ReadableStream })) {
      events.push(JSON.parse(line) as Record<string, unknown>)
    }
    const log = `${JSON.stringify(events)}\n${stderr}\n--- tracker:\n${tracker.stderr()}`
    expect(
      events.find((event) => event.event === 'hashes'),
      log,
    ).toEqual({
      event: 'hashes',
      v1: null,
      v2: toHex(torrent.infohash),
    })
    expect(
      events.filter((event) => event.event === 'tracker-error'),
      log,
    ).toEqual([])
    expect(events, log).toContainEqual({ event: 'reply', who: 'leecher', peers: 1 })
    expect(events, log).toContainEqual({ event: 'scrape', who: 'leecher', complete: 2, incomplete: 0 })
    expect(events.at(-1), log).toEqual({ event: 'end', done: true })
    expect(await sha256(join(leechDir, 'data.bin'))).toBe(await sha256(file))
    // libtorrent announced the v2 infohash truncated to 20 bytes (BEP 52)
    expect(await httpScrape(tracker.base, [torrent.infohash.slice(0, 20)])).toMatchObject({
      files: [{ complete: 2, incomplete: 0, downloaded: 1 }],
    })
    expect((await statsOf(tracker)).totals).toMatchObject({ scrapes_udp: 1, connects_udp: expect.any(Number) })
    expect((await statsOf(tracker)).totals.announces_udp).toBeGreaterThanOrEqual(2)
  }, 120_000)

  for (const transport of ['http', 'udp'] as const) {
    it(`the bittorrent-tracker npm client announces, gets its peer and scrapes over ${transport.toUpperCase()}`, async () => {
      const dir = await scratch.dir()
      const tracker = await processes.tracker([
        '--database',
        join(dir, 'tracker.db'),
        '--http',
        '127.0.0.1:0',
        '--udp',
        '127.0.0.1:0',
      ])
      const announce = transport === 'http' ? tracker.httpAnnounce : tracker.udpAnnounce
      const infohash = toHex(createHash('sha1').update(dir).digest())
      const script = join(import.meta.dirname, 'fixtures', 'bittorrent-tracker-client.mjs')
      const module = join(referenceDir, 'node_modules', 'bittorrent-tracker', 'index.js')
      const client = (port: number, left: number) => {
        const child = processes.spawn(process.execPath, [
          script,
          module,
          announce,
          infohash,
          String(port),
          String(left),
        ])
        const events: Array<Record<string, unknown>> = []
        createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
          events.push(JSON.parse(line)),
        )
        return { child, events }
      }
      const seeder = client(7101, 0)
      await expect.poll(() => seeder.events.some((event) => event.event === 'scrape'), { timeout: 15_000 }).toBe(true)
      expect(seeder.events).toContainEqual({ event: 'update', complete: 1, incomplete: 0 })
      const leecher = client(7102, 1000)
      await expect.poll(() => leecher.events.some((event) => event.event === 'scrape'), { timeout: 15_000 }).toBe(true)
      expect(leecher.events).toContainEqual({ event: 'peer', address: '127.0.0.1:7101' })
      expect(leecher.events).toContainEqual({ event: 'update', complete: 1, incomplete: 1 })
      expect(leecher.events).toContainEqual({ event: 'scrape', complete: 1, incomplete: 1, downloaded: 0 })
      expect(
        [...seeder.events, ...leecher.events].filter((event) => event.event === 'error' || event.event === 'warning'),
      ).toEqual([])
      // on SIGTERM each announces `stopped`: the swarm empties
      seeder.child.kill('SIGTERM')
      leecher.child.kill('SIGTERM')
      await expect.poll(async () => (await statsOf(tracker)).peers, { timeout: 10_000 }).toBe(0)
      expect((await statsOf(tracker)).totals[transport === 'http' ? 'announces_http' : 'announces_udp']).toBe(4)
    }, 60_000)
  }
})
