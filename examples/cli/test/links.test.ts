import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeTorrent, encodeTorrent } from '@mycel/pieces'
import { encodeBencode } from '@mycel/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Background,
  ensureBuilt,
  jsonLines,
  type RunResult,
  Sandbox,
  sha256File,
  startDht,
  startSeeder,
  writeContent,
} from './helpers.js'

const SIZE = 1024 * 1024 + 4321
/** A BitTorrent v1 infohash (SHA-1, 40 hex digits). */
const V1 = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
const V1_LINE =
  /cannot be fetched: mycel finds and checks a share by its v2 infohash, the SHA-256 of an info dictionary .*Merkle root.*, and a v1 infohash is the SHA-1 of a different dictionary .*\(give a v2 magnet link \(magnet:\?xt=urn:btmh:1220\.\.\.\), a v2 infohash of 64 hex digits, or the \.torrent file of a v2 or hybrid torrent\)$/

const sandbox = new Sandbox()
let work: string
let source: string
let seederDir: string
let seeder: Background
let seederAddress: string
let infohash: string

beforeAll(async () => {
  await ensureBuilt()
  const { bootstrap } = await startDht(sandbox)
  work = await sandbox.dir()
  source = join(work, 'film.bin')
  await writeContent(source, SIZE, 3)
  seederDir = join(work, 'seeder')
  const started = await startSeeder(sandbox, source, seederDir, bootstrap)
  seeder = started.seeder
  infohash = String(started.shared.infohash)
  const seeding = await seeder.waitFor('seeding')
  const addresses = seeding.addresses as string[]
  seederAddress = addresses.find((address) => address.startsWith('tcp://127.0.0.1:')) as string
  expect(seederAddress).toBeDefined()
}, 300_000)

afterAll(() => sandbox.cleanup())

/** Options of a leecher that finds no peer by itself: no DHT to join, only --peer. */
function alone(name: string): string[] {
  return ['--data-dir', join(work, name), '--host', '127.0.0.1', '--bootstrap', 'none']
}

/** A failure in one line on stderr, nothing on stdout. */
function oneLine(result: RunResult, status: number): string {
  expect(result.code, result.stderr).toBe(status)
  expect(result.stdout).toBe('')
  const lines = result.stderr.split('\n').filter((line) => line !== '')
  expect(lines, result.stderr).toHaveLength(1)
  return lines[0] as string
}

