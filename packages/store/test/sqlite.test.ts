import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Bitfield, encodeMetadata } from '@mycel/pieces'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { migrate } from '../src/node/sqlite/schema.js'
import { openSqliteStateStore, SCHEMA_VERSION } from '../src/sqlite.js'
import { makeTestShare, multiFileShare, singleFileShare } from '../src/testing.js'
import { expectStoreError, removeTempDirs, tempDir } from './helpers.js'

afterEach(removeTempDirs)

/** Asserts a failed open left the file exactly as it was, with no journal beside it. */
async function expectUntouched(path: string, before: Uint8Array): Promise<void> {
  expect(Buffer.compare(await readFile(path), before)).toBe(0)
  expect(existsSync(`${path}-wal`)).toBe(false)
}

describe('opening a database that is not a usable mycel state database', () => {
  it('refuses random bytes as DATABASE_CORRUPT, leaving the file as it was', async () => {
    const path = join(await tempDir(), 'state.db')
    const bytes = randomBytes(16384)
    await writeFile(path, bytes)
    const message = await expectStoreError(openSqliteStateStore(path), 'DATABASE_CORRUPT')
    expect(message).toContain(path)
    await expectUntouched(path, bytes)
  })

  it('refuses a damaged mycel database as DATABASE_CORRUPT', async () => {
    const path = join(await tempDir(), 'state.db')
    const store = await openSqliteStateStore(path)
    const { manifest } = await multiFileShare()
    await store.putManifest(manifest)
    await store.addShare({ infohash: manifest.infohash, name: 'album', role: 'seed', contentPath: '/a' })
    await store.close()
    const bytes = await readFile(path)
    const damaged = Buffer.concat([bytes.subarray(0, 4096), randomBytes(bytes.length - 4096)])
    await writeFile(path, damaged)
    await expectStoreError(openSqliteStateStore(path, { integrityCheck: true }), 'DATABASE_CORRUPT')
    // without the check, the damage shows at the first read of a damaged page
    const opened = await openSqliteStateStore(path).catch((err: Error) => err)
    if (opened instanceof Error) expect((opened as { code?: string }).code).toBe('DATABASE_CORRUPT')
    else {
      await expectStoreError(opened.getManifest(manifest.infohash), 'DATABASE_CORRUPT')
      await opened.close().catch(() => {})
    }
  })

  it('refuses another application’s SQLite database as DATABASE_FOREIGN, leaving it as it was', async () => {
    const path = join(await tempDir(), 'other.db')
    const raw = new Database(path)
    raw.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada')")
    raw.close()
    const before = await readFile(path)
    const message = await expectStoreError(openSqliteStateStore(path), 'DATABASE_FOREIGN')
    expect(message).toContain('users')
    await expectUntouched(path, before)
  })

  it('refuses a schema newer than this code as SCHEMA_TOO_NEW, leaving it as it was', async () => {
    const path = join(await tempDir(), 'state.db')
    await (await openSqliteStateStore(path)).close()
    const raw = new Database(path)
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    raw.pragma('journal_mode = DELETE')
    raw.close()
    const before = await readFile(path)
    expect(await expectStoreError(openSqliteStateStore(path), 'SCHEMA_TOO_NEW')).toContain('upgrade mycel')
    await expectUntouched(path, before)
  })

  it('refuses a second store on the same database with DATABASE_LOCKED', async () => {
    const path = join(await tempDir(), 'state.db')
    const first = await openSqliteStateStore(path)
    await expectStoreError(openSqliteStateStore(path, { busyTimeout: 50 }), 'DATABASE_LOCKED')
    await first.setValue('still', new Uint8Array([1]))
    await first.close()
    const again = await openSqliteStateStore(path)
    expect(await again.getValue('still')).toEqual(new Uint8Array([1]))
    await again.close()
  })

  it('refuses a path that cannot be created with NOT_WRITABLE', async () => {
    const base = await tempDir()
    await writeFile(join(base, 'file'), 'x')
    await expectStoreError(openSqliteStateStore(join(base, 'file', 'state.db')), 'NOT_WRITABLE')
    await expectStoreError(openSqliteStateStore(join(base, 'file', 'deeper', 'state.db')), 'NOT_WRITABLE')
  })

  it('opens in WAL mode and creates missing folders', async () => {
    const path = join(await tempDir(), 'nested', 'data', 'state.db')
    const store = await openSqliteStateStore(path)
    await store.setValue('k', new Uint8Array([1]))
    expect(existsSync(`${path}-wal`)).toBe(true)
    await store.close()
    const raw = new Database(path, { readonly: true })
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(raw.pragma('application_id', { simple: true })).toBe(0x6d79636c)
    raw.close()
  })
})

