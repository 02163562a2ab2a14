import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Manifest } from '@mycel/pieces'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryPieceStore, MemoryStateStore, type StateStore, StoreError } from '../src/index.js'
import { CoveredRanges } from '../src/memory/covered-ranges.js'
import { openSqliteStateStore } from '../src/sqlite.js'
import { makeTestShare, multiFileShare, singleFileShare } from '../src/testing.js'
import { removeTempDirs, tempDir } from './helpers.js'

afterAll(removeTempDirs)

describe('CoveredRanges', () => {
  it('agrees with a byte-by-byte model for any writes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(200), fc.nat(60)), { maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(200), fc.nat(60)), { maxLength: 20 }),
        (writes, queries) => {
          const ranges = new CoveredRanges()
          const model = new Uint8Array(300)
          for (const [start, length] of writes) {
            ranges.add(start, start + length)
            model.fill(1, start, start + length)
          }
          for (const [start, length] of queries) {
            expect(ranges.covers(start, start + length)).toBe(
              model.subarray(start, start + length).every((b) => b === 1),
            )
          }
        },
      ),
    )
  })
})

/** One operation on a state store, run on the memory and the SQLite store alike. */
type Operation =
  | { kind: 'putManifest'; share: number }
  | { kind: 'addShare'; id: number; name: string; role: 'seed' | 'download' }
  | { kind: 'updateShare'; id: number; status: 'active' | 'paused' | 'complete' | 'error'; name?: string }
  | { kind: 'removeShare'; id: number }
  | { kind: 'mark'; share: number; piece: number }
  | { kind: 'search'; query: string; role?: 'seed' | 'download' }
  | { kind: 'adjust'; peer: number; delta: number }
  | { kind: 'ban'; peer: number; until: number }
  | { kind: 'listPeers'; order: 'best' | 'worst'; excludeBanned: boolean }
  | { kind: 'listShares'; role?: 'seed' | 'download'; status?: 'active' | 'paused' | 'complete' | 'error' }
  | { kind: 'tick'; ms: number }

const char = fc.constantFrom('a', 'B', 'e', 'é', 'É', 'ß', 'ｆ', 'F', ' ', '/', '2', '\u0301', '😀')
const text = fc.array(char, { maxLength: 6 }).map((chars) => chars.join(''))
const query = fc.array(char, { maxLength: 3 }).map((chars) => chars.join(''))
const role = fc.constantFrom('seed' as const, 'download' as const)
const status = fc.constantFrom('active' as const, 'paused' as const, 'complete' as const, 'error' as const)
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('putManifest' as const), share: fc.nat(2) }),
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('addShare' as const),
      id: fc.nat(4),
      name: text.filter((t) => t.length > 0),
      role,
    }),
  },
  fc.record(
    { kind: fc.constant('updateShare' as const), id: fc.nat(4), status, name: text.filter((t) => t.length > 0) },
    { requiredKeys: ['kind', 'id', 'status'] },
  ),
  fc.record({ kind: fc.constant('removeShare' as const), id: fc.nat(4) }),
  fc.record({ kind: fc.constant('mark' as const), share: fc.nat(2), piece: fc.nat(12) }),
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('search' as const), query, role }, { requiredKeys: ['kind', 'query'] }),
  },
  fc.record({ kind: fc.constant('adjust' as const), peer: fc.nat(5), delta: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ kind: fc.constant('ban' as const), peer: fc.nat(5), until: fc.nat(3000) }),
  fc.record({
    kind: fc.constant('listPeers' as const),
    order: fc.constantFrom('best' as const, 'worst' as const),
    excludeBanned: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('listShares' as const), role, status }, { requiredKeys: ['kind'] }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(1000) }),
)

describe('hostile arguments', () => {
  it('any search query gives hits or a RangeError', async () => {
    const store = new MemoryStateStore()
    await store.addShare({ infohash: new Uint8Array(32), name: 'Ａ share', role: 'seed', contentPath: '/a' })
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 100 }), async (query) => {
        try {
          expect(Array.isArray(await store.search(query))).toBe(true)
        } catch (err) {
          expect(err).toBeInstanceOf(RangeError)
        }
      }),
    )
    await store.close()
  })

  it('any range gives the right bytes or a RangeError/TypeError, never a StoreError', async () => {
    const share = await multiFileShare()
    const store = new MemoryPieceStore(share.manifest, { files: share.files })
    const number = fc.oneof(fc.integer({ min: -5, max: 110_000 }), fc.double(), fc.constant(Number.NaN))
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -1, max: 6 }), number, number, async (fileIndex, offset, length) => {
        try {
          const bytes = await store.read(fileIndex, offset, length)
          const file = share.files[fileIndex] as Uint8Array
          expect(Buffer.compare(bytes, file.subarray(offset, offset + length))).toBe(0)
        } catch (err) {
          expect(err instanceof RangeError || err instanceof TypeError, String(err)).toBe(true)
        }
      }),
    )
    await store.close()
  })
})

