import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { verifyPiece } from '@mycel/pieces'
import { afterEach, describe, expect, it } from 'vitest'
import { openDownloadStore, openSeedStore } from '../src/fs.js'
import { recheck } from '../src/index.js'
import { openSqliteStateStore } from '../src/sqlite.js'
import { multiFileShare, pieceBytes, shuffled, singleFileShare } from '../src/testing.js'
import { expectStoreError, removeTempDirs, tempDir, writeShareFiles } from './helpers.js'
import { ProbeFileSystem } from './probe-fs.js'

afterEach(removeTempDirs)

describe('a full disk', () => {
  it('fails the write that does not fit with DISK_FULL, losing nothing stored before', async () => {
    const share = await multiFileShare()
    const dir = await tempDir()
    const probe = new ProbeFileSystem()
    const pieces = await openDownloadStore(share.manifest, join(dir, 'downloads'), { fileSystem: probe.fs })
    const state = await openSqliteStateStore(join(dir, 'state.db'))
    await state.putManifest(share.manifest)
    const order = shuffled(share.manifest.pieceCount, 11)
    probe.spaceLeft = 100_000
    const stored: number[] = []
    let failure: unknown
    for (const piece of order) {
      try {
        await pieces.writePiece(piece, pieceBytes(share, piece))
      } catch (err) {
        failure = err
        break
      }
      state.markVerified(share.manifest.infohash, piece)
      stored.push(piece)
    }
    expect((failure as { code?: string }).code).toBe('DISK_FULL')
    expect((failure as Error).message).toMatch(/no space left/)
    expect(stored.length).toBeGreaterThan(0)
    expect(stored.length).toBeLessThan(order.length)
    await state.close()

    const reopened = await openSqliteStateStore(join(dir, 'state.db'))
    const marked = await reopened.getBitfield(share.manifest.infohash)
    expect([...(marked?.pieces() ?? [])]).toEqual([...stored].sort((a, b) => a - b))
    for (const piece of stored) expect(verifyPiece(share.manifest, piece, await pieces.readPiece(piece))).toBe(true)

    probe.spaceLeft = Number.POSITIVE_INFINITY // space freed: the download goes on
    for (const piece of order.slice(stored.length)) {
      await pieces.writePiece(piece, pieceBytes(share, piece))
      reopened.markVerified(share.manifest.infohash, piece)
    }
    expect((await recheck(share.manifest, pieces)).isComplete()).toBe(true)
    expect((await reopened.getBitfield(share.manifest.infohash))?.isComplete()).toBe(true)
    await reopened.close()
    await pieces.close()
  })

  it('fails a full allocation that does not fit at the first write of the file, and retries it later', async () => {
    const share = await singleFileShare()
    const probe = new ProbeFileSystem()
    const pieces = await openDownloadStore(share.manifest, await tempDir(), {
      fileSystem: probe.fs,
      allocation: 'full',
    })
    probe.spaceLeft = 50_000
    await expectStoreError(pieces.writePiece(2, pieceBytes(share, 2)), 'DISK_FULL')
    probe.spaceLeft = Number.POSITIVE_INFINITY
    await pieces.writePiece(2, pieceBytes(share, 2))
    expect(Buffer.compare(await pieces.readPiece(2), pieceBytes(share, 2))).toBe(0)
    expect(Buffer.compare(await pieces.readPiece(0), new Uint8Array(32768))).toBe(0)
    await pieces.close()
  })
})

describe('a download folder that cannot be written', () => {
  it('is refused with NOT_WRITABLE when a file is in the way (this holds for root too)', async () => {
    const share = await singleFileShare()
    const base = await tempDir()
    await writeFile(join(base, 'file'), 'x')
    const under = await expectStoreError(
      openDownloadStore(share.manifest, join(base, 'file', 'downloads')),
      'NOT_WRITABLE',
    )
    expect(under).toContain(join(base, 'file', 'downloads'))
    await expectStoreError(openDownloadStore(share.manifest, join(base, 'file')), 'NOT_WRITABLE')
  })

  it('maps permission and read-only file system errors to NOT_WRITABLE wherever they happen', async () => {
    const share = await multiFileShare()
    const base = await tempDir()
    const probe = new ProbeFileSystem()
    probe.fail('checkWritable', 'EACCES')
    expect(
      await expectStoreError(openDownloadStore(share.manifest, base, { fileSystem: probe.fs }), 'NOT_WRITABLE'),
    ).toContain('not writable')
    probe.fail('mkdir', 'EROFS')
    await expectStoreError(
      openDownloadStore(share.manifest, join(base, 'new'), { fileSystem: probe.fs }),
      'NOT_WRITABLE',
    )

    const pieces = await openDownloadStore(share.manifest, base, { fileSystem: probe.fs })
    probe.fail('open', 'EROFS')
    await expectStoreError(pieces.writePiece(0, pieceBytes(share, 0)), 'NOT_WRITABLE')
    const deep = share.manifest.files.findIndex((file) => file.path.join('/') === 'sub/deep/b.bin')
    probe.fail('mkdir', 'EACCES')
    await expectStoreError(pieces.write(deep, 0, new Uint8Array(8)), 'NOT_WRITABLE')
    await pieces.writePiece(0, pieceBytes(share, 0))
    await pieces.close()
  })
})

describe('other I/O failures', () => {
  it('reports EIO as IO_FAILED and EACCES on a shared file as NOT_READABLE', async () => {
    const share = await multiFileShare()
    const folder = await writeShareFiles(await tempDir(), share.manifest, share.files)
    const probe = new ProbeFileSystem()
    const seed = await openSeedStore(share.manifest, folder, { fileSystem: probe.fs })
    probe.fail('read', 'EIO')
    await expectStoreError(seed.readPiece(0), 'IO_FAILED')
    probe.fail('open', 'EACCES')
    await expectStoreError(seed.readPiece(seed.manifest.pieceCount - 1), 'NOT_READABLE')
    expect(Buffer.compare(await seed.readPiece(0), pieceBytes(share, 0))).toBe(0)
    probe.fail('read', 'EIO')
    await expectStoreError(recheck(share.manifest, seed), 'IO_FAILED')
    await seed.close()
  })

  it('keeps files to sync after a failed sync, and syncs them on the next', async () => {
    const share = await singleFileShare()
    const probe = new ProbeFileSystem()
    const pieces = await openDownloadStore(share.manifest, await tempDir(), { fileSystem: probe.fs })
    await pieces.writePiece(0, pieceBytes(share, 0))
    probe.fail('fdatasync', 'EIO')
    await expectStoreError(pieces.sync(), 'IO_FAILED')
    let synced = 0
    const sync = probe.fs.fdatasync
    probe.fs.fdatasync = async (fd) => {
      synced++
      return sync(fd)
    }
    await pieces.sync()
    expect(synced).toBe(1)
    await pieces.sync()
    expect(synced).toBe(1)
    await pieces.close()
  })

  it('refuses a shared folder whose file is a folder now', async () => {
    const share = await multiFileShare()
    const base = await tempDir()
    const folder = await writeShareFiles(base, share.manifest, share.files)
    const seed = await openSeedStore(share.manifest, folder)
    await rm(join(folder, 'z.bin'))
    await mkdir(join(folder, 'z.bin'))
    await expectStoreError(seed.readPiece(share.manifest.pieceCount - 1), 'PATH_CONFLICT')
    await seed.close()
  })
})
