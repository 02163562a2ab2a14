import { existsSync } from 'node:fs'
import { mkdir, open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, jsonLines, local, Sandbox, sha256File, startDht, startSeeder, writeContent } from './helpers.js'

const sandbox = new Sandbox()
let bootstrap: string

beforeAll(async () => {
  await ensureBuilt()
  ;({ bootstrap } = await startDht(sandbox))
}, 300_000)

afterAll(() => sandbox.cleanup())

const LETTER = 'notes the user wrote; mycel must never change them\n'.repeat(2000)

/** The one error line of a `--json` run. */
function errorOf(stderr: string): Record<string, unknown> {
  const lines = jsonLines(stderr)
  expect(lines).toHaveLength(1)
  return (lines[0] as { error: Record<string, unknown> }).error
}

describe('mycel get and files already at the destination', () => {
  it('refuses an unrelated file in one line, and verifies a copy in place with --verify-existing', async () => {
    const work = await sandbox.dir()
    const source = join(work, 'report.bin')
    await writeContent(source, 400_000, 51)
    const { seeder, shared } = await startSeeder(sandbox, source, join(work, 'seeder'), bootstrap)
    const magnet = String(shared.magnet)
    const out = join(work, 'in')
    await mkdir(out)
    await writeFile(join(out, 'report.bin'), LETTER)

    const refused = await sandbox.run(['get', magnet, '-o', out, ...local(join(work, 'a'), bootstrap), '--json'])
    expect(refused.code).toBe(1)
    const error = errorOf(refused.stderr)
    expect(error).toMatchObject({ code: 'FILE_EXISTS' })
    expect(String(error.message)).toContain(join(out, 'report.bin'))
    expect(String(error.hint)).toContain('--verify-existing')
    expect(await readFile(join(out, 'report.bin'), 'utf8')).toBe(LETTER)

    // the same bytes already there: verified in place, nothing downloaded
    await writeFile(join(out, 'report.bin'), await readFile(source))
    const args = ['get', magnet, '-o', out, '--verify-existing', ...local(join(work, 'b'), bootstrap), '--json']
    const verified = await sandbox.run(args)
    expect(verified.stderr).toBe('')
    expect(verified.code).toBe(0)
    expect(jsonLines(verified.stdout).at(-1)).toMatchObject({ event: 'done', verified: true, downloadedBytes: 0 })
    await seeder.stop()
  }, 120_000)

  it('fails at once, in one line, when -o cannot be made', async () => {
    const work = await sandbox.dir()
    await writeFile(join(work, 'file'), 'x')
    const magnet = `magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}&dn=thing`
    for (const folder of ['/proc/mycel-test', join(work, 'file', 'in')]) {
      const run = await sandbox.run(['get', magnet, '-o', folder, ...local(join(work, 'data'), bootstrap), '--json'], {
        timeoutMs: 20_000,
      })
      expect(run.signal).toBeNull()
      expect(run.code).toBe(1)
      const error = errorOf(run.stderr)
      expect(error).toMatchObject({ code: 'PERMISSION_DENIED', hint: 'choose another folder with -o' })
      expect(String(error.message)).toContain(`${folder} cannot be created`)
    }
  }, 60_000)
})

