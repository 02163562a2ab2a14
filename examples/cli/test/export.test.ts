import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeTorrent } from '@mycel/pieces'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, jsonLines, type RunResult, Sandbox, writeContent } from './helpers.js'

const sandbox = new Sandbox()
let work: string
let source: string
let dataDir: string
let infohash: string

beforeAll(async () => {
  await ensureBuilt()
  work = await sandbox.dir()
  source = join(work, 'album.bin')
  await writeContent(source, 2 * 1024 * 1024 + 99, 5)
  dataDir = join(work, 'data')
  const seeder = sandbox.start([
    'share',
    source,
    '--data-dir',
    dataDir,
    '--host',
    '127.0.0.1',
    '--bootstrap',
    'none',
    '--json',
  ])
  infohash = String((await seeder.waitFor('shared')).infohash)
  expect((await seeder.stop()).code).toBe(0)
}, 300_000)

afterAll(() => sandbox.cleanup())

/** A failure in one line on stderr, nothing on stdout. */
function oneLine(result: RunResult, status: number): string {
  expect(result.code, result.stderr).toBe(status)
  expect(result.stdout).toBe('')
  const lines = result.stderr.split('\n').filter((line) => line !== '')
  expect(lines, result.stderr).toHaveLength(1)
  return lines[0] as string
}

function exportTo(output: string, ...extra: string[]): Promise<RunResult> {
  return sandbox.run(['export', infohash, '--hybrid', '-o', output, '--data-dir', dataDir, ...extra])
}

describe('mycel export checks where it writes before it hashes', () => {
  it('refuses a bad -o without reading the share (its content is moved away: hashing would fail otherwise)', async () => {
    const moved = `${source}.away`
    await rename(source, moved) // a hybrid export hashes the content; with it gone, only a check made first passes
    try {
      const existing = join(work, 'existing.torrent')
      await writeFile(existing, 'keep me')
      expect(oneLine(await exportTo(existing), 1)).toBe(
        `mycel: ${existing} already exists (pass --force to replace it, or another -o)`,
      )
      expect(await readFile(existing, 'utf8')).toBe('keep me')
      const json = await exportTo(existing, '--json')
      expect(JSON.parse(json.stderr).error.code).toBe('FILE_EXISTS')

      const noFolder = join(work, 'no-such-folder', 'album.torrent')
      expect(oneLine(await exportTo(noFolder), 1)).toBe(
        `mycel: no folder ${join(work, 'no-such-folder')} to write album.torrent into (create it, or give another -o)`,
      )
      const underFile = join(work, 'existing.torrent', 'album.torrent')
      expect(oneLine(await exportTo(underFile), 1)).toMatch(
        /^mycel: no folder .*existing\.torrent to write album\.torrent into/,
      )
      const folder = join(work, 'a-folder')
      await mkdir(folder)
      expect(oneLine(await exportTo(folder, '--force'), 2)).toBe(
        `mycel: ${folder} is a folder (give -o the path of the .torrent file to write)`,
      )
    } finally {
      await rename(moved, source)
    }
  })

  it('writes the file when -o is good, and replaces one with --force', async () => {
    const existing = join(work, 'existing.torrent')
    const result = await exportTo(existing, '--force', '--json')
    expect(result.code, result.stderr).toBe(0)
    const written = jsonLines(result.stdout)[0] as Record<string, unknown>
    expect(written).toMatchObject({ path: existing, kind: 'hybrid', share: infohash })
    const { manifest, infohashV1 } = decodeTorrent(await readFile(existing))
    expect(manifest.infohashHex).toBe(written.infohash)
    expect(infohashV1).toBeDefined()
  })
})
