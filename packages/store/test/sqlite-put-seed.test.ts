import { join } from 'node:path'
import type { Bitfield } from '@mycel/pieces'
import { afterEach, describe, expect, it } from 'vitest'
import { openSqliteStateStore } from '../src/sqlite.js'
import { makeTestShare, multiFileShare, singleFileShare } from '../src/testing.js'
import { expectStoreError, removeTempDirs, tempDir } from './helpers.js'

afterEach(removeTempDirs)

const bytes = (text: string) => new TextEncoder().encode(text)

describe('SqliteStateStore.putSeed: a share seeded from files just hashed, in one write', () => {
  it('stores the manifest, a complete seed record, every piece verified and the values, durably', async () => {
    const path = join(await tempDir(), 'state.db')
    const store = await openSqliteStateStore(path)
    const { manifest } = await multiFileShare()
    const record = await store.putSeed({
      manifest,
      contentPath: '/photos/album',
      values: new Map([['stamps/x', bytes('[1]')]]),
    })
    expect(record).toMatchObject({
      name: manifest.name,
      role: 'seed',
      status: 'complete',
      contentPath: '/photos/album',
      bytesUploaded: 0,
    })
    await store.close()
    const again = await openSqliteStateStore(path)
    expect((await again.getManifest(manifest.infohash))?.infohashHex).toBe(manifest.infohashHex)
    expect((await again.getBitfield(manifest.infohash))?.isComplete()).toBe(true)
    expect(await again.getShare(manifest.infohash)).toMatchObject({ role: 'seed', status: 'complete' })
    expect(new TextDecoder().decode(await again.getValue('stamps/x'))).toBe('[1]')
    expect((await again.search(manifest.name)).length).toBeGreaterThan(0)
    await again.close()
  })

  it('replaces a download of the same share, keeping its all-time totals', async () => {
    const store = await openSqliteStateStore(join(await tempDir(), 'state.db'))
    const { manifest } = await singleFileShare()
    await store.putManifest(manifest)
    await store.addShare({ infohash: manifest.infohash, name: 'movie', role: 'download', contentPath: '/d/movie' })
    await store.updateShare(manifest.infohash, { addUploaded: 5, addDownloaded: 7, status: 'paused' })
    store.markVerified(manifest.infohash, 1) // pending, not flushed: replaced by the full bitfield
    const record = await store.putSeed({ manifest, contentPath: '/s/movie' })
    expect(record).toMatchObject({
      role: 'seed',
      status: 'complete',
      contentPath: '/s/movie',
      bytesUploaded: 5,
      bytesDownloaded: 7,
    })
    await store.flush()
    expect((await store.getBitfield(manifest.infohash))?.isComplete()).toBe(true)
    expect(await store.listShares()).toHaveLength(1)
    await store.close()
  })

  it('writes nothing when it fails: a full database keeps the record it had', async () => {
    const path = join(await tempDir(), 'state.db')
    const store = await openSqliteStateStore(path, { maxBytes: 96 * 1024 })
    const { manifest } = await singleFileShare()
    await store.putManifest(manifest)
    await store.addShare({ infohash: manifest.infohash, name: 'movie', role: 'download', contentPath: '/d/movie' })
    store.markVerified(manifest.infohash, 1)
    await store.flush()
    const big = new Uint8Array(200 * 1024)
    const failed = store.putSeed({ manifest, contentPath: '/s/movie', values: new Map([['big', big]]) })
    await expectStoreError(failed, 'DISK_FULL')
    expect(await store.getShare(manifest.infohash)).toMatchObject({ role: 'download', contentPath: '/d/movie' })
    expect([...((await store.getBitfield(manifest.infohash)) as Bitfield).pieces()]).toEqual([1])
    await store.close()
    const again = await openSqliteStateStore(path)
    expect(await again.getShare(manifest.infohash)).toMatchObject({ role: 'download' })
    expect([...((await again.getBitfield(manifest.infohash)) as Bitfield).pieces()]).toEqual([1])
    expect(await again.getValue('big')).toBeUndefined()
    await again.close()
  })

  it('refuses a value setValue would refuse before writing anything', async () => {
    const store = await openSqliteStateStore(join(await tempDir(), 'state.db'))
    const { manifest } = await makeTestShare('one', [{ path: ['one.bin'], length: 1000 }])
    await expect(
      store.putSeed({ manifest, contentPath: '/one', values: new Map([['', bytes('x')]]) }),
    ).rejects.toThrow()
    expect(await store.getShare(manifest.infohash)).toBeUndefined()
    expect(await store.getManifest(manifest.infohash)).toBeUndefined()
    await store.close()
  })
})
