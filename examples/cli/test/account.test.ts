/**
 * The account commands against a real mycel-tracker with accounts (the
 * built `mycel-tracker --mode private` process, on 127.0.0.1): register,
 * publish a share, browse, credits, logout.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureTrackerBuilt, startTracker, type TrackerProcess } from '../../../test/support/tracker-process.js'
import { ensureBuilt, jsonLines, Sandbox, writeContent } from './helpers.js'

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
  await tracker?.stop()
  await sandbox.cleanup()
})

describe('mycel account, publish, browse, credits', () => {
  it('registers, publishes a share, finds it in the catalogue, shows credits, logs out', async () => {
    const work = await sandbox.dir()
    const dataDir = join(work, 'data')
    const file = join(work, 'holiday photos.bin')
    await writeContent(file, 300_000, 3)
    const seeder = sandbox.start([
      'share',
      file,
      '--data-dir',
      dataDir,
      '--host',
      '127.0.0.1',
      '--bootstrap',
      'none',
      '--json',
    ])
    const infohash = String((await seeder.waitFor('shared')).infohash)
    expect((await seeder.stop()).code).toBe(0)
    const env = { MYCEL_TRACKER_PASSWORD: 'holiday password' }

    const noPassword = await sandbox.run(['account', 'register', 'ada', '--tracker', web, '--data-dir', dataDir], {
      env: { MYCEL_TRACKER_PASSWORD: '' },
    })
    expect(noPassword.code, noPassword.stderr).toBe(2)
    expect(noPassword.stderr).toContain('--password-stdin')

    const registered = await sandbox.run(
      ['account', 'register', 'Ada', '--tracker', web, '--data-dir', dataDir, '--json'],
      { env },
    )
    expect(registered.code, registered.stderr).toBe(0)
    const [account] = jsonLines(registered.stdout)
    expect(account).toMatchObject({
      name: 'ada',
      role: 'admin',
      announce: expect.stringMatching(/\/announce\/[\w-]{32}$/),
      peerKeyBound: true,
    })
    expect(registered.stdout).not.toContain('holiday password')

    const published = await sandbox.run(['publish', infohash.slice(0, 12), '--data-dir', dataDir, '--json'])
    expect(published.code, published.stderr).toBe(0)
    expect(jsonLines(published.stdout)[0]).toMatchObject({
      torrent: { name: 'holiday photos.bin', infohashV2: infohash, uploader: 'ada' },
    })
    const again = await sandbox.run(['publish', infohash, '--data-dir', dataDir])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('ALREADY_LISTED')

    const browsed = await sandbox.run(['browse', 'holi', '--data-dir', dataDir])
    expect(browsed.code, browsed.stderr).toBe(0)
    expect(browsed.stdout).toContain(infohash)
    expect(browsed.stdout).toContain('holiday photos.bin')
    expect((await sandbox.run(['browse', 'nothing', '--data-dir', dataDir])).stdout.trim()).toBe('nothing found')

    const credits = await sandbox.run(['credits', '--data-dir', dataDir, '--json'])
    expect(credits.code, credits.stderr).toBe(0)
    expect(jsonLines(credits.stdout)[0]).toMatchObject({
      name: 'ada',
      credits: 0,
      verified: { uploaded: 0, downloaded: 0 },
    })

    const wrong = await sandbox.run(['account', 'login', 'ada', '--tracker', web, '--data-dir', dataDir], {
      env: { MYCEL_TRACKER_PASSWORD: 'not it at all' },
    })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('CREDENTIALS_WRONG')

    expect((await sandbox.run(['account', 'logout', '--data-dir', dataDir])).code).toBe(0)
    const after = await sandbox.run(['credits', '--tracker', web, '--data-dir', dataDir, '--json'])
    expect(after.code).toBe(1)
    expect(JSON.parse(after.stderr.trim())).toMatchObject({ error: { code: 'NOT_LOGGED_IN' } })
    const unreachable = await sandbox.run(['browse', '--tracker', 'http://127.0.0.1:1', '--data-dir', dataDir])
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toContain('cannot reach the tracker')
  }, 120_000)
})
