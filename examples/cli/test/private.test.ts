/**
 * Private shares end to end, every node its own `mycel` process on
 * 127.0.0.1 with a local DHT: `share --private --reader`, a blind seeder
 * (`seed --blind`) whose folders hold no plaintext byte and no name, a
 * reader by peer id and one by link fed by the blind seeder alone, and
 * `readers rm` making a version the removed reader cannot read.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Background,
  ensureBuilt,
  jsonLines,
  local,
  Sandbox,
  sha256File,
  startDht,
  writeContent,
} from './helpers.js'

const sandbox = new Sandbox()
let bootstrap: string
let work: string
let folder: string
const dirs = { sharer: '', blind: '', reader: '', linkReader: '' }
let readerId = ''
let sharer: Background | undefined
let shared: Record<string, unknown>

/** Every file under a folder (recursively) with its bytes. */
async function filesUnder(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.set(join(entry.parentPath, entry.name), await readFile(join(entry.parentPath, entry.name)))
  }
  return out
}

beforeAll(async () => {
  await ensureBuilt()
  ;({ bootstrap } = await startDht(sandbox))
  work = await sandbox.dir()
  folder = join(work, 'tax-returns-2026')
  await import('node:fs/promises').then((fs) => fs.mkdir(join(folder, 'scans'), { recursive: true }))
  await writeContent(join(folder, 'scans', 'passport-scan.pdf'), 1_500_000, 3)
  await writeContent(join(folder, 'summary.txt'), 20_000, 4)
  for (const name of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[name] = join(work, name)
  const id = await sandbox.run(['id', '--data-dir', dirs.reader, '--json'])
  readerId = String(jsonLines(id.stdout)[0]?.peerId)
}, 300_000)

afterAll(() => sandbox.cleanup())

describe('private shares across processes', () => {
  it('share --private prints a keyed link, a blind link and the readers', async () => {
    sharer = sandbox.start([
      'share',
      '--private',
      folder,
      '--reader',
      readerId,
      ...local(dirs.sharer, bootstrap),
      '--json',
    ])
    shared = await sharer.waitFor('shared')
    expect(shared).toMatchObject({ private: true, name: 'tax-returns-2026', readers: [readerId] })
    expect(String(shared.link)).toMatch(/^mycel:\/\/[0-9a-f]{64}#[A-Za-z0-9_-]{43}$/)
    expect(shared.blindLink).toBe(`mycel://${String(shared.infohash)}`)
    await sharer.waitFor('announced')
  })

  it('a blind seeder fetches the ciphertext and holds no plaintext byte and no name', async () => {
    const blind = sandbox.start([
      'seed',
      '--blind',
      String(shared.link), // the key in it is dropped
      '-o',
      join(dirs.blind, 'store'),
      ...local(dirs.blind, bootstrap),
      '--json',
    ])
    await blind.waitFor('blind', () => true, 60_000)
    await blind.waitFor('announced', () => true, 60_000)
    await sharer?.stop()
    const plain = [
      await readFile(join(folder, 'scans', 'passport-scan.pdf')),
      await readFile(join(folder, 'summary.txt')),
    ]
    const names = ['tax-returns', 'passport', 'summary', 'scans']
    const held = await filesUnder(dirs.blind) // its store, state database, identity
    expect(held.size).toBeGreaterThanOrEqual(3)
    for (const [path, bytes] of held) {
      for (const name of names) {
        expect(path).not.toContain(name)
        expect(bytes.includes(Buffer.from(name))).toBe(false)
      }
      for (const file of plain) {
        for (const at of [0, 16_384, 700_000, file.length - 32]) {
          if (at + 32 <= file.length) expect(bytes.includes(file.subarray(at, at + 32))).toBe(false)
        }
      }
      expect(bytes.includes(Buffer.from(String(shared.link).split('#')[1] as string))).toBe(false)
    }

    // The readers get identical files from the blind seeder alone (the sharer stopped).
    const byId = await sandbox.run(
      [
        'get',
        String(shared.blindLink),
        '-o',
        join(work, 'out-id'),
        ...local(dirs.reader, bootstrap),
        '--json',
        '--timeout',
        '30',
      ],
      { timeoutMs: 90_000 },
    )
    expect(byId.code, byId.stderr).toBe(0)
    expect(jsonLines(byId.stdout).find((event) => event.event === 'done')).toMatchObject({
      private: true,
      name: 'tax-returns-2026',
      files: ['scans/passport-scan.pdf', 'summary.txt'],
    })
    const byLink = await sandbox.run(
      [
        'get',
        String(shared.link),
        '-o',
        join(work, 'out-link'),
        ...local(dirs.linkReader, bootstrap),
        '--json',
        '--timeout',
        '30',
      ],
      { timeoutMs: 90_000 },
    )
    expect(byLink.code, byLink.stderr).toBe(0)
    for (const out of ['out-id', 'out-link']) {
      for (const path of [['scans', 'passport-scan.pdf'], ['summary.txt']]) {
        expect(await sha256File(join(work, out, 'tax-returns-2026', ...path))).toBe(
          await sha256File(join(folder, ...path)),
        )
      }
    }
    await blind.stop()
  }, 240_000)

  it('readers rm makes a new version; the removed reader gets NOT_A_READER', async () => {
    const next = sandbox.start([
      'readers',
      'rm',
      String(shared.infohash),
      readerId,
      ...local(dirs.sharer, bootstrap),
      '--json',
    ])
    const version = await next.waitFor('version', () => true, 60_000)
    expect(version.infohash).not.toBe(shared.infohash)
    expect(version.readers).toEqual([])
    await next.waitFor('announced')
    const refused = await sandbox.run(
      [
        'get',
        String(version.blindLink),
        '-o',
        join(work, 'out-removed'),
        ...local(dirs.reader, bootstrap),
        '--json',
        '--timeout',
        '30',
      ],
      { timeoutMs: 90_000 },
    )
    expect(refused.code).toBe(1)
    expect(`${refused.stdout}${refused.stderr}`).toContain('"code":"NOT_A_READER"')
    const byNewLink = await sandbox.run(
      [
        'get',
        String(version.link),
        '-o',
        join(work, 'out-new'),
        ...local(dirs.linkReader, bootstrap),
        '--json',
        '--timeout',
        '30',
      ],
      { timeoutMs: 90_000 },
    )
    expect(byNewLink.code, byNewLink.stderr).toBe(0)
    await next.stop()
  }, 240_000)

  it('--reader repeats, before, between or after the paths', async () => {
    const otherId = String(
      jsonLines((await sandbox.run(['id', '--data-dir', dirs.linkReader, '--json'])).stdout)[0]?.peerId,
    )
    const second = join(work, 'second-file.txt')
    await writeContent(second, 10_000, 11)
    const both = sandbox.start([
      'share',
      '--private',
      '--reader',
      readerId,
      folder,
      second,
      '--reader',
      otherId,
      ...local(join(work, 'order-sharer'), bootstrap),
      '--json',
    ])
    for (const name of ['tax-returns-2026', 'second-file.txt']) {
      const line = await both.waitFor('shared', (event) => event.name === name, 60_000)
      expect(line.readers).toEqual([readerId, otherId])
    }
    await both.stop()
  }, 120_000)

  it('a get of a private link killed with SIGKILL resumes into the plaintext it wrote, byte-identical', async () => {
    const source = join(work, 'film.bin')
    await writeContent(source, 8 * 1024 * 1024, 12)
    // A slow sharer (2 MiB/s), so that the download is still running when it is killed.
    const slow = sandbox.start([
      'share',
      '--private',
      source,
      '--upload-limit',
      '2MiB',
      ...local(join(work, 'slow-sharer'), bootstrap),
      '--json',
    ])
    const film = await slow.waitFor('shared')
    await slow.waitFor('announced')
    const out = join(work, 'out-killed')
    const args = ['get', String(film.link), '-o', out, ...local(join(work, 'killed-reader'), bootstrap), '--json']
    const first = sandbox.start(args)
    await first.waitFor('progress', (event) => Number(event.piecesVerified) > 0, 60_000)
    first.child.kill('SIGKILL')
    expect((await first.exit()).signal).toBe('SIGKILL')
    // It left partial plaintext: mycel wrote it, so the rerun resumes into it.
    expect((await stat(join(out, 'film.bin'))).isFile()).toBe(true)
    const second = await sandbox.run(args, { timeoutMs: 120_000 })
    expect(second.code, second.stderr).toBe(0)
    expect(jsonLines(second.stdout).at(-1)).toMatchObject({ event: 'done', path: join(out, 'film.bin') })
    expect(await sha256File(join(out, 'film.bin'))).toBe(await sha256File(source))
    await slow.stop()
  }, 240_000)

  it('export --to writes a .torrent.enc only the users named can get', async () => {
    const source = join(work, 'report.bin')
    await writeContent(source, 300_000, 9)
    const seeder = sandbox.start(['share', source, ...local(dirs.blind, bootstrap), '--json'])
    const published = await seeder.waitFor('shared')
    await seeder.waitFor('announced')
    const enc = join(work, 'report.torrent.enc')
    const exported = await sandbox.run([
      'export',
      String(published.infohash),
      '--to',
      readerId,
      '-o',
      enc,
      '--data-dir',
      dirs.blind,
      '--json',
    ])
    expect(exported.code, exported.stderr).toBe(0)
    expect(jsonLines(exported.stdout)[0]).toMatchObject({ path: enc, encryptedFor: [readerId] })
    const bytes = await readFile(enc)
    expect(bytes.subarray(0, 20).toString()).toBe('mycel/torrent-enc/1\n')
    expect(bytes.includes(Buffer.from('report.bin'))).toBe(false)

    const got = await sandbox.run(
      ['get', enc, '-o', join(work, 'out-enc'), ...local(dirs.reader, bootstrap), '--json', '--timeout', '30'],
      { timeoutMs: 90_000 },
    )
    expect(got.code, got.stderr).toBe(0)
    expect(await sha256File(join(work, 'out-enc', 'report.bin'))).toBe(await sha256File(source))
    const refused = await sandbox.run(['get', enc, ...local(dirs.linkReader, bootstrap), '--json', '--timeout', '5'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('"code":"NOT_A_READER"')
    await seeder.stop()
  }, 240_000)
})