describe('what mycel get takes', () => {
  it('a v1 infohash or v1 magnet link: says it cannot be fetched, why, and what can; status 2, no node started', async () => {
    for (const link of [V1, `magnet:?xt=urn:btih:${V1}&dn=ubuntu.iso&tr=udp%3A%2F%2Ftracker.example%3A1337`]) {
      const dir = join(work, 'v1')
      const line = oneLine(await sandbox.run(['get', link, '--data-dir', dir]), 2)
      expect(line).toMatch(/^mycel: a BitTorrent v1 link cannot be fetched/)
      expect(line).toMatch(V1_LINE)
      expect(line).not.toMatch(/does not start with/)
      expect(existsSync(dir)).toBe(false) // refused before the node started
      const json = await sandbox.run(['get', link, '--data-dir', dir, '--json'])
      expect(json.code).toBe(2)
      expect(JSON.parse(json.stderr).error.code).toBe('V1_ONLY')
    }
  })

  it('a .torrent file made by mycel export: downloads it from a seeder given with --peer', async () => {
    const torrent = join(work, 'film.torrent')
    const exported = await sandbox.run(['export', infohash, '-o', torrent, '--data-dir', seederDir, '--json'])
    expect(exported.code, exported.stderr).toBe(0)
    const out = join(work, 'from-torrent')
    const result = await sandbox.run(
      ['get', torrent, '--peer', seederAddress, '-o', out, ...alone('leecher-torrent'), '--json', '--timeout', '30'],
      { timeoutMs: 120_000 },
    )
    expect(result.code, result.stderr).toBe(0)
    const events = jsonLines(result.stdout)
    expect(events.find((event) => event.event === 'torrent')).toMatchObject({
      path: torrent,
      infohash,
      infohashV1: null,
      name: 'film.bin',
      totalBytes: SIZE,
      trackers: [],
      trackersLeftOut: [],
    })
    expect(events.find((event) => event.event === 'done')).toMatchObject({ infohash, totalBytes: SIZE })
    expect(await sha256File(join(out, 'film.bin'))).toBe(await sha256File(source))
  })

  it('a .torrent file needs no peer for its metadata; its trackers are asked (those a node cannot use are left out, with a note)', async () => {
    const { manifest } = decodeTorrent(await readFile(join(work, 'film.torrent')))
    const withTrackers = join(work, 'trackers.torrent')
    // Trackers that cannot answer (port 1 of this machine), and a WebTorrent one mycel cannot use.
    const trackers = ['http://127.0.0.1:1/announce', 'udp://127.0.0.1:1']
    await writeFile(
      withTrackers,
      encodeTorrent(manifest, { announce: trackers[0], announceList: [trackers, ['wss://tracker.example']] }).bytes,
    )
    const out = join(work, 'no-peer')
    // No DHT, no --peer, dead trackers: the download cannot get anything, but it knows the share from the file at once.
    const json = await sandbox.run([
      'get',
      withTrackers,
      '-o',
      out,
      ...alone('leecher-alone'),
      '--json',
      '--timeout',
      '1',
    ])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stderr).error.code).toBe('NO_PEERS')
    const events = jsonLines(json.stdout)
    expect(events.find((event) => event.event === 'torrent')).toMatchObject({
      trackers: [trackers],
      trackersLeftOut: ['wss://tracker.example'],
    })
    expect(events.find((event) => event.event === 'metadata')).toMatchObject({
      infohash,
      name: 'film.bin',
      totalBytes: SIZE,
      pieceCount: manifest.pieceCount,
    })
    const text = await sandbox.run(['get', withTrackers, '-o', out, ...alone('leecher-alone'), '--timeout', '1'])
    expect(text.stderr).toContain(`finding peers through 2 trackers of ${withTrackers} too`)
    expect(text.stderr).toContain(
      `1 tracker(s) of ${withTrackers} are left out: mycel announces to http://, https:// and udp:// trackers only`,
    )
  })

  it('a hybrid .torrent file: its v2 half names the share', async () => {
    const hybrid = join(work, 'hybrid.torrent')
    const exported = await sandbox.run([
      'export',
      infohash,
      '--hybrid',
      '-o',
      hybrid,
      '--data-dir',
      seederDir,
      '--json',
    ])
    expect(exported.code, exported.stderr).toBe(0)
    const written = jsonLines(exported.stdout)[0] as Record<string, unknown>
    const result = await sandbox.run(['get', hybrid, ...alone('leecher-hybrid'), '--json', '--timeout', '1'])
    expect(result.code).toBe(1) // no peer seeds the hybrid share: it is a share of its own
    const events = jsonLines(result.stdout)
    expect(events.find((event) => event.event === 'torrent')).toMatchObject({
      infohash: written.infohash,
      infohashV1: written.infohashV1,
      name: 'film.bin',
    })
    expect(events.find((event) => event.event === 'metadata')).toMatchObject({ infohash: written.infohash })
  })

  it('a v1-only .torrent file, a missing one, and text that is none of these', async () => {
    const v1 = join(work, 'v1.torrent')
    const info = { name: 'old.iso', 'piece length': 16384, length: 20_000, pieces: new Uint8Array(40) }
    await writeFile(v1, encodeBencode({ announce: 'http://tracker.example/announce', info }))
    const line = oneLine(await sandbox.run(['get', v1, '--data-dir', join(work, 'v1')]), 2)
    expect(line).toMatch(new RegExp(`^mycel: ${v1} is a BitTorrent v1 torrent, which cannot be fetched: `))
    expect(line).toMatch(V1_LINE)
    const garbage = join(work, 'garbage.torrent')
    await writeFile(garbage, 'not bencode')
    expect(oneLine(await sandbox.run(['get', garbage, '--data-dir', join(work, 'v1')]), 1)).toMatch(
      new RegExp(`^mycel: ${garbage} is not a usable \\.torrent file: `),
    )
    const missing = join(work, 'missing.torrent')
    expect(oneLine(await sandbox.run(['get', missing, '--data-dir', join(work, 'v1')]), 1)).toBe(
      `mycel: no such file: ${missing} (check the path)`,
    )
    expect(oneLine(await sandbox.run(['get', 'abc123', '--data-dir', join(work, 'v1')]), 2)).toMatch(
      /^mycel: not a magnet link, infohash or \.torrent file: "abc123" \(give a v2 magnet link/,
    )
    expect(existsSync(join(work, 'v1'))).toBe(false)
  })
})
