import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
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

describe('mycel get --file', () => {
  it('downloads only the files named, verifies them, and adds more when run again', async () => {
    const work = await sandbox.dir()
    const album = join(work, 'album')
    await mkdir(join(album, 'sub'), { recursive: true })
    await writeContent(join(album, 'a.bin'), 300_000, 21)
    await writeContent(join(album, 'sub', 'b.bin'), 200_000, 22)
    const { shared } = await startSeeder(sandbox, album, join(work, 'seeder'), bootstrap)
    const magnet = String(shared.magnet)
    const leecher = local(join(work, 'leecher'), bootstrap)
    const out = join(work, 'in')

    const first = await sandbox.run(['get', magnet, '-o', out, '--file', 'sub/b.bin', ...leecher, '--json'])
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(jsonLines(first.stdout).at(-1)).toMatchObject({
      event: 'done',
      totalBytes: 200_000,
      files: ['sub/b.bin'],
      verified: true,
    })
    expect(await sha256File(join(out, 'album', 'sub', 'b.bin'))).toBe(await sha256File(join(album, 'sub', 'b.bin')))
    expect(existsSync(join(out, 'album', 'a.bin'))).toBe(false)

    // ls <share> lists every file of the share, the ones not taken too
    const infohash = String(shared.infohash)
    const files = await sandbox.run(['ls', infohash.slice(0, 8), '--data-dir', join(work, 'leecher'), '--json'])
    expect(files.code).toBe(0)
    expect(jsonLines(files.stdout)[0]).toEqual({
      infohash,
      name: 'album',
      files: [
        { path: 'a.bin', bytes: 300_000 },
        { path: 'sub/b.bin', bytes: 200_000 },
      ],
    })

    const second = await sandbox.run(['get', magnet, '--file', 'a.bin', ...leecher, '--json'])
    expect(second.code).toBe(0)
    expect(jsonLines(second.stdout).at(-1)).toMatchObject({
      event: 'done',
      totalBytes: 500_000,
      files: ['sub/b.bin', 'a.bin'],
      verified: true,
    })
    expect(await sha256File(join(out, 'album', 'a.bin'))).toBe(await sha256File(join(album, 'a.bin')))

    const wrong = await sandbox.run([
      'get',
      magnet,
      '--file',
      'c.bin',
      ...local(join(work, 'other'), bootstrap),
      '--json',
    ])
    expect(wrong.code).toBe(1)
    expect(jsonLines(wrong.stderr)[0]).toMatchObject({ error: { code: 'FILE_NOT_FOUND' } })
  }, 120_000)
})
