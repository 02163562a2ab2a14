/**
 * The change watch of a seed over files that are not the manifest's one
 * for one (`ContentStore.sourceFiles`, as a private share's plaintext files
 * are): a piece is checked against every file it is read from, and a file
 * that changed stops the pieces it is in, neighbours' shared piece
 * included, until they verify again.
 */
import { ingest } from '@mycel/pieces'
import { describe, expect, it } from 'vitest'
import type { FileStamp, SourceFile } from '../src/content.js'
import { type ContentChange, ContentWatch } from '../src/content-watch.js'
import { contentBytes } from './helpers.js'

const PIECE = 16 * 1024

/** A share of 4 pieces read from three files: `a` is in pieces 0-1, `empty` in none, `b` in pieces 1-3. */
async function watched() {
  const bytes = contentBytes(4 * PIECE, 3)
  const manifest = await ingest([{ path: ['data'], length: bytes.length, content: [bytes.slice()] }], {
    name: 'share',
    pieceLength: PIECE,
  })
  const files: SourceFile[] = [
    { path: '/a', fileIndex: 0, firstPiece: 0, pieceCount: 2 },
    { path: '/empty', fileIndex: 0, firstPiece: 1, pieceCount: 0 },
    { path: '/b', fileIndex: 0, firstPiece: 1, pieceCount: 3 },
  ]
  const stamps = new Map<string, FileStamp>([
    ['/a', [1, 1, 1, 1]],
    ['/empty', [0, 1, 1, 2]],
    ['/b', [3, 1, 1, 3]],
  ])
  const looked: string[] = []
  const dropped: number[][] = []
  const restored: number[][] = []
  const changes: ContentChange[] = []
  const watch = new ContentWatch(
    {
      manifest,
      files,
      stamp: async (path) => {
        looked.push(path)
        return stamps.get(path) ?? null
      },
      readPiece: async (piece) => bytes.slice(piece * PIECE, (piece + 1) * PIECE),
      closeFile: async () => {},
      dropPieces: (pieces) => dropped.push([...pieces]),
      restorePieces: (pieces) => restored.push([...pieces]),
    },
    files.map((file) => stamps.get(file.path) ?? null),
    { interval: 0, onChange: (change) => changes.push(change) },
  )
  return { watch, bytes, stamps, looked, dropped, restored, changes }
}

/** Resolves once `watch` has reported `count` changes. */
async function changesReported(changes: ContentChange[], count: number): Promise<void> {
  while (changes.length < count) await new Promise((resolve) => setImmediate(resolve))
}

describe('a change watch over source files', () => {
  it('looks at every file a piece is read from, and only those', async () => {
    const { watch, looked } = await watched()
    await watch.beforeRead(0)
    expect(looked).toEqual(['/a'])
    looked.length = 0
    await watch.beforeRead(1) // in both a and b; the empty file is in no piece
    expect(looked.sort()).toEqual(['/a', '/b'])
    looked.length = 0
    await watch.beforeRead(3)
    expect(looked).toEqual(['/b'])
    watch.stop()
  })

  it('a changed file stops every piece it is in, the shared one too, and serves again those that verify', async () => {
    const { watch, bytes, stamps, dropped, restored, changes } = await watched()
    bytes[100] = (bytes[100] as number) ^ 0xff // a's first piece no longer matches; the shared piece 1 does
    stamps.set('/a', [1, 2, 2, 1])
    await watch.beforeRead(1)
    await changesReported(changes, 1)
    expect(dropped).toEqual([[0, 1]])
    expect(restored.flat()).toEqual([1])
    expect(changes).toEqual([{ path: '/a', mismatched: 1, pieces: 2 }])
    watch.stop()
  })
})
