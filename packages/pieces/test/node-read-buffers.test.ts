import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ingest } from '../src/index.js'
import { CHUNK_SIZE, READ_AHEAD } from '../src/node/files.js'
import { ingestFile, readBuffers } from '../src/node/ingest.js'
import { nodeHashProvider } from '../src/node.js'

const KiB = 1024

describe('readBuffers: what one file ingest allocates to read', () => {
  it('gives a small file one buffer of its own size, not the full read-ahead', () => {
    const buffers = readBuffers(64 * KiB)
    expect(buffers.map((buffer) => buffer.length)).toEqual([64 * KiB])
  })

  it('gives an empty file no buffer', () => {
    expect(readBuffers(0)).toEqual([])
  })

  it('gives as many chunks as the file fills, up to the read-ahead', () => {
    expect(readBuffers(CHUNK_SIZE + 1).map((buffer) => buffer.length)).toEqual([CHUNK_SIZE, CHUNK_SIZE])
    expect(readBuffers(100 * CHUNK_SIZE).map((buffer) => buffer.length)).toEqual(
      Array.from({ length: READ_AHEAD }, () => CHUNK_SIZE),
    )
  })
})

describe('ingestFile with buffers sized to the file', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mycel-pieces-buffers-'))
  })
  afterEach(() => {
    rmSync(root, { recursive: true, force: true })
  })

  for (const length of [1, 64 * KiB, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 3, 3 * CHUNK_SIZE + 5]) {
    it(`hashes a file of ${length} bytes as from memory`, async () => {
      const bytes = new Uint8Array(length)
      for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >> 9)) & 0xff
      const path = join(root, 'file.bin')
      writeFileSync(path, bytes)
      const fromDisk = await ingestFile(path, { pieceLength: 16 * KiB })
      const fromMemory = await ingest([{ path: ['file.bin'], length, content: [bytes] }], {
        name: 'file.bin',
        pieceLength: 16 * KiB,
        hash: nodeHashProvider,
      })
      expect(fromDisk.infohashHex).toBe(fromMemory.infohashHex)
    })
  }
})
