import { Bitfield } from '@mycel/pieces'
import type { StoreErrorCode } from '../errors.js'
import { STORE_LIMITS } from '../limits.js'
import type { StateStore } from '../state-store.js'
import { rejectionCode, type StateStoreHarness, useStateContext } from './context.js'
import type { TestRunner } from './runner.js'
import { multiFileShare, singleFileShare } from './shares.js'
import { stateSearchAndPeerTests } from './state-store-peers.js'

async function expectCode(
  expect: TestRunner['expect'],
  promise: Promise<unknown> | (() => unknown),
  code: StoreErrorCode | string,
): Promise<void> {
  expect(await rejectionCode(promise)).toBe(code)
}

const INFOHASH_A = new Uint8Array(32).fill(0xaa)

/**
 * The behaviour every {@link index!StateStore | StateStore} must have, as a test suite: call
 * it at the top level of a test file with the test runner's `describe`, `it`,
 * `expect` and `afterEach` (this module imports no runner) and a harness that
 * makes stores of the implementation under test. Stores are given a controlled clock, so
 * timestamps are checked exactly.
 *
 * @param runner - the test runner's API: `import * as vitest from 'vitest'` fits, and so does jest's
 * @param name - the implementation's name, used as the suite title
 * @param harness - makes (and reopens) stores
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest'
 * import { MemoryStateStore } from '@mycel/store'
 * import { stateStoreCompliance } from '@mycel/store/testing'
 *
 * stateStoreCompliance(vitest, 'MemoryStateStore', { create: async ({ now, maxPeers }) => new MemoryStateStore({ now, maxPeers }) })
 * ```
 */
