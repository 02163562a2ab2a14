/**
 * `layoutManifest`: files laid out for a piece store (no hashes), and what
 * `encryptShare` keeps beside the stream (the head and the keys file) being
 * exactly the data file's first bytes and the keys source.
 */
import { describe, expect, it } from 'vitest'
import { PiecesError } from '../../src/index.js'
import { encryptShare, layoutManifest } from '../../src/private.js'

async function bytesOf(content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of content) chunks.push(Uint8Array.from(chunk))
  return new Uint8Array(Buffer.concat(chunks))
}

describe('layoutManifest', () => {
  it('lays files out in the order given, in 16 MiB pieces, an empty file owning none', () => {
    const layout = layoutManifest('album', [
      { path: ['a.txt'], length: 5 },
      { path: ['empty'], length: 0 },
      { path: ['sub', 'big.bin'], length: 40 * 1024 * 1024, executable: true },
    ])
    expect(layout.singleFile).toBe(false)
    expect(layout.files.map((file) => [file.path.join('/'), file.firstPiece, file.pieceCount, file.attr])).toEqual([
      ['a.txt', 0, 1, ''],
      ['empty', 1, 0, ''],
      ['sub/big.bin', 1, 3, 'x'],
    ])
    expect(layout.locatePiece(3)).toEqual({ fileIndex: 2, offset: 32 * 1024 * 1024, length: 8 * 1024 * 1024 })
    expect(layoutManifest('a.txt', [{ path: ['a.txt'], length: 5 }]).singleFile).toBe(true)
  })

  it('refuses unsafe paths and lengths that are not sizes', () => {
    expect(() => layoutManifest('x', [{ path: ['..'], length: 1 }])).toThrow(PiecesError)
    expect(() => layoutManifest('x', [{ path: ['a'], length: -1 }])).toThrow(RangeError)
  })
})

describe('encryptShare head and envelope', () => {
  it('are the data file up to the content and the keys file', async () => {
    const version = encryptShare({
      name: 'n.txt',
      files: [{ path: ['n.txt'], length: 3, content: [Uint8Array.of(1, 2, 3)] }],
    })
    const [data, keys] = version.sources
    const dataBytes = await bytesOf(data?.content as AsyncIterable<Uint8Array>)
    expect(version.head.length).toBe(version.layout.contentStart)
    expect(dataBytes.subarray(0, version.head.length)).toEqual(version.head)
    expect(await bytesOf(keys?.content as Iterable<Uint8Array>)).toEqual(version.envelope)
  })
})
