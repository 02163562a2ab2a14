/**
 * Credits with no manual step: two `mycel` processes logged in to a real
 * `mycel-tracker --mode private` process (`mycel account register` binds
 * each data folder's peer id). The seeder lists its share (`mycel publish`)
 * and seeds it with the tracker's plain announce URL; the leecher gets its
 * infohash from the tracker. Both announce with signed announce keys (no passkey in any URL),
 * the leecher's node signs receipts as pieces verify, and the seeder's node
 * hands them to the tracker by itself: the API shows the seeder's credits
 * up by the share's size and the leecher's down by it.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureTrackerBuilt, startTracker, type TrackerProcess } from '../../../test/support/tracker-process.js'
import { ensureBuilt, jsonLines, Sandbox, sha256File, writeContent } from './helpers.js'

const sandbox = new Sandbox()
let tracker: TrackerProcess
let web: string

beforeAll(async () => {
  await ensureBuilt()
  await ensureTrackerBuilt()
  tracker = await startTracker(['--mode', 'private'])
  web = tracker.api as string
}, 600_000)

afterAll(async () => {
  await sandbox.cleanup()
  await tracker?.stop()
})

/** A node on 127.0.0.1 that joins no DHT. */
function noDht(dataDir: string): string[] {
  return ['--data-dir', dataDir, '--host', '127.0.0.1', '--bootstrap', 'none']
}

/** The account's figures, as the API gives them. */
async function me(dataDir: string): Promise<{ credits: number; verified: { uploaded: number; downloaded: number } }> {
  const credits = await sandbox.run(['credits', '--data-dir', dataDir, '--json'])
  expect(credits.code, credits.stderr).toBe(0)
  return jsonLines(credits.stdout)[0] as { credits: number; verified: { uploaded: number; downloaded: number } }
}

describe('mycel share --tracker after mycel account login', () => {
  it('hands the receipts of a download to the tracker by itself: the seeder gains what the leecher loses', async () => {
    const work = await sandbox.dir()
    const seederDir = join(work, 'seeder')
    const leecherDir = join(work, 'leecher')
    const file = join(work, 'lecture.bin')
    const size = 2 * 1024 * 1024 + 12_345
    await writeContent(file, size, 41)
    const env = { MYCEL_TRACKER_PASSWORD: 'a long enough password' }
    for (const [name, dataDir] of [
      ['seeder', seederDir],
      ['leecher', leecherDir],
    ] as const) {
      const registered = await sandbox.run(
        ['account', 'register', name, '--tracker', web, '--data-dir', dataDir, '--json'],
        { env },
      )
      expect(registered.code, registered.stderr).toBe(0)
      expect(jsonLines(registered.stdout)[0]).toMatchObject({ name, peerKeyBound: true })
    }

    // Hash it once, list it in the catalogue (private mode serves listed shares only).
    const hashing = sandbox.start(['share', file, ...noDht(seederDir), '--json'])
    const infohash = String((await hashing.waitFor('shared')).infohash)
    expect((await hashing.stop()).code).toBe(0)
    const published = await sandbox.run(['publish', infohash, '--data-dir', seederDir])
    expect(published.code, published.stderr).toBe(0)

    // The plain announce URL: no passkey anywhere, the nodes sign their announces.
    const seeder = sandbox.start(['share', file, '--tracker', tracker.http, ...noDht(seederDir), '--json'])
    await seeder.waitFor('shared')
    const out = join(work, 'out')
    const leecher = sandbox.start([
      'get',
      infohash,
      '--tracker',
      tracker.http,
      '-o',
      out,
      '--seed',
      ...noDht(leecherDir),
      '--json',
    ])
    await leecher.waitFor('done', () => true, 60_000)
    expect(await sha256File(join(out, 'lecture.bin'))).toBe(await sha256File(file))

    await expect.poll(async () => (await me(seederDir)).credits, { timeout: 30_000, interval: 500 }).toBe(size)
    expect(await me(seederDir)).toMatchObject({ credits: size, verified: { uploaded: size, downloaded: 0 } })
    expect(await me(leecherDir)).toMatchObject({ credits: -size, verified: { uploaded: 0, downloaded: size } })
    await leecher.stop()
    await seeder.stop()
  }, 180_000)
})
