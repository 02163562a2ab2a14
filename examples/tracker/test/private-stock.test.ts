/**
 * A private tracker (the built `mycel-tracker --mode private`) and stock
 * aria2c clients, each in its own process on 127.0.0.1: a user registers
 * and uploads through the JSON API, downloads the `.torrent` with their
 * passkey, and aria2c seeds and leeches with it; a wrong passkey and a
 * revoked one are refused with a `failure reason`.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { api } from './helpers/api.js'
import { get } from './helpers/clients.js'
import { collect, ensureBuilt, exited, freePort, Processes } from './helpers/processes.js'
import { Scratch } from './helpers/scratch.js'
import { ARIA2_TRACKER_ONLY, aria2c } from './helpers/stock.js'
import { sha256, sharedFile } from './helpers/torrents.js'

const processes = new Processes()
const scratch = new Scratch()

beforeAll(() => ensureBuilt(), 600_000)
afterEach(() => processes.cleanup())
afterAll(() => scratch.cleanup())

describe('a private mycel-tracker and aria2c', () => {
  it('serves the passkey in the downloaded .torrent; refuses a wrong and a revoked passkey', async () => {
    const aria2 = await aria2c()
    const dir = await scratch.dir()
    const tracker = await processes.tracker([
      '--mode',
      'private',
      '--database',
      join(dir, 'tracker.db'),
      '--http',
      '127.0.0.1:0',
      '--udp',
      'none',
      '--api',
      '127.0.0.1:0',
      '--debug',
    ])
    const listening = tracker.listening as typeof tracker.listening & { api: Array<{ port: number }> }
    const web = `http://127.0.0.1:${listening.api[0]?.port}`
    const stats = async () => JSON.parse(Buffer.from((await get(tracker.base, '/stats')).body).toString())
    // the web page is served
    const page = await fetch(`${web}/`)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    expect(await page.text()).toContain('/api/v1')
    // aria2 1.36 has no BitTorrent v2: a v1 torrent
    const shared = await sharedFile(scratch, 2_000_000, 'v1', 'http://example.invalid/announce')
    const seeder = (await api(web, 'POST', '/accounts', { json: { name: 'seeder', password: 'seeder password' } })).json
    const leecher = (await api(web, 'POST', '/accounts', { json: { name: 'leecher', password: 'leecher password' } }))
      .json
    const upload = await api(web, 'POST', '/torrents', {
      token: seeder.token,
      body: shared.v1?.bytes as Uint8Array,
    })
    expect(upload.status).toBe(201)
    const infohash = upload.json.torrent.infohash as string
    const torrentFor = async (token: string, name: string) => {
      const file = await api(web, 'GET', `/torrents/${infohash}/torrent`, { token })
      expect(file.status).toBe(200)
      const path = join(dir, name)
      await writeFile(path, file.bytes)
      return path
    }
    const aria = (folder: string, torrent: string, extra: string[] = []) =>
      freePort().then((port) =>
        processes.spawn(aria2, [...ARIA2_TRACKER_ONLY, `--dir=${folder}`, `--listen-port=${port}`, ...extra, torrent]),
      )

    // a wrong passkey: refused, and aria2 shows the tracker's reason; no peer is listed
    const wrongTorrent = join(dir, 'wrong.torrent')
    const good = await torrentFor(seeder.token, 'seeder.torrent')
    await writeFile(
      wrongTorrent,
      Buffer.from(
        (await readFile(good)).toString('latin1').replace(seeder.user.passkey, 'X'.repeat(seeder.user.passkey.length)),
        'latin1',
      ),
    )
    const intruder = await aria(join(dir, 'intruder'), wrongTorrent)
    const intruderOutput = collect(intruder)
    await expect.poll(async () => (await stats()).totals.refused, { timeout: 30_000, interval: 200 }).toBeGreaterThan(0)
    await expect.poll(() => intruderOutput.text(), { timeout: 30_000 }).toContain('unknown or revoked passkey')
    expect((await stats()).peers).toBe(0)
    intruder.kill('SIGKILL')

    // the uploader seeds with their passkey; the leecher downloads with theirs
    const seeding = await aria(shared.seedDir, good, ['--check-integrity=true', '--seed-ratio=0.0'])
    const seederOutput = collect(seeding)
    await expect.poll(async () => (await stats()).seeders, { timeout: 30_000, interval: 200 }).toBe(1)
    const leecherTorrent = await torrentFor(leecher.token, 'leecher.torrent')
    const leeching = await aria(shared.leechDir, leecherTorrent, ['--seed-time=0'])
    const leecherOutput = collect(leeching)
    expect(await exited(leeching, 60_000), `${leecherOutput.text()}\n--- seeder:\n${seederOutput.text()}`).toBe(0)
    expect(await sha256(join(shared.leechDir, 'data.bin'))).toBe(await sha256(shared.file))
    await expect.poll(async () => (await stats()).totals.completed, { timeout: 10_000 }).toBe(1)

    // the leecher's passkey revoked: the same .torrent is refused from now on
    expect((await api(web, 'DELETE', '/me/passkey', { token: leecher.token })).status).toBe(204)
    const refusedBefore = (await stats()).totals.refused as number
    const again = await aria(join(dir, 'again'), leecherTorrent)
    const againOutput = collect(again)
    await expect.poll(() => againOutput.text(), { timeout: 30_000 }).toContain('unknown or revoked passkey')
    expect((await stats()).totals.refused).toBeGreaterThan(refusedBefore)
    expect((await stats()).leechers).toBe(0)
  }, 180_000)
})
