import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, Notifications, startDaemon, type TestDaemon } from './daemon-helpers.js'
import { ensureBuilt, Sandbox, sha256File, writeContent } from './helpers.js'

/**
 * Debian's `transmission-remote` (package transmission-cli, installed by
 * scripts/system-deps.sh) driving a real `mycel daemon` over its
 * Transmission RPC.
 */

/** An HTTP tracker URL where nothing listens (port 9, discard). */
const DEAD_TRACKER = 'http://127.0.0.1:9/announce'

const sandbox = new Sandbox()
let seeder: TestDaemon
let leecher: TestDaemon
let album: string
let shared: { infohash: string; magnet: string; name: string }

/** Runs `transmission-remote <daemon> -n mycel:<token> ...args`. */
function remote(daemon: TestDaemon, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { host } = new URL(daemon.url)
  return new Promise((resolve) => {
    execFile(
      'transmission-remote',
      [host, '-n', `mycel:${daemon.token}`, ...args],
      { timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    )
  })
}

/** The live figures of a share as the daemon's JSON-RPC `list` shows them. */
async function listed(daemon: TestDaemon, infohash: string) {
  const shares = await call<{ infohash: string; status: string; live: unknown }[]>(daemon, 'list')
  return shares.find((share) => share.infohash === infohash)
}

beforeAll(async () => {
  await ensureBuilt()
  const work = await sandbox.dir('mycel-tr-work-')
  album = join(work, 'album')
  await mkdir(album)
  await writeContent(join(album, 'a.bin'), 700_000, 31)
  await writeContent(join(album, 'b.bin'), 300_000, 32)
  ;[seeder, leecher] = await Promise.all([
    startDaemon(sandbox, await sandbox.dir('mycel-tr-a-')),
    startDaemon(sandbox, await sandbox.dir('mycel-tr-b-')),
  ])
  shared = await call(seeder, 'share', { path: album })
}, 300_000)

afterAll(() => sandbox.cleanup())

describe('Transmission RPC, driven by transmission-remote', () => {
  it('answers a request without the session id with 409 and the id, as Transmission does', async () => {
    const headers = { authorization: `Basic ${Buffer.from(`mycel:${leecher.token}`).toString('base64')}` }
    const body = JSON.stringify({ method: 'session-stats' })
    const first = await fetch(`${leecher.url}/transmission/rpc`, { method: 'POST', headers, body })
    expect(first.status).toBe(409)
    const id = first.headers.get('x-transmission-session-id')
    expect(id).toMatch(/^[\w-]{20,}$/)
    const second = await fetch(`${leecher.url}/transmission/rpc`, {
      method: 'POST',
      headers: { ...headers, 'x-transmission-session-id': String(id) },
      body,
    })
    expect(second.status).toBe(200)
    expect(await second.json()).toMatchObject({ result: 'success', arguments: { torrentCount: 0 } })
    const anonymous = await fetch(`${leecher.url}/transmission/rpc`, { method: 'POST', body })
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic')
  })

  it('-si tells the session', async () => {
    const result = await remote(leecher, ['-si'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('RPC version: 16')
    expect(result.stdout).toContain(`Download directory: ${join(leecher.dataDir, 'downloads')}`)
  })

  it('-a adds a magnet link, -l and -t N -i show it downloading to 100%', async () => {
    const notifications = await Notifications.open(leecher)
    const peer = seeder.peerAddress.replace('tcp://', '')
    // a tracker nobody answers at: listed as the share's, the peer in x.pe does the work
    const added = await remote(leecher, ['-a', `${shared.magnet}&x.pe=${peer}&tr=${encodeURIComponent(DEAD_TRACKER)}`])
    expect(added.stdout).toContain('responded: "success"')
    await notifications.waitFor((n) => n.method === 'done' && n.params.infohash === shared.infohash, 60_000)
    notifications.close()
    const list = await remote(leecher, ['-l'])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^\s+1\s+100%\s+.*\balbum$/m)
    const info = await remote(leecher, ['-t', '1', '-i'])
    expect(info.stdout).toContain('Name: album')
    expect(info.stdout).toContain(`Hash: ${shared.infohash}`)
    expect(info.stdout).toContain('Percent Done: 100%')
    expect(info.stdout).toContain(`Location: ${join(leecher.dataDir, 'downloads')}`)
    // the share's tracker, and how its announce went (refused at once: nothing listens there)
    let trackers = await remote(leecher, ['-t', '1', '-it'])
    for (let tries = 0; tries < 50 && !trackers.stdout.includes('Got an error'); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      trackers = await remote(leecher, ['-t', '1', '-it'])
    }
    expect(trackers.stdout).toMatch(/Tracker 0: 127\.0\.0\.1:9\b/)
    expect(trackers.stdout).toMatch(/Got an error ".*127\.0\.0\.1:9\/announce/)
    const peers = await remote(leecher, ['-t', '1', '-ip'])
    expect(peers.stdout).toMatch(/^127\.0\.0\.1\s+E\s/m)
    expect(peers.stdout).toContain('mycel')
    const files = await remote(leecher, ['-t', '1', '-f'])
    expect(files.stdout).toMatch(/album\/a\.bin/)
    expect(files.stdout).toMatch(/album\/b\.bin/)
    const downloaded = join(leecher.dataDir, 'downloads', 'album')
    expect(await sha256File(join(downloaded, 'a.bin'))).toBe(await sha256File(join(album, 'a.bin')))
  })

  it('-t N -S stops it and -t N -s starts it again', async () => {
    expect((await remote(leecher, ['-t', '1', '-S'])).stdout).toContain('success')
    expect((await listed(leecher, shared.infohash))?.live).toBeNull()
    expect((await remote(leecher, ['-l'])).stdout).toMatch(/^\s+1\s+.*Stopped\s+album$/m)
    expect((await remote(leecher, ['-t', '1', '-s'])).stdout).toContain('success')
    expect((await listed(leecher, shared.infohash))?.live).not.toBeNull()
    expect((await remote(leecher, ['-l'])).stdout).not.toContain('Stopped')
  })

  it('-t N -r removes it and keeps its files; --remove-and-delete is refused', async () => {
    const deleting = await remote(leecher, ['-t', '1', '--remove-and-delete'])
    expect(deleting.stdout + deleting.stderr).toContain('mycel does not delete files')
    expect(await listed(leecher, shared.infohash)).toBeDefined()
    expect((await remote(leecher, ['-t', '1', '-r'])).stdout).toContain('success')
    expect(await listed(leecher, shared.infohash)).toBeUndefined()
    expect((await remote(leecher, ['-l'])).stdout).not.toContain('album')
    expect(existsSync(join(leecher.dataDir, 'downloads', 'album', 'a.bin'))).toBe(true)
  })

  it('-a adds a .torrent file, and -G leaves a file out of the download', async () => {
    const exported = join(await sandbox.dir('mycel-tr-torrent-'), 'album.torrent')
    const result = await sandbox.run(['--data-dir', seeder.dataDir, 'export', shared.infohash, '-o', exported])
    expect(result.code).toBe(0)
    // a daemon with no peer of the share: nothing arrives while the selection changes
    const lonely = await startDaemon(sandbox, await sandbox.dir('mycel-tr-c-'))
    expect((await remote(lonely, ['-a', exported])).stdout).toContain('success')
    const before = await remote(lonely, ['-t', '1', '-f'])
    expect(before.stdout).toMatch(/^\s+1: .* Yes .*album\/b\.bin$/m)
    expect((await remote(lonely, ['-t', '1', '-G', '1'])).stdout).toContain('success')
    const after = await remote(lonely, ['-t', '1', '-f'])
    expect(after.stdout).toMatch(/^\s+0: .* Yes .*album\/a\.bin$/m)
    expect(after.stdout).toMatch(/^\s+1: .* No .*album\/b\.bin$/m)
    const files = await call<{ path: string; wanted: boolean }[]>(lonely, 'files', { infohash: shared.infohash })
    expect(files).toEqual([
      { path: 'a.bin', length: 700_000, wanted: true },
      { path: 'b.bin', length: 300_000, wanted: false },
    ])
  })

  it('-st and -t all -v answer', async () => {
    const stats = await remote(seeder, ['-st'])
    expect(stats.code).toBe(0)
    expect(stats.stdout).toContain('CURRENT SESSION')
    expect((await remote(seeder, ['-t', 'all', '-v'])).stdout).toContain('success')
  })
})