describe('migrations', () => {
  /** A database at schema version 1 holding one share, as an older mycel wrote it. */
  async function versionOne(metadataOverride?: Uint8Array) {
    const path = join(await tempDir(), 'state.db')
    const { manifest } = await multiFileShare()
    const raw = new Database(path)
    migrate(raw, 0, 1)
    raw
      .prepare('INSERT INTO manifests VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        manifest.infohash,
        manifest.name,
        manifest.pieceCount,
        manifest.totalLength,
        0,
        metadataOverride ?? encodeMetadata(manifest),
      )
    const bits = new Bitfield(manifest.pieceCount)
    bits.set(2)
    raw.prepare('INSERT INTO bitfields VALUES (?, ?, 1, ?)').run(manifest.infohash, manifest.pieceCount, bits.toBytes())
    raw
      .prepare("INSERT INTO shares VALUES (?, 'album', 'album', 'seed', '/a', 'active', 1, 1, NULL, NULL)")
      .run(manifest.infohash)
    raw.close()
    return { path, manifest }
  }

  it('upgrades a version-1 database, filling the file index from its manifests', async () => {
    const { path, manifest } = await versionOne()
    const store = await openSqliteStateStore(path)
    expect((await store.search('deep')).map((hit) => hit.path?.join('/'))).toEqual(['sub/deep/b.bin'])
    expect([...((await store.getBitfield(manifest.infohash)) as Bitfield).pieces()]).toEqual([2])
    expect(await store.getShare(manifest.infohash)).toMatchObject({
      name: 'album',
      verifiedPieces: 1,
      bytesUploaded: 0,
      bytesDownloaded: 0,
    })
    await store.updateShare(manifest.infohash, { addUploaded: 5 })
    expect(await store.getShare(manifest.infohash)).toMatchObject({ bytesUploaded: 5, bytesDownloaded: 0 })
    await store.close()
    const raw = new Database(path, { readonly: true })
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    raw.close()
  })

  it('leaves the database at its version when a migration fails', async () => {
    const { path } = await versionOne(new Uint8Array([0x64, 0x65]))
    await expectStoreError(openSqliteStateStore(path), 'DATABASE_CORRUPT')
    const raw = new Database(path, { readonly: true })
    expect(raw.pragma('user_version', { simple: true })).toBe(1)
    expect(raw.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'files'").pluck().get()).toBe(0)
    raw.close()
  })
})

describe('damaged rows', () => {
  it('reports a tampered manifest or bitfield as DATABASE_CORRUPT', async () => {
    const path = join(await tempDir(), 'state.db')
    const { manifest } = await singleFileShare()
    const other = await multiFileShare()
    const store = await openSqliteStateStore(path)
    await store.putManifest(manifest)
    await store.putManifest(other.manifest)
    await store.close()
    const raw = new Database(path)
    const metadata = encodeMetadata(manifest)
    metadata[metadata.length - 40] = (metadata[metadata.length - 40] as number) ^ 1
    raw.prepare('UPDATE manifests SET metadata = ? WHERE infohash = ?').run(metadata, manifest.infohash)
    raw.prepare('UPDATE bitfields SET bits = ? WHERE infohash = ?').run(new Uint8Array(1000), other.manifest.infohash)
    raw.close()
    const again = await openSqliteStateStore(path)
    await expectStoreError(again.getManifest(manifest.infohash), 'DATABASE_CORRUPT')
    await expectStoreError(again.getBitfield(other.manifest.infohash), 'DATABASE_CORRUPT')
    expect(() => again.markVerified(other.manifest.infohash, 0)).toThrow(/malformed/)
    await again.close()
  })
})

describe('a full database', () => {
  it('fails a write over the size cap with DISK_FULL, keeping what was stored', async () => {
    const path = join(await tempDir(), 'state.db')
    const store = await openSqliteStateStore(path, { maxBytes: 96 * 1024 })
    const { manifest } = await singleFileShare()
    await store.putManifest(manifest)
    await store.addShare({ infohash: manifest.infohash, name: 'movie', role: 'download', contentPath: '/m' })
    store.markVerified(manifest.infohash, 1)
    await store.flush()
    const big = await makeTestShare(
      'big',
      Array.from({ length: 2000 }, (_, i) => ({ path: ['folder', `file-with-a-long-name-${i}.bin`], length: 1 })),
      16384,
    )
    expect(await expectStoreError(store.putManifest(big.manifest), 'DISK_FULL')).toContain('no space')
    expect(await store.getManifest(big.manifest.infohash)).toBeUndefined()
    store.markVerified(manifest.infohash, 2)
    await store.close()
    const again = await openSqliteStateStore(path)
    expect([...((await again.getBitfield(manifest.infohash)) as Bitfield).pieces()]).toEqual([1, 2])
    expect((await again.getShare(manifest.infohash))?.name).toBe('movie')
    await again.putManifest(big.manifest)
    await again.close()
  })
})

describe('batched piece marks', () => {
  it('commits marks in one batch per interval, and only when some are pending', async () => {
    const path = join(await tempDir(), 'state.db')
    let commits = 0
    const store = await openSqliteStateStore(path, { flushInterval: 20, beforeCommit: () => void commits++ })
    const { manifest } = await multiFileShare()
    await store.putManifest(manifest)
    for (let piece = 0; piece < manifest.pieceCount; piece++) store.markVerified(manifest.infohash, piece)
    expect(commits).toBe(0)
    for (let waited = 0; commits === 0 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10))
    expect(commits).toBe(1)
    await store.flush()
    store.markVerified(manifest.infohash, 0)
    await store.flush()
    expect(commits).toBe(1)
    await store.close()
    expect(commits).toBe(1)
  })

  it('keeps marks pending when the commit hook fails, and reports it from flush()', async () => {
    const path = join(await tempDir(), 'state.db')
    let fail = true
    const store = await openSqliteStateStore(path, {
      flushInterval: 5,
      beforeCommit: () => {
        if (fail) throw new Error('sync failed')
      },
    })
    const { manifest } = await singleFileShare()
    await store.putManifest(manifest)
    store.markVerified(manifest.infohash, 3)
    await new Promise((resolve) => setTimeout(resolve, 30)) // automatic flushes fail quietly and retry
    await expect(store.flush()).rejects.toThrow('sync failed')
    expect((await store.getBitfield(manifest.infohash))?.get(3)).toBe(true)
    fail = false
    await store.flush()
    await store.close()
    const again = await openSqliteStateStore(path)
    expect([...((await again.getBitfield(manifest.infohash)) as Bitfield).pieces()]).toEqual([3])
    await again.close()
  })

  it('commits only the marks taken before the hook ran, never over a bitfield replaced meanwhile', async () => {
    const path = join(await tempDir(), 'state.db')
    let release: () => void = () => {}
    let hold = true
    const store = await openSqliteStateStore(path, {
      flushInterval: 10_000,
      beforeCommit: () =>
        hold
          ? new Promise<void>((resolve) => {
              release = resolve
            })
          : undefined,
    })
    const { manifest } = await multiFileShare()
    await store.putManifest(manifest)
    store.markVerified(manifest.infohash, 0)
    const flushing = store.flush()
    await new Promise((resolve) => setTimeout(resolve, 5))
    const replacement = new Bitfield(manifest.pieceCount)
    replacement.set(5)
    await store.setBitfield(manifest.infohash, replacement)
    store.markVerified(manifest.infohash, 7)
    hold = false
    release()
    await flushing
    await store.close()
    const again = await openSqliteStateStore(path)
    expect([...((await again.getBitfield(manifest.infohash)) as Bitfield).pieces()]).toEqual([5, 7])
    await again.close()
  })

  it('keeps recently used manifests decoded', async () => {
    const store = await openSqliteStateStore(':memory:', { manifestCacheSize: 1 })
    const a = await singleFileShare()
    const b = await multiFileShare()
    await store.putManifest(a.manifest)
    expect(await store.getManifest(a.manifest.infohash)).toBe(a.manifest)
    await store.putManifest(b.manifest)
    const decoded = await store.getManifest(a.manifest.infohash)
    expect(decoded).not.toBe(a.manifest)
    expect(decoded?.infohashHex).toBe(a.manifest.infohashHex)
    expect(await store.getManifest(a.manifest.infohash)).toBe(decoded)
    await store.close()
  })
})