describe('mycel share of a file that changes', () => {
  it('stops serving the pieces that no longer match and says so; the leecher never gets the altered bytes', async () => {
    const work = await sandbox.dir()
    const source = join(work, 'data.bin')
    await writeContent(source, 1024 * 1024, 52)
    const { seeder, shared } = await startSeeder(sandbox, source, join(work, 'seeder'), bootstrap, [
      '--piece-length',
      '64KiB',
    ])
    const altered = Buffer.alloc(1000, 0x5a)
    const file = await open(source, 'r+')
    await file.write(altered, 0, altered.length, 5 * 65536 + 10) // piece 5 changes, the size stays
    await file.close()

    const out = join(work, 'in')
    const leecher = sandbox.start([
      'get',
      String(shared.magnet),
      '-o',
      out,
      ...local(join(work, 'l'), bootstrap),
      '--json',
    ])
    const changed = await seeder.waitFor('share-changed')
    expect(changed).toMatchObject({ path: source, mismatchedPieces: 1, filePieces: 16, name: 'data.bin' })
    expect(seeder.stderr).toContain(`${source} changed since it was shared: 1 of its 16 pieces no longer match`)
    // the leecher gets every other piece, and waits for piece 5
    await leecher.waitFor('progress', (event) => event.piecesVerified === 15)
    const stopped = await leecher.stop()
    expect(stopped.code).toBe(130)
    const received = await readFile(join(out, 'data.bin'))
    expect(received.subarray(5 * 65536 + 10, 5 * 65536 + 1010).equals(altered)).toBe(false)
    await seeder.stop()
  }, 120_000)
})

describe('mycel get --file and rm', () => {
  it('refuses a path the share does not have without keeping it, and rm forgets the selection', async () => {
    const work = await sandbox.dir()
    const album = join(work, 'album')
    await mkdir(album)
    await writeContent(join(album, 'a.bin'), 200_000, 53)
    await writeContent(join(album, 'c.bin'), 100_000, 54)
    const { seeder, shared } = await startSeeder(sandbox, album, join(work, 'seeder'), bootstrap)
    const magnet = String(shared.magnet)
    const data = local(join(work, 'leecher'), bootstrap)

    const typo = await sandbox.run(['get', magnet, '-o', join(work, 'in'), '--file', 'a.bni', ...data, '--json'])
    expect(typo.code).toBe(1)
    expect(errorOf(typo.stderr)).toMatchObject({ code: 'FILE_NOT_FOUND' })
    const fixed = await sandbox.run(['get', magnet, '-o', join(work, 'in'), '--file', 'a.bin', ...data, '--json'])
    expect(fixed.stderr).toBe('')
    expect(jsonLines(fixed.stdout).at(-1)).toMatchObject({ event: 'done', files: ['a.bin'], totalBytes: 200_000 })

    const rm = await sandbox.run(['rm', String(shared.infohash), '--data-dir', join(work, 'leecher')])
    expect(rm.code).toBe(0)
    // forgotten whole: a plain get takes every file again (into another folder: the files stay in the first)
    const whole = await sandbox.run(['get', magnet, '-o', join(work, 'again'), ...data, '--json'])
    expect(whole.stderr).toBe('')
    expect(jsonLines(whole.stdout).at(-1)).toMatchObject({ event: 'done', files: null, totalBytes: 300_000 })
    expect(await sha256File(join(work, 'again', 'album', 'c.bin'))).toBe(await sha256File(join(album, 'c.bin')))
    await seeder.stop()
  }, 120_000)

  it('adds a file to a folder share downloaded whole: a success with nothing to do', async () => {
    const work = await sandbox.dir()
    const album = join(work, 'album')
    await mkdir(album)
    await writeContent(join(album, 'a.bin'), 200_000, 55)
    await writeContent(join(album, 'c.bin'), 100_000, 56)
    const { seeder, shared } = await startSeeder(sandbox, album, join(work, 'seeder'), bootstrap)
    const magnet = String(shared.magnet)
    const data = local(join(work, 'leecher'), bootstrap)
    const out = join(work, 'in')
    const first = await sandbox.run(['get', magnet, '-o', out, ...data, '--json'])
    expect(first.code).toBe(0)
    await seeder.stop()

    const again = await sandbox.run(['get', magnet, '--file', 'c.bin', ...data, '--json'])
    expect(again.stderr).toBe('')
    expect(again.code).toBe(0)
    expect(jsonLines(again.stdout).at(-1)).toMatchObject({ event: 'done', path: join(out, 'album'), verified: true })
    expect(existsSync(join(out, 'album', 'a.bin'))).toBe(true)
  }, 120_000)
})
