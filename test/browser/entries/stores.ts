/**
 * The page of `stores.test.ts`: the PieceStore and StateStore compliance
 * suites of `@mycel/store/testing`, run in Chromium against the browser
 * stores of `@mycel/store/browser` (OPFS through a worker, OPFS through the
 * asynchronous API, IndexedDB; the IndexedDB state store).
 */
import type { Manifest } from '@mycel/pieces'
import {
  type BrowserPieceStore,
  type IndexedDbStateStore,
  openIndexedDbPieceStore,
  openIndexedDbStateStore,
  openOpfsPieceStore,
} from '@mycel/store/browser'
import { pieceStoreCompliance, singleFileShare, stateStoreCompliance } from '@mycel/store/testing'
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
