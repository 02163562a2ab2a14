/**
 * The built `mycel-tracker` command: the whitelist commands, whitelist mode,
 * and a restart in the middle of a swarm of aria2c clients (what the
 * clients see, and what the tracker keeps).
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { toHex } from '@mycel/wire'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { announceOf, get, httpAnnounce, httpScrape, id20, UdpClient } from './helpers/clients.js'
import {
  collect,
  ensureBuilt,
  exited,
  freePort,
  Processes,
  TRACKER_BIN,
  type TrackerProcess,
} from './helpers/processes.js'
import { Scratch } from './helpers/scratch.js'
import { ARIA2_TRACKER_ONLY, aria2c } from './helpers/stock.js'
import { sha256, sharedFile } from './helpers/torrents.js'

const processes = new Processes()
const scratch = new Scratch()
beforeAll(ensureBuilt, 600_000)
afterEach(() => processes.cleanup())
afterAll(() => scratch.cleanup())

async function command(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [TRACKER_BIN, ...args])
    return { code: 0, stdout, stderr }
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

async function statsOf(
  tracker: TrackerProcess,
): Promise<{ seeders: number; peers: number; totals: { announces_http: number; completed: number } }> {
  const { body } = await get(tracker.base, '/stats')
  return JSON.parse(Buffer.from(body).toString())
}

describe('mycel-tracker', () => {
  it('whitelist add, ls and rm: a hybrid .torrent registers its v1 and truncated v2 infohashes (one swarm) and its discovery key', async () => {
    const dir = await scratch.dir()
    const database = join(dir, 'tracker.db')
    const { torrent, torrentPath } = await sharedFile(scratch, 100_000, 'hybrid', 'http://127.0.0.1:1/announce')
    const v1 = toHex(torrent.infohashV1 as Uint8Array)
    const v2 = toHex(torrent.infohash.slice(0, 20))
    const added = await command(['whitelist', 'add', torrentPath, 'ab'.repeat(20), '--database', database, '--json'])
    expect(added.code, added.stderr).toBe(0)
    const lines = added.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines[0]).toMatchObject({ name: 'data.bin', infohashes: expect.arrayContaining([v1, v2]) })
    expect(lines[0].infohashes).toHaveLength(3)
    const listed = (await command(['whitelist', 'ls', '--database', database, '--json'])).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(listed).toHaveLength(4)
    expect(listed.find((row) => row.infohash === v2)).toMatchObject({ swarm: v1, name: 'data.bin' })
    expect(listed.find((row) => row.infohash === v1)).toMatchObject({ swarm: v1 })
    const removed = await command(['whitelist', 'rm', v2, '--database', database, '--json'])
    expect(JSON.parse(removed.stdout)).toEqual({ removed: 3 })
    expect((await command(['whitelist', 'ls', '--database', database])).stdout.trim()).toBe('ab'.repeat(20))
    const bad = await command(['whitelist', 'add', join(dir, 'missing.torrent'), '--database', database])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/missing\.torrent: no such file/)
    const usage = await command(['serve', '--mode', 'secret', '--database', database])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/--mode must be open, whitelist or private/)
  }, 60_000)

  it('restarted in the middle of a swarm of aria2c clients in whitelist mode: the clients go on, the counts and the whitelist survive', async () => {
    const aria2 = await aria2c()
    const dir = await scratch.dir()
    const database = join(dir, 'tracker.db')
    const httpPort = await freePort()
    const args = [
      '--database',
      database,
      '--http',
      `127.0.0.1:${httpPort}`,
      '--udp',
      '127.0.0.1:0',
      '--mode',
      'whitelist',
      '--interval',
      '4',
      '--min-interval',
      '1',
    ]
    const { seedDir, leechDir, file, v1, torrentPath } = await sharedFile(
      scratch,
      2_000_000,
      'v1',
      `http://127.0.0.1:${httpPort}/announce`,
    )
    expect((await command(['whitelist', 'add', torrentPath, '--database', database])).code).toBe(0)
    let tracker = await processes.tracker(args)
    expect(await httpAnnounce(tracker.base, announceOf(id20()))).toEqual({
      kind: 'failure',
      reason: 'unregistered torrent',
    })

    const seeder = processes.spawn(aria2, [
      ...ARIA2_TRACKER_ONLY,
      `--dir=${seedDir}`,
      '--check-integrity=true',
      '--seed-ratio=0.0',
      '--bt-tracker-interval=1',
      `--listen-port=${await freePort()}`,
      torrentPath,
    ])
    const seederOutput = collect(seeder)
    await expect.poll(async () => (await statsOf(tracker)).seeders, { timeout: 30_000, interval: 200 }).toBe(1)
    // A slow leecher (128 KiB/s: about 15 s) is in the middle of its download when the tracker restarts.
    const slow = processes.spawn(aria2, [
      ...ARIA2_TRACKER_ONLY,
      `--dir=${join(leechDir)}`,
      '--seed-time=0',
      '--max-download-limit=128K',
      `--listen-port=${await freePort()}`,
      torrentPath,
    ])
    const slowOutput = collect(slow)
    await expect.poll(async () => (await statsOf(tracker)).peers, { timeout: 20_000, interval: 200 }).toBe(2)
    const udp = new UdpClient('127.0.0.1', tracker.listening.udp[0]?.port as number)
    const connectionId = await udp.connect()
    const before = await statsOf(tracker)

    expect(await tracker.stop('SIGTERM')).toBe(0)
    expect(slow.exitCode).toBeNull()
    const stored = await command(['stats', '--database', database, '--json'])
    expect(JSON.parse(stored.stdout)).toMatchObject({ announces_http: before.totals.announces_http })

    tracker = await processes.tracker([
      ...args.slice(0, 4),
      '--udp',
      `127.0.0.1:${tracker.listening.udp[0]?.port}`,
      ...args.slice(6),
    ])
    // a connection id given before the restart is still good (the secret is stored)
    udp.connectionId = connectionId
    expect(await udp.announce(announceOf(v1?.infohash as Uint8Array, { port: 7009 }))).toMatchObject({
      action: 'announce',
    })
    udp.close()
    // the whitelist is still in force; the seeder and the slow leecher announce again
    expect(await httpAnnounce(tracker.base, announceOf(id20()))).toEqual({
      kind: 'failure',
      reason: 'unregistered torrent',
    })
    await expect.poll(async () => (await statsOf(tracker)).seeders, { timeout: 30_000, interval: 200 }).toBe(1)
    const slowCode = await exited(slow, 60_000)
    expect(
      slowCode,
      `${slowOutput.text()}\n--- seeder:\n${seederOutput.text()}\n--- tracker:\n${tracker.stderr()}`,
    ).toBe(0)
    expect(await sha256(join(leechDir, 'data.bin'))).toBe(await sha256(file))

    // a new leecher after the restart finds the seeder through the new process
    const lateDir = await scratch.dir()
    const late = processes.spawn(aria2, [
      ...ARIA2_TRACKER_ONLY,
      `--dir=${lateDir}`,
      '--seed-time=0',
      `--listen-port=${await freePort()}`,
      torrentPath,
    ])
    const lateOutput = collect(late)
    expect(await exited(late, 60_000), lateOutput.text()).toBe(0)
    expect(await sha256(join(lateDir, 'data.bin'))).toBe(await sha256(file))

    const after = await statsOf(tracker)
    expect(after.totals.announces_http).toBeGreaterThan(before.totals.announces_http)
    await expect.poll(async () => (await statsOf(tracker)).totals.completed, { timeout: 10_000 }).toBe(2)
    expect(await httpScrape(tracker.base, [v1?.infohash as Uint8Array])).toMatchObject({
      files: [{ complete: 1, downloaded: 2 }],
    })
    expect(await tracker.stop('SIGINT')).toBe(0)
    expect(JSON.parse((await command(['stats', '--database', database, '--json'])).stdout)).toMatchObject({
      completed: 2,
    })
  }, 180_000)
})
