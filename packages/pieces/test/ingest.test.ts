import { describe, expect, it } from 'vitest'
import { BLOCK_SIZE, type IngestProgress, ingest, nobleHashProvider } from '../src/index.js'
import { chunked, content, expectRejection } from './helpers.js'

describe('ingest (core, from async iterables)', () => {
  it('hashes async and sync iterables alike, and reports progress', async () => {
    const bytes = content(1, 5 * BLOCK_SIZE + 3)
    async function* stream() {
      for (const chunk of chunked(bytes, [1000, 40_000])) yield chunk
    }
    const progress: IngestProgress[] = []
    const fromAsync = await ingest([{ path: ['a'], content: stream(), length: bytes.length }], {
      name: 'a',
      onProgress: (p) => progress.push(p),
    })
    const fromSync = await ingest([{ path: ['a'], content: [bytes], length: bytes.length }], { name: 'a' })
    const withoutLength = await ingest([{ path: ['a'], content: [bytes] }], { name: 'a', pieceLength: BLOCK_SIZE })
    expect(fromAsync.infohash).toEqual(fromSync.infohash)
    expect(fromAsync.infohash).toEqual(withoutLength.infohash)
    expect(fromAsync.pieceLength).toBe(BLOCK_SIZE)
    expect(progress.at(-1)).toEqual({
      bytesHashed: bytes.length,
      totalBytes: bytes.length,
      filesDone: 0,
      fileCount: 1,
      path: ['a'],
    })
    expect(progress.map((p) => p.bytesHashed)).toEqual([...progress.map((p) => p.bytesHashed)].sort((x, y) => x - y))
    expect(fromAsync.v1).toBeUndefined()
  })

  it('hashes files in canonical order whatever order they are given in', async () => {
    const files = [['b'], ['a', 'z'], ['a', 'y'], ['B']].map((path, i) => ({
      path,
      content: [content(i, 1000 * (i + 1))],
      length: 1000 * (i + 1),
    }))
    const forward = await ingest(files, { name: 'x' })
    const backward = await ingest([...files].reverse(), { name: 'x', hash: nobleHashProvider })
    expect(forward.files.map((f) => f.path.join('/'))).toEqual(['B', 'a/y', 'a/z', 'b'])
    expect(backward.infohash).toEqual(forward.infohash)
  })

  it('refuses content that does not have its announced length', async () => {
    await expectRejection(
      ingest([{ path: ['a'], content: [new Uint8Array(10)], length: 11 }], { name: 'a' }),
      'INGEST_LENGTH_MISMATCH',
    )
    let pulled = 0
    function* endless() {
      for (;;) {
        pulled++
        yield new Uint8Array(1024)
      }
    }
    await expectRejection(
      ingest([{ path: ['a'], content: endless(), length: 5000 }], { name: 'a' }),
      'INGEST_LENGTH_MISMATCH',
    )
    expect(pulled).toBe(5)
  })

  it('stops when aborted, before or during hashing', async () => {
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    await expectRejection(
      ingest([{ path: ['a'], content: [new Uint8Array(10)], length: 10 }], { name: 'a', signal: controller.signal }),
      'ABORTED',
    )
    const during = new AbortController()
    let chunks = 0
    function* many() {
      for (let i = 0; i < 100; i++) {
        chunks++
        if (i === 3) during.abort()
        yield new Uint8Array(BLOCK_SIZE)
      }
    }
    await expectRejection(
      ingest([{ path: ['a'], content: many(), length: 100 * BLOCK_SIZE }], { name: 'a', signal: during.signal }),
      'ABORTED',
    )
    expect(chunks).toBe(4)
  })

  it('checks its arguments', async () => {
    await expectRejection(
      ingest([{ path: ['..'], content: [] }], { name: 'a', pieceLength: BLOCK_SIZE }),
      'MANIFEST_BAD_PATH',
    )
    await expectRejection(ingest([], { name: 'a', pieceLength: BLOCK_SIZE }), 'MANIFEST_EMPTY')
    await expectRejection(
      ingest(
        [
          { path: ['a'], content: [], length: 0 },
          { path: ['a'], content: [], length: 0 },
        ],
        { name: 'a' },
      ),
      'MANIFEST_DUPLICATE_PATH',
    )
    await expectRejection(
      ingest([{ path: ['a'], content: [], length: 2 ** 40 }], { name: 'a', pieceLength: BLOCK_SIZE }),
      'MANIFEST_TOO_LARGE',
    )
    await expect(ingest([{ path: ['a'], content: [] }], { name: 'a' })).rejects.toThrow(TypeError)
    await expect(ingest([{ path: ['a'], content: [], length: -1 }], { name: 'a' })).rejects.toThrow(RangeError)
    await expect(ingest({} as never, { name: 'a' })).rejects.toThrow(TypeError)
    await expect(ingest([], { name: 'a', signal: 'x' as never })).rejects.toThrow(TypeError)
  })
})
