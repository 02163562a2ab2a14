import { ingest, verifyPiece } from '@mycel/pieces'
import { describe, expect, it } from 'vitest'
import { MemoryPieceStore, MemoryStateStore, recheck } from '../src/index.js'

describe('the package documentation example', () => {
  it('runs as written: bytes first, then the record, and recheck agrees', async () => {
    const bytes = new TextEncoder().encode('hello')
    const manifest = await ingest([{ path: ['hello.txt'], content: [bytes], length: 5 }], { name: 'hello.txt' })
    const pieces = new MemoryPieceStore(manifest)
    const state = new MemoryStateStore()
    await state.putManifest(manifest)
    if (verifyPiece(manifest, 0, bytes)) {
      await pieces.writePiece(0, bytes)
      state.markVerified(manifest.infohash, 0)
    }
    const verified = await recheck(manifest, pieces)
    expect(verified.toBytes()).toEqual((await state.getBitfield(manifest.infohash))?.toBytes())
    expect(verified.isComplete()).toBe(true)
    await Promise.all([pieces.close(), state.close()])
  })
})
