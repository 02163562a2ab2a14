import { type Manifest, verifyPiece } from '@mycel/pieces'
import { StoreError, type StoreErrorCode } from '../errors.js'
import type { PieceStore } from '../piece-store.js'
import { recheck } from '../recheck.js'
import type { TestRunner } from './runner.js'
import { compareTestBytes, multiFileShare, pieceBytes, shuffled, singleFileShare, type TestShare } from './shares.js'

/** How {@link pieceStoreCompliance} makes the stores it tests. */
export interface PieceStoreHarness {
  /** A new, empty, writable store for a share. */
  create(manifest: Manifest): Promise<PieceStore>
  /**
   * Closes `store` and opens the same storage again (stores that persist);
   * omit it for stores that do not.
   */
  reopen?(store: PieceStore): Promise<PieceStore>
  /**
   * A read-only store that already holds `files` (one array per file of the
   * manifest), as a share seeded in place; omit it if the implementation has
   * no read-only mode.
   */
  seed?(manifest: Manifest, files: readonly Uint8Array[]): Promise<PieceStore>
  /** Called after each test, after every store made in it was closed (remove temporary folders here). */
  cleanup?(): Promise<void>
}

/** The code of the StoreError a promise rejects with, or what happened instead. */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    return err instanceof StoreError ? err.code : `${(err as Error).name}: ${(err as Error).message}`
  }
  return 'resolved'
}

async function expectStoreError(
  expect: TestRunner['expect'],
  promise: Promise<unknown>,
  code: StoreErrorCode,
): Promise<void> {
  expect(await rejection(promise)).toBe(code)
}

/** A programming mistake of the caller: RangeError (or TypeError for a non-integer). */
async function expectRangeError(expect: TestRunner['expect'], run: () => Promise<unknown>): Promise<void> {
  expect(await rejection(run().then(() => undefined))).toMatch(/^(RangeError|TypeError)/)
}

/**
 * The behaviour every {@link index!PieceStore | PieceStore} must have, as a test suite: call
 * it at the top level of a test file with the test runner's `describe`, `it`,
 * `expect` and `afterEach` (this module imports no runner) and a harness that
 * makes stores of the implementation under test.
 *
 * @param runner - the test runner's API: `import * as vitest from 'vitest'` fits, and so does jest's
 * @param name - the implementation's name, used as the suite title
 * @param harness - makes (and reopens, and seeds) stores
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest'
 * import { MemoryPieceStore } from '@mycel/store'
 * import { pieceStoreCompliance } from '@mycel/store/testing'
 *
 * pieceStoreCompliance(vitest, 'MemoryPieceStore', {
 *   create: async (manifest) => new MemoryPieceStore(manifest),
 *   seed: async (manifest, files) => new MemoryPieceStore(manifest, { files, readOnly: true }),
 * })
 * ```
 */
