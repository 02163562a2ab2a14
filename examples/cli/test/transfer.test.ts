import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeTorrent } from '@mycel/pieces'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Background,
  ensureBuilt,
  jsonLines,
  local,
  type RunResult,
  Sandbox,
  sha256File,
  startDht,
  writeContent,
} from './helpers.js'

const SIZE = 3 * 1024 * 1024 + 12_345

const sandbox = new Sandbox()
let bootstrap: string
let work: string
let source: string
let seederDir: string
let leecherDir: string
let seeder: Background
let infohash: string
let magnet: string
let seederPeerId: string

function json(result: RunResult): Record<string, unknown> {
  expect(result.stderr).toBe('')
  const lines = jsonLines(result.stdout)
  expect(lines).toHaveLength(1)
  return lines[0] as Record<string, unknown>
}

beforeAll(async () => {
  await ensureBuilt()
  ;({ bootstrap } = await startDht(sandbox))
  work = await sandbox.dir()
  source = join(work, 'album.bin')
  await writeContent(source, SIZE, 7)
  seederDir = join(work, 'seeder')
  leecherDir = join(work, 'leecher')
}, 300_000)

afterAll(() => sandbox.cleanup())

describe('mycel share and mycel get, as separate processes', () => {
  it('share prints the magnet link and infohash, and announces the share', async () => {
    seeder = sandbox.start(['share', source, ...local(seederDir, bootstrap), '--json'])
    const shared = await seeder.waitFor('shared')
    infohash = String(shared.infohash)
    magnet = String(shared.magnet)
    expect(infohash).toMatch(/^[0-9a-f]{64}$/)
    expect(magnet).toBe(`magnet:?xt=urn:btmh:1220${infohash}&dn=album.bin`)
    expect(shared).toMatchObject({ name: 'album.bin', path: source, totalBytes: SIZE, files: 1 })
    const seeding = await seeder.waitFor('seeding')
    seederPeerId = String(seeding.peerId)
    const announced = await seeder.waitFor('announced')
    expect(announced.nodes).toBeGreaterThanOrEqual(1)
  })

  it('get downloads by magnet link through the DHT, verifies each piece on arrival, and says where the file is', async () => {
    const result = await sandbox.run([
      'get',
      magnet,
      '-o',
      join(work, 'in'),
      ...local(leecherDir, bootstrap),
      '--json',
      '--timeout',
      '30',
    ])
    expect(result.stderr).toBe('') // --json: no progress bar, no notes
    expect(result.code).toBe(0)
    const events = jsonLines(result.stdout)
    const metadata = events.find((event) => event.event === 'metadata')
    expect(metadata).toMatchObject({ infohash, name: 'album.bin', totalBytes: SIZE, piecesVerified: 0 })
    const done = events.at(-1)
    expect(done).toMatchObject({
      event: 'done',
      infohash,
      path: join(work, 'in', 'album.bin'),
      totalBytes: SIZE,
      verified: true,
      reread: false, // every piece was verified before it was kept: no second read of the copy
      alreadyComplete: false,
      files: null,
    })
    expect(await sha256File(join(work, 'in', 'album.bin'))).toBe(await sha256File(source))
  })

  it('get of an infohash already downloaded verifies the copy and says so', async () => {
    const result = await sandbox.run(['get', infohash, ...local(leecherDir, bootstrap), '--json'])
    expect(result.code).toBe(0)
    expect(jsonLines(result.stdout).at(-1)).toMatchObject({
      event: 'done',
      alreadyComplete: true,
      verified: true,
      reread: true, // the copy may have changed on disk since it was downloaded
      files: null,
    })
  })

  it('ls, search and status reach the running seeder through its control socket', async () => {
    expect(existsSync(join(seederDir, 'control.sock'))).toBe(true)
    const ls = json(await sandbox.run(['ls', '--data-dir', seederDir, '--json']))
    expect(ls.running).toBe(true)
    expect(ls.shares).toEqual([
      expect.objectContaining({ infohash, name: 'album.bin', role: 'seed', status: 'complete', path: source }),
    ])
    // A seed's live figures and all-time bytes (the leecher above took every byte from it).
    const [seed] = ls.shares as { uploaded: number; downloaded: number; live: { peers: number } | null }[]
    expect(seed?.live).toMatchObject({ peers: expect.any(Number), uploadRate: expect.any(Number) })
    expect(seed?.uploaded).toBeGreaterThanOrEqual(SIZE)
    expect(seed?.downloaded).toBe(0)
    const search = json(await sandbox.run(['search', 'ALBUM', '--data-dir', seederDir, '--json']))
    expect(search.hits).toEqual([{ infohash, shareName: 'album.bin', role: 'seed', path: null }])
    const none = json(await sandbox.run(['search', 'holiday', '--data-dir', seederDir, '--json']))
    expect(none.hits).toEqual([])
    const status = json(await sandbox.run(['status', '--data-dir', seederDir, '--json']))
    expect(status).toMatchObject({ running: true, pid: seeder.child.pid, peerId: seederPeerId, dataDir: seederDir })
    expect(status.bytesUploaded).toBeGreaterThanOrEqual(SIZE)
    expect(status.totalUploaded).toBe(seed?.uploaded)
    expect((status.dht as { nodes: number }).nodes).toBeGreaterThanOrEqual(1)
    // known once two DHT nodes have answered (how many did depends on timing)
    expect([null, '127.0.0.1']).toContain((status.dht as { externalAddress: unknown }).externalAddress)
    expect(status.addresses).toEqual([expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/)])
  })

  it('announce re-announces now, found by a prefix of the infohash', async () => {
    const result = json(await sandbox.run(['announce', infohash.slice(0, 12), '--data-dir', seederDir, '--json']))
    expect(result).toMatchObject({ infohash, name: 'album.bin' })
    expect(result.nodes).toBeGreaterThanOrEqual(1)
  })

  it('export writes a v2 .torrent and a hybrid one that decode to the share', async () => {
    const v2File = join(work, 'album.torrent')
    const v2 = json(await sandbox.run(['export', infohash, '-o', v2File, '--data-dir', seederDir, '--json']))
    expect(v2).toMatchObject({ path: v2File, kind: 'v2', infohash, infohashV1: null })
    expect(decodeTorrent(await readFile(v2File)).manifest.infohashHex).toBe(infohash)

    const hybridFile = join(work, 'album-hybrid.torrent')
    const hybrid = json(
      await sandbox.run([
        'export',
        infohash.slice(0, 8),
        '-o',
        hybridFile,
        '--hybrid',
        '--data-dir',
        seederDir,
        '--json',
      ]),
    )
    const decoded = decodeTorrent(await readFile(hybridFile))
    expect(hybrid).toMatchObject({ kind: 'hybrid', share: infohash, infohash: decoded.manifest.infohashHex })
    expect(hybrid.infohash).not.toBe(infohash) // a hybrid info dictionary is another share
    expect(Buffer.from(decoded.infohashV1 ?? []).toString('hex')).toBe(hybrid.infohashV1)
    expect(decoded.manifest.totalLength).toBe(SIZE)

    const again = await sandbox.run(['export', infohash, '-o', v2File, '--data-dir', seederDir])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already exists .*--force/)
  })

  it('ls, status and peers read the stored state when no process runs', async () => {
    const ls = json(await sandbox.run(['ls', '--data-dir', leecherDir, '--json']))
    expect(ls.running).toBe(false)
    expect(ls.shares).toEqual([
      expect.objectContaining({ infohash, role: 'download', status: 'complete', piecesVerified: expect.any(Number) }),
    ])
    const [share] = ls.shares as { piecesVerified: number; pieceCount: number; downloaded: number; live: unknown }[]
    expect(share?.piecesVerified).toBe(share?.pieceCount)
    expect(share?.downloaded).toBe(SIZE) // saved when the get process closed its node
    expect(share?.live).toBeNull()

    const id = json(await sandbox.run(['id', '--data-dir', leecherDir, '--json']))
    expect(id.created).toBe(false)
    const status = json(await sandbox.run(['status', '--data-dir', leecherDir, '--json']))
    expect(status).toMatchObject({
      running: false,
      pid: null,
      peerId: id.peerId,
      connections: 0,
      totalDownloaded: SIZE,
      totalUploaded: 0,
    })
    expect(status.savedDhtNodes).toBeGreaterThanOrEqual(1)

    const peers = await sandbox.run(['peers', '--data-dir', leecherDir])
    expect(peers.code).toBe(0)
    expect(peers.stdout).toMatch(/^no mycel process is running for .*, so no peer is connected$/m)
    const known = json(await sandbox.run(['peers', '--data-dir', leecherDir, '--json']))
    expect(known).toMatchObject({ running: false, connected: [] })
    expect(known.known).toEqual([expect.objectContaining({ peerId: seederPeerId })])
  })

  it('peers lists a leecher that stays to seed (get --seed), which Ctrl-C then stops cleanly', async () => {
    const other = join(work, 'other')
    const stays = sandbox.start([
      'get',
      magnet,
      '-o',
      join(work, 'in2'),
      '--seed',
      ...local(other, bootstrap),
      '--json',
    ])
    await stays.waitFor('done')
    const seeding = await stays.waitFor('seeding')
    const peers = json(await sandbox.run(['peers', '--data-dir', seederDir, '--json']))
    expect(peers.running).toBe(true)
    expect(peers.connected).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ peerId: seeding.peerId, direction: 'in', agent: 'mycel/0.1.0' }),
      ]),
    )
    const ended = await stays.stop('SIGINT')
    expect(ended.code).toBe(0)
    expect(jsonLines(ended.stdout).at(-1)).toEqual({ event: 'stopped', signal: 'SIGINT' })
  })

  it('SIGTERM stops the seeder cleanly: exit 0, control socket removed', async () => {
    const ended = await seeder.stop('SIGTERM')
    expect(ended.code).toBe(0)
    expect(jsonLines(ended.stdout).at(-1)).toEqual({ event: 'stopped', signal: 'SIGTERM' })
    expect(existsSync(join(seederDir, 'control.sock'))).toBe(false)
    const ls = json(await sandbox.run(['ls', '--data-dir', seederDir, '--json']))
    expect(ls.running).toBe(false)
  })

  it('rm forgets a download and keeps its file', async () => {
    const result = json(await sandbox.run(['rm', infohash.slice(0, 6), '--data-dir', leecherDir, '--json']))
    expect(result).toMatchObject({ removed: infohash, name: 'album.bin' })
    const ls = json(await sandbox.run(['ls', '--data-dir', leecherDir, '--json']))
    expect(ls.shares).toEqual([])
    expect(existsSync(join(work, 'in', 'album.bin'))).toBe(true)
  })
})
