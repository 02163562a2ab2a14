import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { HashedBlocks } from '../src/ingest.js'
import { FileWorkers, WORKER_MIN_FILES } from '../src/node/file-workers.js'
import { ingestDirectory } from '../src/node.js'
import { content, expectRejection, hex } from './helpers.js'

let root: string
let workers: FileWorkers | undefined

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mycel-file-workers-'))
})

afterEach(async () => {
  await workers?.close()
  workers = undefined
  rmSync(root, { recursive: true, force: true })
})

async function collect(blocks: AsyncIterable<HashedBlocks>): Promise<HashedBlocks[]> {
  const all: HashedBlocks[] = []
  for await (const batch of blocks) all.push(batch)
  return all
}

function blockHashes(bytes: Uint8Array): string {
  const hashes: string[] = []
  for (let at = 0; at < bytes.length; at += 16384) {
    hashes.push(
      createHash('sha256')
        .update(bytes.subarray(at, at + 16384))
        .digest('hex'),
    )
  }
  return hashes.join('')
}

describe('small files hashed in worker threads', () => {
  it('gives the SHA-256 of every 16 KiB block of each file, in order, across jobs', async () => {
    const files = Array.from({ length: 100 }, (_, i) => {
      const bytes = content(i + 7, (i * 977) % 70000)
      const absolute = join(root, `f${i}`)
      writeFileSync(absolute, bytes)
      return { absolute, path: [`f${i}`], length: bytes.length, bytes }
    })
    workers = new FileWorkers(2, 512 * 1024)
    const listed = await workers.stat(files.map((file) => file.absolute))
    expect(listed.map((entry) => entry.size)).toEqual(files.map((file) => file.length))
    const hashed = workers.hash(files)
    for (const [index, file] of files.entries()) {
      const batches = await collect(hashed(index))
      expect(batches.reduce((sum, batch) => sum + batch.byteLength, 0)).toBe(file.length)
      expect(batches.map((batch) => hex(batch.hashes)).join('')).toBe(blockHashes(file.bytes))
    }
  })

  it('refuses a link, a special file and a file whose size is not the listed one, with the codes of this thread', async () => {
    writeFileSync(join(root, 'real'), content(1, 40000))
    symlinkSync(join(root, 'real'), join(root, 'link'))
    execFileSync('mkfifo', [join(root, 'fifo')])
    workers = new FileWorkers(1, 512 * 1024)
    const hashed = workers.hash([
      { absolute: join(root, 'real'), path: ['real'], length: 39999 },
      { absolute: join(root, 'fifo'), path: ['fifo'], length: 10 },
      { absolute: join(root, 'link'), path: ['link'], length: 40000 },
      { absolute: join(root, 'gone'), path: ['gone'], length: 10 },
    ])
    await expectRejection(collect(hashed(0)), 'INGEST_FILE_CHANGED')
    await expectRejection(collect(hashed(1)), 'INGEST_UNSUPPORTED_FILE')
    await expect(collect(hashed(2))).rejects.toMatchObject({ code: 'ELOOP' })
    await expect(collect(hashed(3))).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(workers.stat([join(root, 'real'), join(root, 'missing')])).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('stops its jobs when the ingest is aborted', async () => {
    writeFileSync(join(root, 'a'), content(2, 100))
    const controller = new AbortController()
    workers = new FileWorkers(1, 512 * 1024, controller.signal)
    controller.abort()
    await expectRejection(workers.stat([join(root, 'a')]), 'ABORTED')
  })

  it('a folder of many small files hashes to the manifest this thread makes of the same bytes', async () => {
    const share = join(root, 'share')
    mkdirSync(join(share, 'sub'), { recursive: true })
    const count = WORKER_MIN_FILES + 20
    for (let i = 0; i < count; i++) {
      writeFileSync(join(share, i % 3 === 0 ? 'sub' : '', `${i}.bin`), content(i + 100, (i * 4099) % 50000))
    }
    writeFileSync(join(share, 'large.bin'), content(5, 2 * 1024 * 1024 + 3))
    const inWorkers = await ingestDirectory(share, { pieceLength: 16384 })
    // with v1 hashes every file is read on this thread (SHA-1 needs the bytes)
    const here = await ingestDirectory(share, { pieceLength: 16384, v1: true })
    expect(inWorkers.files.length).toBe(count + 1)
    expect(inWorkers.files.map((file) => [file.path.join('/'), hex(file.piecesRoot ?? new Uint8Array(0))])).toEqual(
      here.files.map((file) => [file.path.join('/'), hex(file.piecesRoot ?? new Uint8Array(0))]),
    )
  })
})