export function stateStoreCompliance(runner: TestRunner, name: string, harness: StateStoreHarness): void {
  const { describe, expect, it } = runner
  describe(`${name}: StateStore compliance`, () => {
    const context = useStateContext(runner.afterEach, harness)
    const { clock } = context

    it('stores manifests by infohash, as a decoded manifest and as metadata bytes', async () => {
      const store = await context.create()
      const { manifest } = await multiFileShare()
      expect(await store.getManifest(manifest.infohash)).toBeUndefined()
      expect(await store.getMetadata(manifest.infohash)).toBeUndefined()
      await store.putManifest(manifest)
      await store.putManifest(manifest)
      const back = await store.getManifest(manifest.infohash)
      expect(back?.infohashHex).toBe(manifest.infohashHex)
      expect(back?.files.map((file) => file.path)).toEqual(manifest.files.map((file) => file.path))
      const metadata = await store.getMetadata(manifest.infohash)
      expect(metadata).toBeInstanceOf(Uint8Array)
      expect(metadata?.length).toBeGreaterThan(manifest.info.length)
    })

    it('records verified pieces as they complete, readable at once, replaceable and clearable', async () => {
      const store = await context.create()
      const { manifest } = await multiFileShare()
      expect(await store.getBitfield(manifest.infohash)).toBeUndefined()
      await store.putManifest(manifest)
      const empty = await store.getBitfield(manifest.infohash)
      expect(empty?.size).toBe(manifest.pieceCount)
      expect(empty?.count()).toBe(0)
      store.markVerified(manifest.infohash, 0)
      store.markVerified(manifest.infohash, 2)
      store.markVerified(manifest.infohash, 2)
      const marked = await store.getBitfield(manifest.infohash)
      expect([...(marked as Bitfield).pieces()]).toEqual([0, 2])
      ;(marked as Bitfield).set(1)
      expect((await store.getBitfield(manifest.infohash))?.get(1)).toBe(false)
      await store.flush()
      await store.putManifest(manifest)
      expect((await store.getBitfield(manifest.infohash))?.count()).toBe(2)

      const replacement = new Bitfield(manifest.pieceCount)
      replacement.set(1)
      await store.setBitfield(manifest.infohash, replacement)
      replacement.set(3)
      expect([...((await store.getBitfield(manifest.infohash)) as Bitfield).pieces()]).toEqual([1])
      await store.clearBitfield(manifest.infohash)
      expect((await store.getBitfield(manifest.infohash))?.count()).toBe(0)
    })

    it('refuses marks for unknown shares and pieces, and bitfields of the wrong size', async () => {
      const store = await context.create()
      const { manifest } = await singleFileShare()
      await expectCode(expect, () => store.markVerified(manifest.infohash, 0), 'UNKNOWN_SHARE')
      await expectCode(expect, store.setBitfield(manifest.infohash, new Bitfield(1)), 'UNKNOWN_SHARE')
      await expectCode(expect, store.clearBitfield(manifest.infohash), 'UNKNOWN_SHARE')
      await store.putManifest(manifest)
      await expectCode(expect, () => store.markVerified(manifest.infohash, manifest.pieceCount), 'RangeError')
      await expectCode(expect, () => store.markVerified(manifest.infohash, -1), 'RangeError')
      await expectCode(
        expect,
        store.setBitfield(manifest.infohash, new Bitfield(manifest.pieceCount + 1)),
        'RangeError',
      )
      await expectCode(expect, () => store.markVerified(new Uint8Array(31), 0), 'RangeError')
      await expectCode(expect, store.getManifest(new Uint8Array(33)), 'RangeError')
    })

    it('records shares with defaults, derived sizes and verified counts', async () => {
      const store = await context.create()
      const { manifest } = await multiFileShare()
      const added = await store.addShare({
        infohash: manifest.infohash,
        name: 'album',
        role: 'download',
        contentPath: '/downloads/album',
      })
      expect(added).toMatchObject({
        name: 'album',
        role: 'download',
        contentPath: '/downloads/album',
        status: 'active',
        hasManifest: false,
        totalLength: undefined,
        pieceCount: undefined,
        verifiedPieces: 0,
        addedAt: clock.time,
        updatedAt: clock.time,
        completedAt: undefined,
        lastError: undefined,
        bytesUploaded: 0,
        bytesDownloaded: 0,
      })
      expect(added.infohash).toEqual(manifest.infohash)
      await expectCode(
        expect,
        store.addShare({ infohash: manifest.infohash, name: 'x', role: 'seed', contentPath: '/x' }),
        'SHARE_EXISTS',
      )
      await store.putManifest(manifest)
      store.markVerified(manifest.infohash, 1)
      expect(await store.getShare(manifest.infohash)).toMatchObject({
        hasManifest: true,
        totalLength: manifest.totalLength,
        pieceCount: manifest.pieceCount,
        verifiedPieces: 1,
      })
      expect(await store.getShare(INFOHASH_A)).toBeUndefined()
    })

    it('updates share status with the completion and error rules', async () => {
      const store = await context.create()
      await store.addShare({ infohash: INFOHASH_A, name: 'a', role: 'download', contentPath: '/d/a' })
      clock.time += 1000
      const failed = await store.updateShare(INFOHASH_A, { status: 'error', lastError: 'x'.repeat(5000) })
      expect(failed.status).toBe('error')
      expect(failed.lastError).toBe('x'.repeat(STORE_LIMITS.maxErrorLength))
      expect(failed.updatedAt).toBe(clock.time)
      clock.time += 1000
      const resumed = await store.updateShare(INFOHASH_A, { status: 'active' })
      expect(resumed.lastError).toBeUndefined()
      clock.time += 1000
      const done = await store.updateShare(INFOHASH_A, { status: 'complete', name: 'A', contentPath: '/e/A' })
      expect(done).toMatchObject({ status: 'complete', completedAt: clock.time, name: 'A', contentPath: '/e/A' })
      const completedAt = clock.time
      clock.time += 1000
      expect((await store.updateShare(INFOHASH_A, { status: 'paused' })).completedAt).toBe(completedAt)
      expect((await store.updateShare(INFOHASH_A, { completedAt: null })).completedAt).toBeUndefined()
      await expectCode(expect, store.updateShare(new Uint8Array(32), { status: 'paused' }), 'UNKNOWN_SHARE')
      await expectCode(expect, store.updateShare(INFOHASH_A, { status: 'done' as never }), 'TypeError')
    })

    it('adds transferred bytes to the all-time totals, leaving the rest of the record', async () => {
      const store = await context.create()
      await store.addShare({ infohash: INFOHASH_A, name: 'a', role: 'seed', contentPath: '/a', status: 'complete' })
      clock.time += 1000
      const sent = await store.updateShare(INFOHASH_A, { addUploaded: 100 })
      expect(sent).toMatchObject({ bytesUploaded: 100, bytesDownloaded: 0, status: 'complete', updatedAt: clock.time })
      const both = await store.updateShare(INFOHASH_A, { addUploaded: 1, addDownloaded: 2 ** 40 })
      expect(both).toMatchObject({ bytesUploaded: 101, bytesDownloaded: 2 ** 40, name: 'a', contentPath: '/a' })
      expect(await store.getShare(INFOHASH_A)).toMatchObject({ bytesUploaded: 101, bytesDownloaded: 2 ** 40 })
      const held = await store.updateShare(INFOHASH_A, { addUploaded: Number.MAX_SAFE_INTEGER })
      expect(held.bytesUploaded).toBe(Number.MAX_SAFE_INTEGER)
      expect((await store.listShares())[0]).toMatchObject({ bytesUploaded: Number.MAX_SAFE_INTEGER })
      await expectCode(expect, store.updateShare(INFOHASH_A, { addUploaded: -1 }), 'RangeError')
      await expectCode(expect, store.updateShare(INFOHASH_A, { addDownloaded: 1.5 }), 'RangeError')
      await expectCode(expect, store.updateShare(INFOHASH_A, { addDownloaded: '5' as never }), 'TypeError')
      expect(await store.getShare(INFOHASH_A)).toMatchObject({ bytesDownloaded: 2 ** 40 })
      await expectCode(expect, store.updateShare(new Uint8Array(32).fill(0xbb), { addUploaded: 1 }), 'UNKNOWN_SHARE')
    })

    it('lists shares oldest first, by role and status, with paging', async () => {
      const store = await context.create()
      const ids = [3, 1, 2, 0].map((byte) => new Uint8Array(32).fill(byte))
      for (const [i, infohash] of ids.entries()) {
        if (i !== 3) clock.time += 10 // the last two were added at the same time: infohash order decides
        await store.addShare({
          infohash,
          name: `share ${i}`,
          role: i % 2 === 0 ? 'seed' : 'download',
          contentPath: `/c/${i}`,
          status: i === 1 ? 'paused' : 'active',
        })
      }
      const names = async (filter?: Parameters<StateStore['listShares']>[0]) =>
        (await store.listShares(filter)).map((share) => share.name)
      expect(await names()).toEqual(['share 0', 'share 1', 'share 3', 'share 2'])
      expect(await names({ role: 'seed' })).toEqual(['share 0', 'share 2'])
      expect(await names({ status: 'paused' })).toEqual(['share 1'])
      expect(await names({ status: ['paused', 'active'], role: 'download' })).toEqual(['share 1', 'share 3'])
      expect(await names({ status: [] })).toEqual([])
      expect(await names({ limit: 2, offset: 1 })).toEqual(['share 1', 'share 3'])
    })

    it('removes a share with its manifest and bitfield, never failing for an unknown one', async () => {
      const store = await context.create()
      const { manifest } = await singleFileShare()
      await store.putManifest(manifest)
      await store.addShare({ infohash: manifest.infohash, name: 'm', role: 'seed', contentPath: '/m' })
      store.markVerified(manifest.infohash, 0)
      expect(await store.removeShare(manifest.infohash)).toBe(true)
      expect(await store.getShare(manifest.infohash)).toBeUndefined()
      expect(await store.getManifest(manifest.infohash)).toBeUndefined()
      expect(await store.getBitfield(manifest.infohash)).toBeUndefined()
      await expectCode(expect, () => store.markVerified(manifest.infohash, 0), 'UNKNOWN_SHARE')
      expect(await store.removeShare(manifest.infohash)).toBe(false)
      await store.flush()
    })

    it('checks share arguments', async () => {
      const store = await context.create()
      const base = { infohash: INFOHASH_A, name: 'a', role: 'seed' as const, contentPath: '/a' }
      await expectCode(expect, store.addShare({ ...base, infohash: new Uint8Array(20) }), 'RangeError')
      await expectCode(expect, store.addShare({ ...base, role: 'leech' as never }), 'TypeError')
      await expectCode(expect, store.addShare({ ...base, name: '' }), 'RangeError')
      await expectCode(
        expect,
        store.addShare({ ...base, contentPath: 'x'.repeat(STORE_LIMITS.maxTextLength + 1) }),
        'RangeError',
      )
      await expectCode(expect, store.listShares({ limit: -1 }), 'RangeError')
    })

    it('keeps small values in its key/value area', async () => {
      const store = await context.create()
      expect(await store.getValue('dht.routing')).toBeUndefined()
      const value = new Uint8Array([1, 2, 3])
      await store.setValue('dht.routing', value)
      value[0] = 9
      expect(await store.getValue('dht.routing')).toEqual(new Uint8Array([1, 2, 3]))
      await store.setValue('dht.routing', new Uint8Array(0))
      expect(await store.getValue('dht.routing')).toEqual(new Uint8Array(0))
      expect(await store.deleteValue('dht.routing')).toBe(true)
      expect(await store.deleteValue('dht.routing')).toBe(false)
      await expectCode(expect, store.setValue('', value), 'RangeError')
      await expectCode(expect, store.setValue('k'.repeat(STORE_LIMITS.maxKeyLength + 1), value), 'RangeError')
      await expectCode(expect, store.setValue('k', new Uint8Array(STORE_LIMITS.maxValueBytes + 1)), 'RangeError')
    })

    it('fails calls after close with CLOSED, close being idempotent, and aborted calls with ABORTED', async () => {
      const store = await context.create()
      const { manifest } = await singleFileShare()
      await store.putManifest(manifest)
      await expectCode(expect, store.getShare(INFOHASH_A, { signal: AbortSignal.abort() }), 'ABORTED')
      await expectCode(expect, store.flush({ signal: AbortSignal.abort() }), 'ABORTED')
      store.markVerified(manifest.infohash, 0)
      const closing = store.close()
      expect(store.close()).toBe(closing)
      await closing
      await expectCode(expect, store.getManifest(manifest.infohash), 'CLOSED')
      await expectCode(expect, () => store.markVerified(manifest.infohash, 1), 'CLOSED')
      await expectCode(expect, store.listShares(), 'CLOSED')
      await expectCode(expect, store.flush(), 'CLOSED')
    })

    if (context.reopen !== undefined) {
      const reopen = context.reopen
      it('keeps everything across a reopen, marks not yet flushed included', async () => {
        const store = await context.create()
        const { manifest } = await multiFileShare()
        await store.putManifest(manifest)
        await store.addShare({ infohash: manifest.infohash, name: 'album', role: 'download', contentPath: '/d' })
        await store.updateShare(manifest.infohash, { status: 'error', lastError: 'disk full', addUploaded: 7 })
        await store.updateShare(manifest.infohash, { addDownloaded: 9 })
        store.markVerified(manifest.infohash, 0)
        store.markVerified(manifest.infohash, 3)
        await store.adjustPeerScore(INFOHASH_A, 5)
        await store.banPeer(INFOHASH_A, clock.time + 60_000)
        await store.setValue('k', new Uint8Array([7]))
        const again = await reopen(store)
        expect((await again.getManifest(manifest.infohash))?.infohashHex).toBe(manifest.infohashHex)
        expect([...((await again.getBitfield(manifest.infohash)) as Bitfield).pieces()]).toEqual([0, 3])
        expect(await again.getShare(manifest.infohash)).toMatchObject({
          status: 'error',
          lastError: 'disk full',
          verifiedPieces: 2,
          hasManifest: true,
          bytesUploaded: 7,
          bytesDownloaded: 9,
        })
        expect(await again.getPeer(INFOHASH_A)).toMatchObject({ score: 5, bannedUntil: clock.time + 60_000 })
        expect(await again.getValue('k')).toEqual(new Uint8Array([7]))
        expect((await again.search('b.bin')).map((hit) => hit.path?.join('/'))).toEqual(['sub/deep/b.bin'])
      })
    }

    stateSearchAndPeerTests(runner, context)
  })
}
