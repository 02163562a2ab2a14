import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, jsonLines, local, Sandbox, sha256File, startDht, startSeeder, writeContent } from './helpers.js'

const SIZE = 8 * 1024 * 1024

const sandbox = new Sandbox()
let bootstrap: string

beforeAll(async () => {
  await ensureBuilt()
  ;({ bootstrap } = await startDht(sandbox))
}, 300_000)

afterAll(() => sandbox.cleanup())

describe('an interrupted get', () => {
  it('stops on Ctrl-C with status 130, keeps its verified pieces, and resumes from them when run again', async () => {
    const work = await sandbox.dir()
    const source = join(work, 'film.bin')
    await writeContent(source, SIZE, 3)
    // A slow seeder (2 MiB/s) so that the download is still running when it is interrupted.
    const { seeder, shared } = await startSeeder(sandbox, source, join(work, 'seeder'), bootstrap, [
      '--upload-limit',
      '2MiB',
    ])
    const { magnet, pieceLength } = shared
    const leecherDir = join(work, 'leecher')
    const args = ['get', String(magnet), '-o', join(work, 'in'), ...local(leecherDir, bootstrap), '--json']

    const first = sandbox.start(args)
    const before = await first.waitFor('progress', (event) => Number(event.piecesVerified) > 0)
    const stopped = await first.stop('SIGINT')
    expect(stopped.code).toBe(130)
    const error = jsonLines(stopped.stderr)
    expect(error).toHaveLength(1)
    expect(error[0]).toMatchObject({
      error: { code: 'INTERRUPTED', hint: 'run the same command again to resume' },
    })
    expect(jsonLines(stopped.stdout).some((event) => event.event === 'done')).toBe(false)

    const ls = jsonLines((await sandbox.run(['ls', '--data-dir', leecherDir, '--json'])).stdout)[0] as {
      shares: { status: string; piecesVerified: number; pieceCount: number }[]
    }
    const [kept] = ls.shares
    expect(kept?.status).toBe('active')
    expect(kept?.piecesVerified).toBeGreaterThanOrEqual(Number(before.piecesVerified))
    expect(kept?.piecesVerified).toBeLessThan(kept?.pieceCount ?? 0)

    const second = await sandbox.run(args)
    expect(second.code).toBe(0)
    const events = jsonLines(second.stdout)
    const metadata = events.find((event) => event.event === 'metadata')
    expect(metadata?.piecesVerified).toBe(kept?.piecesVerified)
    const done = events.at(-1) as { event: string; downloadedBytes: number; verified: boolean }
    expect(done).toMatchObject({ event: 'done', verified: true })
    // only what was missing came over the wire the second time
    const missing = SIZE - (kept?.piecesVerified ?? 0) * Number(pieceLength)
    expect(done.downloadedBytes).toBeGreaterThan(0)
    expect(done.downloadedBytes).toBeLessThan(missing + 1024 * 1024) // slack: duplicate blocks of the endgame
    expect(await sha256File(join(work, 'in', 'film.bin'))).toBe(await sha256File(source))
    expect((await seeder.stop('SIGINT')).code).toBe(0)
  }, 90_000)
})
