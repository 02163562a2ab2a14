import { execFileSync } from 'node:child_process'
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { encodeTorrent, ingest, type Manifest } from '../src/index.js'
import { ingestDirectory, ingestFile, ingestPath, nodeHashProvider } from '../src/node.js'
import { base64, content, expectRejection, type FixtureCase, fixtures, hex } from './helpers.js'

let root: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mycel-pieces-'))
})

afterEach(() => {
  rmSync(root, { recursive: true, force: true })
})

/** Writes a fixture's files under `root` as generate.py did; returns the path to ingest. */
function writeFixture(fixture: FixtureCase): string {
  const base = fixture.kind === 'file' ? root : join(root, fixture.name)
  for (const file of fixture.files) {
    const path = join(base, ...file.path)
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(path, content(file.seed, file.length))
    chmodSync(path, file.executable ? 0o755 : 0o644)
  }
  return join(root, fixture.name)
}

const cases = fixtures.cases.filter((c) => c.kind === 'directory' || c.id === 'file-many-pieces')

describe('ingest from disk', () => {
  it.each(cases)('$id: files on disk hash to libtorrent’s infohashes (v2 and hybrid)', async (fixture) => {
    const path = writeFixture(fixture)
    const manifest = await ingestPath(path, { pieceLength: fixture.pieceLength, v1: true })
    expect(manifest.infohashHex).toBe(fixture.v2.infohash)
    expect(hex(encodeTorrent(manifest).bytes)).toBe(hex(base64(fixture.v2.torrent)))
    const hybrid = encodeTorrent(manifest, { hybrid: true, tailPadding: fixture.noTailPadding !== true })
    expect(hex(hybrid.bytes)).toBe(hex(base64(fixture.hybrid.torrent)))
  })

  it('chooses the piece length from the total size and reports progress up to the total', async () => {
    const path = join(root, 'big.bin')
    writeFileSync(path, content(9, 5 * 1024 * 1024 + 77))
    const seen: number[] = []
    const manifest = await ingestFile(path, { onProgress: (p) => seen.push(p.bytesHashed) })
    expect(manifest.pieceLength).toBe(16 * 1024) // 321 pieces: at most 2,000 with the smallest length
    expect(manifest.pieceCount).toBe(321)
    expect(manifest.name).toBe('big.bin')
    expect(manifest.singleFile).toBe(true)
    expect(seen.at(-1)).toBe(5 * 1024 * 1024 + 77)
    expect(seen.length).toBe(11)
  })

  it('never follows symbolic links inside a folder: skipped by default, or refused', async () => {
    const share = join(root, 'share')
    mkdirSync(join(share, 'sub'), { recursive: true })
    mkdirSync(join(root, 'outside'))
    writeFileSync(join(share, 'a.txt'), 'hello')
    writeFileSync(join(root, 'outside', 'secret'), 'do not share')
    symlinkSync(join(root, 'outside', 'secret'), join(share, 'link-to-file'))
    symlinkSync(join(root, 'outside'), join(share, 'sub', 'link-to-dir'))
    mkdirSync(join(share, 'empty-folder'))
    execFileSync('mkfifo', [join(share, 'fifo')])
    writeFileSync(Buffer.concat([Buffer.from(`${share}/bad-`), Buffer.from([0xff])]), 'not UTF-8')
    const skipped: string[] = []
    const manifest = await ingestDirectory(share, { onSkip: (p, reason) => skipped.push(`${p.join('/')}:${reason}`) })
    expect(manifest.files.map((f) => f.path.join('/'))).toEqual(['a.txt'])
    expect(skipped.sort()).toEqual([
      'bad-\uFFFD:name',
      'fifo:special',
      'link-to-file:symlink',
      'sub/link-to-dir:symlink',
    ])
    await expectRejection(ingestDirectory(share, { special: 'refuse' }), 'INGEST_UNSUPPORTED_FILE')
  })

  it('includes hidden files, marks executables unless told not to, and names the share after the folder', async () => {
    const share = join(root, 'tools')
    mkdirSync(share)
    writeFileSync(join(share, '.env'), 'x=1')
    writeFileSync(join(share, 'run'), '#!/bin/sh')
    chmodSync(join(share, 'run'), 0o755)
    const manifest = await ingestDirectory(share)
    expect(manifest.name).toBe('tools')
    expect(manifest.files.map((f) => [f.path.join('/'), f.attr])).toEqual([
      ['.env', ''],
      ['run', 'x'],
    ])
    const plain = await ingestDirectory(share, { attributes: false, name: 'renamed', hash: nodeHashProvider })
    expect(plain.files.map((f) => f.attr)).toEqual(['', ''])
    expect(plain.name).toBe('renamed')
  })

  it('reads a folder of many small files and a few large ones, in any listing order, to the manifest of their bytes', async () => {
    // Small files are read whole, several ahead of the hashing; large ones in chunks. Names are
    // chosen so that the order of the folder walk (depth first) is not the order files are hashed in.
    const files: { path: string[]; bytes: Uint8Array }[] = []
    for (let i = 0; i < 300; i++) {
      const folder = ['b', 'a', 'a.b', 'B'][i % 4] as string
      files.push({ path: [folder, `f${(i * 7919) % 1000}.bin`], bytes: content(i + 1, 1 + ((i * 37) % 20000)) })
    }
    files.push({ path: ['a', 'large.bin'], bytes: content(901, 3 * 1024 * 1024 + 5) })
    files.push({ path: ['z-large.bin'], bytes: content(902, 1024 * 1024) })
    files.push({ path: ['a', 'empty.bin'], bytes: new Uint8Array(0) })
    files.push({ path: ['a', 'exactly-512k.bin'], bytes: content(903, 512 * 1024) })
    for (const file of files) {
      mkdirSync(join(root, 'mixed', ...file.path.slice(0, -1)), { recursive: true })
      writeFileSync(join(root, 'mixed', ...file.path), file.bytes)
      chmodSync(join(root, 'mixed', ...file.path), 0o644)
    }
    const fromDisk = await ingestDirectory(join(root, 'mixed'), { pieceLength: 16384 })
    const fromMemory = await ingest(
      files.map((file) => ({ path: file.path, length: file.bytes.length, content: [file.bytes] })),
      { name: 'mixed', pieceLength: 16384, hash: nodeHashProvider },
    )
    expect(fromDisk.infohashHex).toBe(fromMemory.infohashHex)
    expect(fromDisk.files.map((file) => file.path.join('/'))).toEqual(
      fromMemory.files.map((file) => file.path.join('/')),
    )
  })

  it('notices a file that changes while it is hashed', async () => {
    const path = join(root, 'growing.bin')
    writeFileSync(path, content(1, 5 * 1024 * 1024))
    let appended = false
    await expectRejection(
      ingestFile(path, {
        onProgress: () => {
          if (!appended) appendFileSync(path, 'more')
          appended = true
        },
      }),
      'INGEST_FILE_CHANGED',
    )
    writeFileSync(path, content(1, 5 * 1024 * 1024))
    let truncated = false
    await expectRejection(
      ingestFile(path, {
        onProgress: () => {
          if (!truncated) writeFileSync(path, 'short')
          truncated = true
        },
      }),
      'INGEST_FILE_CHANGED',
    )
  })

  it('stops when aborted and refuses what is not a file or folder', async () => {
    const path = join(root, 'a.bin')
    writeFileSync(path, content(2, 5 * 1024 * 1024))
    const controller = new AbortController()
    await expectRejection(
      ingestFile(path, { signal: controller.signal, onProgress: () => controller.abort() }),
      'ABORTED',
    )
    await expectRejection(ingestFile(root), 'INGEST_UNSUPPORTED_FILE')
    await expectRejection(ingestDirectory(path), 'INGEST_UNSUPPORTED_FILE')
    execFileSync('mkfifo', [join(root, 'fifo')])
    await expectRejection(ingestPath(join(root, 'fifo')), 'INGEST_UNSUPPORTED_FILE')
    const empty = join(root, 'empty')
    mkdirSync(join(empty, 'nothing'), { recursive: true })
    writeFileSync(join(empty, 'zero'), '')
    await expectRejection(ingestDirectory(empty), 'MANIFEST_EMPTY')
    await expect(ingestPath(join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' })
    const manifest: Manifest = await ingestPath(path)
    expect(manifest.totalLength).toBe(5 * 1024 * 1024)
  })
})
