import { constants } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Manifest, type ManifestFile } from '@mycel/pieces'
import { createTextLogger, type Logger } from '@mycel/wire/log'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FileHandlePool, type FileSystem, nodeFileSystem, openDownloadStore } from '../src/fs.js'
import { openSqliteStateStore } from '../src/sqlite.js'
import { makeTestShare, multiFileShare, pieceBytes, singleFileShare, type TestShare } from '../src/testing.js'
import { expectStoreError, removeTempDirs, tempDir } from './helpers.js'
import { errno } from './probe-fs.js'

afterEach(removeTempDirs)

const O_DIRECT = constants.O_DIRECT ?? 0

/** A logger whose lines are kept, with a promise of the first line containing some text. */
function recorder() {
  const lines: string[] = []
  const waiters: Array<{ text: string; resolve: (line: string) => void }> = []
  const logger: Logger = createTextLogger({
    write: (line) => {
      lines.push(line)
      for (const waiter of waiters.filter((w) => line.includes(w.text))) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(line)
      }
    },
  })
  const line = (text: string): Promise<string> => {
    const found = lines.find((candidate) => candidate.includes(text))
    return found !== undefined ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ text, resolve }))
  }
  return { lines, logger, line }
}

/** The share's manifest with another name, as a hostile producer could make it (validation skipped). */
function renamed(share: TestShare, name: string): Manifest {
  const m = share.manifest
  return new Manifest({
    infohash: m.infohash,
    info: m.info,
    name,
    pieceLength: m.pieceLength,
    singleFile: m.singleFile,
    files: m.files.map((file): ManifestFile => ({ ...file })),
  })
}

describe('the file-system piece store logs refused paths and recovered I/O failures, under mycel:store', () => {
  it('logs a share whose name would leave the download folder', async () => {
    const { logger, lines } = recorder()
    const evil = renamed(await multiFileShare(), '..')
    await expectStoreError(openDownloadStore(evil, await tempDir(), { logger }), 'PATH_ESCAPE')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      new RegExp(
        ` mycel:store debug refused a path of share \\.\\. \\(${evil.infohashHex}\\): PATH_ESCAPE: refusing path "\\.\\."`,
      ),
    )
    expect(lines[0]).toContain('code=PATH_ESCAPE')
  })

  it('logs through the pool when the store has no logger of its own', async () => {
    const { logger, lines } = recorder()
    const pool = new FileHandlePool({ maxOpen: 4, logger })
    const evil = renamed(await multiFileShare(), '..')
    await expectStoreError(openDownloadStore(evil, await tempDir(), { pool }), 'PATH_ESCAPE')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(' mycel:store debug refused a path of share .. ')
    const own = recorder()
    await expectStoreError(openDownloadStore(evil, await tempDir(), { pool, logger: own.logger }), 'PATH_ESCAPE')
    expect(own.lines).toHaveLength(1) // its own logger wins
    expect(lines).toHaveLength(1)
    await pool.close()
  })

  it('logs a write refused because a file it did not create is in the way', async () => {
    const { logger, line } = recorder()
    const share = await singleFileShare()
    const dir = await tempDir()
    const store = await openDownloadStore(share.manifest, dir, { logger })
    await writeFile(join(dir, share.manifest.files[0]?.path[0] as string), 'the user put this here')
    await expectStoreError(store.writePiece(0, pieceBytes(share, 0)), 'FILE_EXISTS')
    expect(await line('refused')).toContain(`refused a path of share ${share.manifest.name} `)
    expect(await line('refused')).toContain('FILE_EXISTS: ')
    await store.close()
  })

  it.runIf(O_DIRECT !== 0)('logs once that the file system refused direct I/O, and writes on', async () => {
    const { logger, lines } = recorder()
    const share = await makeTestShare('big', [{ path: ['a.bin'], length: 3 * 1024 * 1024 }], 1024 * 1024)
    const refusing: FileSystem = {
      ...nodeFileSystem,
      open: (path, flags, mode) =>
        (flags & O_DIRECT) !== 0
          ? Promise.reject(errno('EINVAL', 'open', path))
          : nodeFileSystem.open(path, flags, mode),
    }
    const store = await openDownloadStore(share.manifest, await tempDir(), { logger, fileSystem: refusing })
    for (let piece = 0; piece < share.manifest.pieceCount; piece++)
      await store.writePiece(piece, pieceBytes(share, piece))
    await store.close()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      / mycel:store info direct I\/O refused at \S+a\.bin \(EINVAL\): this store writes through the page cache from now on$/,
    )
  })

  it('logs a close that failed (the descriptor is released anyway)', async () => {
    const { logger, line } = recorder()
    const share = await singleFileShare()
    const failingClose: FileSystem = {
      ...nodeFileSystem,
      close: async (fd) => {
        await nodeFileSystem.close(fd)
        throw errno('EIO', 'close')
      },
    }
    const store = await openDownloadStore(share.manifest, await tempDir(), { logger, fileSystem: failingClose })
    await store.writePiece(0, pieceBytes(share, 0))
    await store.close()
    expect(await line('closing')).toMatch(/ mycel:store debug closing \S+ failed, ignored: EIO: simulated, close$/)
  })
})

describe('the SQLite state store logs failed commits once, and their recovery, under mycel:store', () => {
  it('warns at the first failed commit of a run, not at each retry, and says when saving works again', async () => {
    const { logger, lines, line } = recorder()
    const path = join(await tempDir(), 'state.db')
    let failures = 0
    let fail = true
    const store = await openSqliteStateStore(path, {
      flushInterval: 5,
      logger,
      beforeCommit: () => {
        if (!fail) return
        failures++
        throw new Error('sync failed')
      },
    })
    const { manifest } = await singleFileShare()
    await store.putManifest(manifest)
    store.markVerified(manifest.infohash, 0)
    const warned = await line('failed')
    expect(warned).toContain(` mycel:store warn saving verified pieces to ${path} failed; they stay pending`)
    expect(warned).toContain('tried again every 5 ms')
    await expect(store.flush()).rejects.toThrow('sync failed')
    await expect(store.flush()).rejects.toThrow('sync failed')
    expect(failures).toBeGreaterThanOrEqual(3)
    expect(lines.filter((text) => text.includes(' warn '))).toHaveLength(1)
    fail = false
    await store.flush()
    expect(await line('works again')).toContain(` mycel:store info saving verified pieces to ${path} works again`)
    await store.close()
  })
})

describe('stores without a logger', () => {
  it('write nothing anywhere when they refuse a path and a commit fails', async () => {
    const spies = [
      vi.spyOn(process.stderr, 'write'),
      vi.spyOn(process.stdout, 'write'),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((method) => vi.spyOn(console, method)),
    ]
    try {
      await expectStoreError(openDownloadStore(renamed(await multiFileShare(), '..'), await tempDir()), 'PATH_ESCAPE')
      const store = await openSqliteStateStore(':memory:', {
        beforeCommit: () => {
          throw new Error('sync failed')
        },
      })
      const { manifest } = await singleFileShare()
      await store.putManifest(manifest)
      store.markVerified(manifest.infohash, 0)
      await expect(store.flush()).rejects.toThrow('sync failed')
      await store.close().catch(() => {})
      for (const spy of spies) expect(spy).not.toHaveBeenCalled()
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })
})
