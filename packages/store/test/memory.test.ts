import * as vitest from 'vitest'
import { describe, expect, it } from 'vitest'
import { MemoryPieceStore, MemoryStateStore } from '../src/index.js'
import { multiFileShare, pieceBytes, pieceStoreCompliance, stateStoreCompliance } from '../src/testing.js'

pieceStoreCompliance(vitest, 'MemoryPieceStore', {
  create: async (manifest) => new MemoryPieceStore(manifest),
  seed: async (manifest, files) => new MemoryPieceStore(manifest, { files, readOnly: true }),
})

stateStoreCompliance(vitest, 'MemoryStateStore', {
  create: async ({ now, maxPeers }) => new MemoryStateStore(maxPeers === undefined ? { now } : { now, maxPeers }),
})

describe('MemoryPieceStore', () => {
  it('refuses initial contents that do not match the manifest', async () => {
    const share = await multiFileShare()
    expect(() => new MemoryPieceStore(share.manifest, { files: share.files.slice(1) })).toThrow(RangeError)
    const wrong = share.files.map((file, i) => (i === 0 ? file.subarray(1) : file))
    expect(() => new MemoryPieceStore(share.manifest, { files: wrong })).toThrow(RangeError)
  })

  it('tracks which ranges were written, whatever the order of partial writes', async () => {
    const share = await multiFileShare()
    const store = new MemoryPieceStore(share.manifest)
    const piece = pieceBytes(share, 0)
    await store.write(0, 20_000, piece.subarray(20_000))
    expect(await store.has(0)).toBe(false)
    await store.write(0, 0, piece.subarray(0, 10_000))
    expect(await store.has(0)).toBe(false)
    await store.write(0, 9_000, piece.subarray(9_000, 20_001))
    expect(await store.has(0)).toBe(true)
    await store.close()
  })
})