export function pieceStoreCompliance(runner: TestRunner, name: string, harness: PieceStoreHarness): void {
  const { afterEach, describe, expect, it } = runner
  describe(`${name}: PieceStore compliance`, () => {
    const opened: PieceStore[] = []
    const create = async (manifest: Manifest) => {
      const store = await harness.create(manifest)
      opened.push(store)
      return store
    }

    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((store) => store.close()))
      await harness.cleanup?.()
    })

    async function writeAll(store: PieceStore, share: TestShare, seed = 1): Promise<void> {
      for (const piece of shuffled(share.manifest.pieceCount, seed))
        await store.writePiece(piece, pieceBytes(share, piece))
    }

    for (const [label, makeShare] of [
      ['a folder share', multiFileShare],
      ['a single-file share', singleFileShare],
    ] as const) {
      it(`round-trips every piece of ${label} written in random order`, async () => {
        const share = await makeShare()
        const store = await create(share.manifest)
        expect(store.manifest).toBe(share.manifest)
        expect(store.readOnly).toBe(false)
        await writeAll(store, share)
        for (let piece = 0; piece < share.manifest.pieceCount; piece++) {
          const bytes = await store.readPiece(piece)
          expect(compareTestBytes(bytes, pieceBytes(share, piece))).toBe('equal')
          expect(verifyPiece(share.manifest, piece, bytes)).toBe(true)
        }
      })
    }

    it('reads any range inside a file, across piece boundaries, and into a buffer the caller owns', async () => {
      const share = await multiFileShare()
      const store = await create(share.manifest)
      await writeAll(store, share, 2)
      for (const [fileIndex, offset, length] of [
        [0, 0, 100_000],
        [0, 32768 - 10, 20],
        [0, 99_999, 1],
        [3, 16384, 16384 * 2 + 5],
        [4, 0, 1],
        [1, 0, 0],
      ] as const) {
        const expected = (share.files[fileIndex] as Uint8Array).subarray(offset, offset + length)
        expect(compareTestBytes(await store.read(fileIndex, offset, length), expected)).toBe('equal')
        const target = new Uint8Array(length)
        expect(await store.readInto(fileIndex, offset, target)).toBe(target)
        expect(compareTestBytes(target, expected)).toBe('equal')
      }
    })

    it('writes blocks at arbitrary offsets in place, leaving unwritten bytes as zeros', async () => {
      const share = await singleFileShare()
      const store = await create(share.manifest)
      const file = share.files[0] as Uint8Array
      const blocks = Math.ceil(file.length / 16384)
      for (const block of shuffled(blocks, 3)) {
        if (block === 1) continue
        await store.write(0, block * 16384, file.subarray(block * 16384, (block + 1) * 16384))
      }
      const read = await store.read(0, 0, file.length)
      expect(compareTestBytes(read.subarray(0, 16384), file.subarray(0, 16384))).toBe('equal')
      expect(compareTestBytes(read.subarray(16384, 32768), new Uint8Array(16384))).toBe('equal')
      expect(compareTestBytes(read.subarray(32768), file.subarray(32768))).toBe('equal')
      expect(verifyPiece(share.manifest, 0, read.subarray(0, 32768))).toBe(false)
      await store.write(0, 16384, file.subarray(16384, 32768))
      expect(verifyPiece(share.manifest, 0, await store.readPiece(0))).toBe(true)
    })

    it('says it lacks a piece never written and may hold one that was', async () => {
      const share = await multiFileShare()
      const store = await create(share.manifest)
      for (let piece = 0; piece < share.manifest.pieceCount; piece++) expect(await store.has(piece)).toBe(false)
      await store.writePiece(0, pieceBytes(share, 0))
      expect(await store.has(0)).toBe(true)
      const last = share.manifest.pieceCount - 1
      await store.writePiece(last, pieceBytes(share, last))
      expect(await store.has(last)).toBe(true)
    })

    it('keeps concurrent writes and reads of different pieces apart', async () => {
      const share = await multiFileShare()
      const store = await create(share.manifest)
      const pieces = shuffled(share.manifest.pieceCount, 4)
      await Promise.all(pieces.map((piece) => store.writePiece(piece, pieceBytes(share, piece))))
      const read = await Promise.all(pieces.map((piece) => store.readPiece(piece)))
      pieces.forEach((piece, i) => {
        expect(compareTestBytes(read[i] as Uint8Array, pieceBytes(share, piece))).toBe('equal')
      })
      await store.sync()
    })

    it('refuses ranges outside the share as programming mistakes (RangeError)', async () => {
      const share = await multiFileShare()
      const store = await create(share.manifest)
      const files = share.manifest.files.length
      await expectRangeError(expect, () => store.read(0, 99_999, 2))
      await expectRangeError(expect, () => store.read(0, -1, 1))
      await expectRangeError(expect, () => store.read(files, 0, 1))
      await expectRangeError(expect, () => store.read(0, 0.5, 1))
      await expectRangeError(expect, () => store.write(4, 0, new Uint8Array(2)))
      await expectRangeError(expect, () => store.write(1, 0, new Uint8Array(1)))
      await expectRangeError(expect, () => store.writePiece(0, new Uint8Array(10)))
      await expectRangeError(expect, () => store.readPiece(share.manifest.pieceCount))
      await expectRangeError(expect, () => store.has(-1))
    })

    it('recheck finds exactly the pieces whose bytes are right', async () => {
      const share = await multiFileShare()
      const store = await create(share.manifest)
      const count = share.manifest.pieceCount
      const good = shuffled(count, 5).slice(0, Math.ceil(count / 2))
      for (const piece of good) await store.writePiece(piece, pieceBytes(share, piece))
      const bad = [...Array(count).keys()].find((piece) => !good.includes(piece)) as number
      const corrupt = pieceBytes(share, bad).slice()
      corrupt[0] = (corrupt[0] as number) ^ 1
      await store.writePiece(bad, corrupt)
      const progress: number[] = []
      const verified = await recheck(share.manifest, store, { onProgress: (p) => progress.push(p.piecesChecked) })
      expect([...verified.pieces()]).toEqual([...good].sort((a, b) => a - b))
      expect(progress).toEqual(Array.from({ length: count }, (_, i) => i + 1))
    })

    it('fails operations after close with CLOSED, and close is idempotent', async () => {
      const share = await singleFileShare()
      const store = await create(share.manifest)
      await store.writePiece(0, pieceBytes(share, 0))
      const first = store.close()
      expect(store.close()).toBe(first)
      await first
      await expectStoreError(expect, store.readPiece(0), 'CLOSED')
      await expectStoreError(expect, store.writePiece(0, pieceBytes(share, 0)), 'CLOSED')
      await expectStoreError(expect, store.has(0), 'CLOSED')
      await expectStoreError(expect, store.sync(), 'CLOSED')
    })

    it('rejects an operation whose signal is aborted with ABORTED', async () => {
      const share = await singleFileShare()
      const store = await create(share.manifest)
      const signal = AbortSignal.abort(new Error('stop'))
      await expectStoreError(expect, store.writePiece(0, pieceBytes(share, 0), { signal }), 'ABORTED')
      await expectStoreError(expect, store.read(0, 0, 10, { signal }), 'ABORTED')
      await expectStoreError(expect, recheck(share.manifest, store, { signal }), 'ABORTED')
    })

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen
      it('keeps what was written when reopened', async () => {
        const share = await multiFileShare()
        const store = await create(share.manifest)
        await writeAll(store, share, 6)
        await store.sync()
        const again = await reopen(store)
        opened.push(again)
        for (let piece = 0; piece < share.manifest.pieceCount; piece++) {
          expect(compareTestBytes(await again.readPiece(piece), pieceBytes(share, piece))).toBe('equal')
        }
        expect((await recheck(share.manifest, again)).isComplete()).toBe(true)
      })
    }

    if (harness.seed !== undefined) {
      const seed = harness.seed
      it('serves a read-only store that already holds the files, and refuses writes', async () => {
        const share = await multiFileShare()
        const store = await seed(share.manifest, share.files)
        opened.push(store)
        expect(store.readOnly).toBe(true)
        for (let piece = 0; piece < share.manifest.pieceCount; piece++) {
          expect(await store.has(piece)).toBe(true)
          expect(compareTestBytes(await store.readPiece(piece), pieceBytes(share, piece))).toBe('equal')
        }
        await expectStoreError(expect, store.writePiece(0, pieceBytes(share, 0)), 'READ_ONLY')
        await expectStoreError(expect, store.write(0, 0, new Uint8Array(1)), 'READ_ONLY')
        expect((await recheck(share.manifest, store)).isComplete()).toBe(true)
      })
    }
  })
}
