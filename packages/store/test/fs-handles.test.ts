import { afterEach, describe, expect, it } from 'vitest'
import { FileHandlePool, openDownloadStore, openSeedStore } from '../src/fs.js'
import { recheck } from '../src/index.js'
import { makeTestShare, pieceBytes, shuffled, type TestShare } from '../src/testing.js'
import { expectStoreError, removeTempDirs, tempDir, writeShareFiles } from './helpers.js'
import { ProbeFileSystem } from './probe-fs.js'

afterEach(removeTempDirs)

/** A share of `count` small files in a few folders. */
function manyFiles(count: number, name = 'many'): Promise<TestShare> {
  return makeTestShare(
    name,
    Array.from({ length: count }, (_, i) => ({
      path: [`d${i % 7}`, `f${String(i).padStart(4, '0')}.bin`],
      length: 100 + i,
    })),
    16384,
  )
}

describe('bounded open files', () => {
  it('serves random reads of a 300-file share with at most 8 files open', async () => {
    const share = await manyFiles(300)
    const folder = await writeShareFiles(await tempDir(), share.manifest, share.files)
    const probe = new ProbeFileSystem()
    const store = await openSeedStore(share.manifest, folder, { maxOpenFiles: 8, fileSystem: probe.fs })
    const order = [...shuffled(300, 7), ...shuffled(300, 8)]
    const workers = Array.from({ length: 16 }, async () => {
      for (let piece = order.pop(); piece !== undefined; piece = order.pop()) {
        expect(Buffer.compare(await store.readPiece(piece), pieceBytes(share, piece))).toBe(0)
        expect(probe.openNow).toBeLessThanOrEqual(8)
      }
    })
    await Promise.all(workers)
    expect(probe.peakOpen).toBeLessThanOrEqual(8)
    expect(probe.opens).toBeGreaterThan(300)
    await store.close()
    expect(probe.openNow).toBe(0)
  })

  it('writes a 300-file download through 4 handles, and rechecks it through them', async () => {
    const share = await manyFiles(300)
    const probe = new ProbeFileSystem()
    const store = await openDownloadStore(share.manifest, await tempDir(), { maxOpenFiles: 4, fileSystem: probe.fs })
    const order = shuffled(share.manifest.pieceCount, 9)
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        for (let piece = order.pop(); piece !== undefined; piece = order.pop()) {
          await store.writePiece(piece, pieceBytes(share, piece))
        }
      }),
    )
    await store.sync()
    expect((await recheck(share.manifest, store)).isComplete()).toBe(true)
    expect(probe.peakOpen).toBeLessThanOrEqual(4)
    await store.close()
    expect(probe.openNow).toBe(0)
  })

  it('opens each file of a download of small files with one fstat, the one its first write settles the size with', async () => {
    const share = await manyFiles(300)
    const probe = new ProbeFileSystem()
    let fstats = 0
    const counting = {
      ...probe.fs,
      fstat: (fd: number) => {
        fstats++
        return probe.fs.fstat(fd)
      },
    }
    const store = await openDownloadStore(share.manifest, await tempDir(), { maxOpenFiles: 512, fileSystem: counting })
    for (let piece = 0; piece < share.manifest.pieceCount; piece++) {
      await store.writePiece(piece, pieceBytes(share, piece))
    }
    expect(probe.opens).toBe(300)
    expect(fstats).toBe(300)
    await store.sync()
    expect((await recheck(share.manifest, store)).isComplete()).toBe(true)
    await store.close()
  })

  it('wakes one waiter per file that frees up, not every waiter each time', async () => {
    // 400 writes to 400 files at once, 4 files open at most: 396 wait. Woken all at once, each
    // waiter rescanned the pool and waited again at every change, about 400 * 400 / 2 waits.
    const share = await manyFiles(400)
    const pool = new FileHandlePool({ maxOpen: 4 })
    const probe = new ProbeFileSystem()
    const store = await openDownloadStore(share.manifest, await tempDir(), { pool, fileSystem: probe.fs })
    await Promise.all(shuffled(400, 5).map((piece) => store.writePiece(piece, pieceBytes(share, piece))))
    expect(probe.peakOpen).toBeLessThanOrEqual(4)
    expect(pool.stats().waits).toBeGreaterThan(0)
    expect(pool.stats().waits).toBeLessThanOrEqual(2 * 400)
    expect((await recheck(share.manifest, store)).isComplete()).toBe(true)
    await store.close()
    await pool.close()
  })

  it('keeps several stores under one shared limit, each closing only its own files', async () => {
    const [a, b] = await Promise.all([manyFiles(40, 'a'), manyFiles(40, 'b')])
    const probe = new ProbeFileSystem()
    const pool = new FileHandlePool({ maxOpen: 5 })
    const folder = await writeShareFiles(await tempDir(), a.manifest, a.files)
    const seed = await openSeedStore(a.manifest, folder, { pool, fileSystem: probe.fs })
    const download = await openDownloadStore(b.manifest, await tempDir(), { pool, fileSystem: probe.fs })
    await Promise.all(
      shuffled(40, 3).map(async (piece) => {
        await download.writePiece(piece, pieceBytes(b, piece))
        expect(Buffer.compare(await seed.readPiece(piece), pieceBytes(a, piece))).toBe(0)
      }),
    )
    expect(probe.peakOpen).toBeLessThanOrEqual(5)
    expect(pool.stats().peak).toBeLessThanOrEqual(5)
    expect(pool.stats().evicted).toBeGreaterThan(0)
    await download.close()
    expect(Buffer.compare(await seed.readPiece(0), pieceBytes(a, 0))).toBe(0)
    await seed.close()
    expect(pool.stats().open).toBe(0)
    await pool.close()
    expect(probe.openNow).toBe(0)
    await expectStoreError(
      openSeedStore(a.manifest, folder, { pool }).then((s) => s.readPiece(0)),
      'CLOSED',
    )
  })

  it('waits for a free handle while all are in use, and gives up when aborted', async () => {
    const share = await manyFiles(3)
    const folder = await writeShareFiles(await tempDir(), share.manifest, share.files)
    const probe = new ProbeFileSystem()
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    probe.beforeRead = () => held
    const store = await openSeedStore(share.manifest, folder, { maxOpenFiles: 1, fileSystem: probe.fs })
    const busy = store.readPiece(0)
    const controller = new AbortController()
    const waiting = store.readPiece(1, { signal: controller.signal })
    const queued = store.readPiece(2)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(probe.openNow).toBe(1)
    controller.abort(new Error('user gave up'))
    await expectStoreError(waiting, 'ABORTED')
    probe.beforeRead = undefined
    release()
    expect(Buffer.compare(await busy, pieceBytes(share, 0))).toBe(0)
    expect(Buffer.compare(await queued, pieceBytes(share, 2))).toBe(0)
    expect(probe.peakOpen).toBe(1)
    await store.close()
  })

  it('closes after the operations in flight, which complete', async () => {
    const share = await manyFiles(2)
    const store = await openDownloadStore(share.manifest, await tempDir())
    const writes = [0, 1].map((piece) => store.writePiece(piece, pieceBytes(share, piece)))
    const closed = store.close()
    await Promise.all(writes)
    await closed
    await expectStoreError(store.readPiece(0), 'CLOSED')
    expect(() => new FileHandlePool({ maxOpen: 0 })).toThrow(RangeError)
  })
})