describe('the memory and SQLite state stores', () => {
  let manifests: Manifest[] = []

  beforeAll(async () => {
    const named = await makeTestShare(
      'Ｆolder é',
      [
        { path: ['Aé', 'x2.bin'], length: 40_000 },
        { path: ['b', 'ß😀'], length: 5 },
      ],
      16384,
    )
    manifests = [(await multiFileShare()).manifest, (await singleFileShare()).manifest, named.manifest]
  })

  /** The infohash of share id `id`: a stored manifest's for ids 0..2, made up for the others. */
  const infohashOf = (id: number) => manifests[id]?.infohash ?? new Uint8Array(32).fill(id + 1)

  async function apply(store: StateStore, op: Operation, clock: { time: number }): Promise<unknown> {
    try {
      switch (op.kind) {
        case 'putManifest':
          return await store.putManifest(manifests[op.share] as Manifest)
        case 'addShare':
          return await store.addShare({ infohash: infohashOf(op.id), name: op.name, role: op.role, contentPath: '/c' })
        case 'updateShare':
          return await store.updateShare(infohashOf(op.id), op.name === undefined ? { status: op.status } : op)
        case 'removeShare':
          return await store.removeShare(infohashOf(op.id))
        case 'mark':
          return store.markVerified(infohashOf(op.share), op.piece)
        case 'search':
          return await store.search(op.query, op.role === undefined ? {} : { role: op.role })
        case 'adjust':
          return await store.adjustPeerScore(new Uint8Array([op.peer]), op.delta)
        case 'ban':
          return await store.banPeer(new Uint8Array([op.peer]), clock.time + op.until)
        case 'listPeers':
          return await store.listPeers({ order: op.order, excludeBanned: op.excludeBanned })
        case 'listShares':
          return await store.listShares(op)
        case 'tick':
          clock.time += op.ms
          return undefined
      }
    } catch (err) {
      return err instanceof StoreError ? `StoreError ${err.code}` : `${(err as Error).name}`
    }
  }

  it('give the same answers to any sequence of operations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 30 }), async (operations) => {
        const clock = { time: 1_000_000 }
        const now = () => clock.time
        const memory = new MemoryStateStore({ now, maxPeers: 4 })
        const sqlite = await openSqliteStateStore(':memory:', { now, maxPeers: 4 })
        try {
          for (const op of operations) {
            const expected = await apply(memory, op, { time: clock.time })
            const actual = await apply(sqlite, op, clock)
            expect(actual, JSON.stringify(op)).toEqual(expected)
          }
          for (const id of [0, 1, 2]) {
            expect(await sqlite.getBitfield(infohashOf(id))).toEqual(await memory.getBitfield(infohashOf(id)))
          }
        } finally {
          await Promise.all([memory.close(), sqlite.close()])
        }
      }),
      { numRuns: 200 },
    )
  })
})

describe('hostile database files', () => {
  it('open as a working store or fail with a StoreError, whatever bytes are changed', async () => {
    const dir = await tempDir()
    const pristine = join(dir, 'pristine.db')
    const store = await openSqliteStateStore(pristine)
    const { manifest } = await multiFileShare()
    await store.putManifest(manifest)
    await store.addShare({ infohash: manifest.infohash, name: 'album', role: 'seed', contentPath: '/a' })
    store.markVerified(manifest.infohash, 1)
    await store.adjustPeerScore(new Uint8Array([1]), 3)
    await store.close()
    const bytes = await readFile(pristine)
    const path = join(dir, 'mutated.db')
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 20 }),
        async (mutations) => {
          const mutated = Buffer.from(bytes)
          for (const [at, xor] of mutations) mutated[at] = (mutated[at] as number) ^ xor
          await writeFile(path, mutated)
          try {
            const opened = await openSqliteStateStore(path)
            try {
              await opened.getManifest(manifest.infohash)
              await opened.getBitfield(manifest.infohash)
              await opened.listShares()
              await opened.search('album')
              await opened.listPeers()
            } finally {
              await opened.close()
            }
          } catch (err) {
            expect(err, String(err)).toBeInstanceOf(StoreError)
          }
        },
      ),
      { numRuns: 80 },
    )
    await copyFile(pristine, path)
    const reopened = await openSqliteStateStore(path)
    expect((await reopened.getShare(manifest.infohash))?.verifiedPieces).toBe(1)
    await reopened.close()
  })
})
