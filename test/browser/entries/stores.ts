/**
 * The page of `stores.test.ts`: the PieceStore and StateStore compliance
 * suites of `@mycel/store/testing`, run in Chromium against the browser
 * stores of `@mycel/store/browser` (OPFS through a worker, OPFS through the
 * asynchronous API, IndexedDB; the IndexedDB state store).
 */
import type { Manifest } from '@mycel/pieces'
import {
  type BrowserPieceStore,
  type BrowserStorage,
  type IndexedDbStateStore,
  openIndexedDbPieceStore,
  openIndexedDbStateStore,
  openIndexedDbStorage,
  openOpfsPieceStore,
  openOpfsStorage,
} from '@mycel/store/browser'
import {
  multiFileShare,
  pieceBytes,
  pieceStoreCompliance,
  singleFileShare,
  stateStoreCompliance,
} from '@mycel/store/testing'
import { expose, pageRunner } from '../support/page.js'

const runner = pageRunner()
let nextFolder = 0
/** A fresh content path for each store a test makes. */
const contentPath = (manifest: Manifest) => `compliance/${nextFolder++}/${manifest.name}`

type Open = (manifest: Manifest, options: { contentPath: string; readOnly?: boolean }) => Promise<BrowserPieceStore>

function pieceHarness(open: Open) {
  return {
    create: (manifest: Manifest) => open(manifest, { contentPath: contentPath(manifest) }),
    reopen: async (store: BrowserPieceStore) => {
      await store.close()
      return open(store.manifest, { contentPath: store.contentPath })
    },
    seed: async (manifest: Manifest, files: readonly Uint8Array[]) => {
      const at = contentPath(manifest)
      const writer = await open(manifest, { contentPath: at })
      for (const [index, bytes] of files.entries()) await writer.write(index, 0, bytes)
      await writer.close()
      return open(manifest, { contentPath: at, readOnly: true })
    },
  }
}

pieceStoreCompliance(
  runner,
  'OPFS piece store (worker)',
  pieceHarness((manifest, options) => openOpfsPieceStore(manifest, { ...options, access: 'worker' })),
)
pieceStoreCompliance(
  runner,
  'OPFS piece store (async)',
  pieceHarness((manifest, options) => openOpfsPieceStore(manifest, { ...options, access: 'async' })),
)
pieceStoreCompliance(
  runner,
  'IndexedDB piece store',
  pieceHarness((manifest, options) => openIndexedDbPieceStore(manifest, { ...options, database: 'compliance-pieces' })),
)

const sharedWorker = await openOpfsStorage({ access: 'worker' })
pieceStoreCompliance(
  runner,
  'OPFS piece store (one worker shared by the stores of a BrowserStorage)',
  pieceHarness((manifest, options) => sharedWorker.open(manifest, options)),
)

const storages: Array<[string, () => Promise<BrowserStorage>, Open]> = [
  [
    'OPFS (worker)',
    () => openOpfsStorage({ access: 'worker' }),
    (manifest, options) => openOpfsPieceStore(manifest, { ...options, access: 'worker' }),
  ],
  [
    'OPFS (async)',
    () => openOpfsStorage({ access: 'async' }),
    (manifest, options) => openOpfsPieceStore(manifest, { ...options, access: 'async' }),
  ],
  [
    'IndexedDB',
    () => openIndexedDbStorage({ database: 'storage-pieces' }),
    (manifest, options) => openIndexedDbPieceStore(manifest, { ...options, database: 'storage-pieces' }),
  ],
]
for (const [kind, openStorage, openOwn] of storages) {
  runner.describe(`BrowserStorage on ${kind}`, () => {
    runner.it('says what is at a path: a file, a folder, or nothing', async () => {
      const storage = await openStorage()
      try {
        runner.expect(storage.kind).toBe(kind)
        const at = `kinds/${nextFolder++}`
        await storage.writeFile(`${at}/folder/file.bin`, new Uint8Array([1, 2, 3]))
        runner.expect(await storage.kindOf(`${at}/folder/file.bin`)).toBe('file')
        runner.expect(await storage.kindOf(`${at}/folder`)).toBe('folder')
        runner.expect(await storage.kindOf(`${at}/fold`)).toBeUndefined()
        runner.expect(await storage.kindOf(`${at}/folder/file.bin/under`)).toBeUndefined()
        runner.expect(await storage.kindOf(`${at}/nothing/here`)).toBeUndefined()
        runner.expect(await storage.size(`${at}/folder/file.bin`)).toBe(3)
        const target = new Uint8Array(5)
        runner.expect(await storage.read(`${at}/folder/file.bin`, 1, target)).toBe(2)
        runner.expect([...target]).toEqual([2, 3, 0, 0, 0])
      } finally {
        await storage.close()
      }
    })

    runner.it('lets go of the files of a closed store: a store with its own access opens them next', async () => {
      const storage = await openStorage()
      try {
        const share = await multiFileShare()
        const at = `handover/${nextFolder++}/${share.manifest.name}`
        const first = await storage.open(share.manifest, { contentPath: at })
        await first.writePiece(0, pieceBytes(share, 0))
        await first.close()
        const second = await openOwn(share.manifest, { contentPath: at })
        try {
          await second.writePiece(1, pieceBytes(share, 1))
          runner.expect([...(await second.readPiece(0))]).toEqual([...pieceBytes(share, 0)])
        } finally {
          await second.close()
        }
        runner.expect(await (await storage.open(share.manifest, { contentPath: at })).has(1)).toBe(true)
        await runner.expect(storage.open(share.manifest, { contentPath: '../escape' })).rejects.toThrow(TypeError)
      } finally {
        await storage.close()
      }
    })
  })
}

let nextDatabase = 0
stateStoreCompliance(runner, 'IndexedDB state store', {
  create: ({ now, maxPeers }) =>
    openIndexedDbStateStore({
      database: `compliance-state-${nextDatabase++}`,
      now,
      ...(maxPeers !== undefined ? { maxPeers } : {}),
    }),
  reopen: async (store, { now }) => {
    await store.close()
    return openIndexedDbStateStore({ database: (store as IndexedDbStateStore).database, now })
  },
})

/** Which way `openOpfsPieceStore` reaches OPFS by default in this browser. */
expose('defaultOpfsAccess', async () => {
  const { manifest } = await singleFileShare()
  const store = await openOpfsPieceStore(manifest, { contentPath: contentPath(manifest) })
  await store.close()
  return store.storage
})
