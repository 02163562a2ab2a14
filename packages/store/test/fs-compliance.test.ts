import { join } from 'node:path'
import * as vitest from 'vitest'
import { blockingFileSystem, type FsPieceStore, openDownloadStore, openSeedStore } from '../src/fs.js'
import type { PieceStore } from '../src/index.js'
import { pieceStoreCompliance } from '../src/testing.js'
import { removeTempDirs, tempDir, writeShareFiles } from './helpers.js'

const downloadDirs = new WeakMap<PieceStore, string>()

pieceStoreCompliance(vitest, 'FsPieceStore', {
  create: async (manifest) => {
    const downloadDir = join(await tempDir(), 'downloads')
    const store = await openDownloadStore(manifest, downloadDir)
    downloadDirs.set(store, downloadDir)
    return store
  },
  reopen: async (store) => {
    await store.close()
    return openDownloadStore(store.manifest, downloadDirs.get(store) as string, { existingFiles: 'adopt' })
  },
  seed: async (manifest, files) => {
    const content = await writeShareFiles(await tempDir(), manifest, files)
    return openSeedStore(manifest, content)
  },
  cleanup: removeTempDirs,
})

pieceStoreCompliance(vitest, 'FsPieceStore with a shared pool of 2 files and full allocation', {
  create: async (manifest) => {
    const { FileHandlePool } = await import('../src/fs.js')
    const pool = new FileHandlePool({ maxOpen: 2 })
    const store: FsPieceStore = await openDownloadStore(manifest, await tempDir(), { pool, allocation: 'full' })
    const close = store.close.bind(store)
    let closing: Promise<void> | undefined
    store.close = () => {
      closing ??= close().then(() => pool.close())
      return closing
    }
    return store
  },
  cleanup: removeTempDirs,
})

pieceStoreCompliance(vitest, 'FsPieceStore with blocking reads and writes', {
  create: async (manifest) => openDownloadStore(manifest, await tempDir(), { fileSystem: blockingFileSystem }),
  seed: async (manifest, files) =>
    openSeedStore(manifest, await writeShareFiles(await tempDir(), manifest, files), {
      fileSystem: blockingFileSystem,
    }),
  cleanup: removeTempDirs,
})
