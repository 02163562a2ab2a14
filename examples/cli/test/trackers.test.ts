/**
 * `mycel share --tracker` and `mycel get --tracker` with no DHT to join
 * (`--bootstrap none`): the two find each other only through a real
 * `mycel-tracker` process, over HTTP and UDP; a magnet's `tr` and a
 * `.torrent`'s announce-list are used the same way.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { decodeTorrent, encodeTorrent, parseMagnet } from '@mycel/pieces'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, jsonLines, ROOT, Sandbox, sha256File, writeContent } from './helpers.js'

const sandbox = new Sandbox()
let tracker: ChildProcess | undefined
let httpTracker: string
let udpTracker: string
let trackerBase: string

/** Builds mycel-tracker too (under the lock the CLI build takes). */
async function ensureTrackerBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'mycel-cli-test-build.lock')
  await promisify(execFile)(
    'flock',
    [lock, 'npx', 'turbo', 'run', 'build', '--filter=@mycel/tracker...', '--output-logs=errors-only'],
    { cwd: ROOT, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
  )
}

beforeAll(async () => {
  await ensureBuilt()
  await ensureTrackerBuilt()
  tracker = spawn(
    process.execPath,
    [
      join(ROOT, 'examples/tracker/dist/bin.js'),
      'serve',
      '--json',
      '--quiet',
      '--database',
      ':memory:',
      '--http',
      '127.0.0.1:0',
      '--udp',
      '127.0.0.1:0',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const [line] = await once(createInterface({ input: tracker.stdout as NodeJS.ReadableStream }), 'line')
  const listening = JSON.parse(line as string) as { http: Array<{ port: number }>; udp: Array<{ port: number }> }
  trackerBase = `http://127.0.0.1:${listening.http[0]?.port}`
  httpTracker = `${trackerBase}/announce`
  udpTracker = `udp://127.0.0.1:${listening.udp[0]?.port}`
}, 600_000)

afterAll(async () => {
  await sandbox.cleanup()
  if (tracker !== undefined && tracker.exitCode === null) {
    const exited = once(tracker, 'exit')
    tracker.kill('SIGKILL')
    await exited
  }
})

/** A node on 127.0.0.1 that joins no DHT. */
function noDht(dataDir: string): string[] {
  return ['--data-dir', dataDir, '--host', '127.0.0.1', '--bootstrap', 'none']
}

/** The number of seeders the tracker lists now. */
async function seeders(): Promise<number> {
  const stats = (await (await fetch(`${trackerBase}/stats`)).json()) as { seeders: number }
  return stats.seeders
}

/** Starts `mycel share --tracker` of a new file; resolves once the tracker lists one more seeder. */
async function seed(name: string, size: number, seed: number, trackerArgs: string[]) {
  const work = await sandbox.dir()
  const file = join(work, name)
  await writeContent(file, size, seed)
  const before = await seeders()
  const seeder = sandbox.start(['share', file, ...noDht(join(work, 'seeder')), ...trackerArgs, '--json'])
  const shared = await seeder.waitFor('shared')
  await expect.poll(seeders, { timeout: 20_000, interval: 100 }).toBe(before + 1)
  return { work, file, seeder, shared }
}

describe('mycel with a tracker and no DHT', () => {
  it('share --tracker (HTTP) and get --tracker of the bare infohash find each other through mycel-tracker', async () => {
    const { work, file, seeder, shared } = await seed('over-http.bin', 700_000, 21, ['--tracker', httpTracker])
    // The share's trackers are in its magnet link.
    expect(parseMagnet(String(shared.magnet)).trackers).toEqual([httpTracker])
    const out = join(work, 'out')
    const result = await sandbox.run(
      [
        'get',
        String(shared.infohash),
        '--tracker',
        httpTracker,
        '-o',
        out,
        ...noDht(join(work, 'leecher')),
        '--json',
        '--timeout',
        '30',
      ],
      { timeoutMs: 90_000 },
    )
    expect(result.code, result.stderr).toBe(0)
    expect(jsonLines(result.stdout).find((event) => event.event === 'done')).toMatchObject({ verified: true })
    expect(await sha256File(join(out, 'over-http.bin'))).toBe(await sha256File(file))
    await seeder.stop()
  }, 120_000)

  it('share --tracker (UDP): get of its magnet link alone uses the tr tracker in it', async () => {
    const { work, file, seeder, shared } = await seed('over-udp.bin', 600_000, 22, ['--tracker', udpTracker])
    const magnet = String(shared.magnet)
    expect(parseMagnet(magnet).trackers).toEqual([udpTracker])
    const out = join(work, 'out')
    const result = await sandbox.run(['get', magnet, '-o', out, ...noDht(join(work, 'leecher')), '--timeout', '30'], {
      timeoutMs: 90_000,
    })
    expect(result.code, result.stderr).toBe(0)
    expect(await sha256File(join(out, 'over-udp.bin'))).toBe(await sha256File(file))
    await seeder.stop()
  }, 120_000)

  it('get of a .torrent whose announce-list has a dead first tier falls through to mycel-tracker', async () => {
    const { work, file, seeder, shared } = await seed('from-torrent.bin', 500_000, 23, ['--tracker', udpTracker])
    const exported = join(work, 'plain.torrent')
    const exporting = await sandbox.run([
      'export',
      String(shared.infohash),
      '-o',
      exported,
      '--data-dir',
      join(work, 'seeder'),
    ])
    expect(exporting.code, exporting.stderr).toBe(0)
    const { manifest } = decodeTorrent(await readFile(exported))
    const torrent = join(work, 'tiers.torrent')
    await writeFile(
      torrent,
      encodeTorrent(manifest, { announceList: [['http://127.0.0.1:1/announce'], [httpTracker]] }).bytes,
    )
    const out = join(work, 'out')
    const result = await sandbox.run(
      ['get', torrent, '-o', out, ...noDht(join(work, 'leecher')), '--json', '--timeout', '30'],
      { timeoutMs: 90_000 },
    )
    expect(result.code, result.stderr).toBe(0)
    const events = jsonLines(result.stdout)
    expect(events.find((event) => event.event === 'torrent')).toMatchObject({
      trackers: [['http://127.0.0.1:1/announce'], [httpTracker]],
    })
    expect(await sha256File(join(out, 'from-torrent.bin'))).toBe(await sha256File(file))
    await seeder.stop()
  }, 120_000)

  it('a --tracker that is not a tracker URL is wrong usage', async () => {
    const work = await sandbox.dir()
    const result = await sandbox.run(['get', 'ab'.repeat(32), '--tracker', 'wss://tracker.example', ...noDht(work)])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(
      /--tracker "wss:\/\/tracker\.example" is not a tracker URL: wss: trackers are not supported/,
    )
  })
})
