import { join } from 'node:path'
import { ingestPath } from '@mycel/pieces/node'
import { afterEach, describe, expect, it } from 'vitest'
import type { BlockRequest, PeerLink, SwarmPeer } from '../src/swarm/peer.js'
import { MAX_READS_AHEAD, READ_AHEAD_BYTES, type ServedShare, Uploader } from '../src/swarm/uploader.js'
import { cleanup, Recorded, tempDir, writeContent } from './helpers.js'

const dirs: string[] = []
afterEach(async () => {
  await cleanup([], dirs.splice(0))
})

/** The most reads an uploader has in flight at once for `count` requests of `length` bytes, one per piece. */
async function mostReadsAtOnce(pieceLength: number, length: number, count: number): Promise<number> {
  const dir = await tempDir()
  dirs.push(dir)
  await writeContent(join(dir, 'file.bin'), pieceLength * count, 5)
  const manifest = await ingestPath(join(dir, 'file.bin'), { pieceLength })
  let reading = 0
  let most = 0
  const waiting: (() => void)[] = []
  const share: ServedShare = {
    manifest,
    metadata: undefined,
    has: () => true,
    readInto: async (_piece: number, _offset: number, target: Uint8Array) => {
      most = Math.max(most, ++reading)
      await new Promise<void>((resolve) => waiting.push(resolve))
      reading--
      return target
    },
    proof: async () => new Uint8Array(0),
    takeTokens: () => undefined,
    onUploaded: () => {},
  }
  const sent = new Recorded<number>()
  const link = {
    key: 'test-peer',
    isClosed: false,
    bytesSent: 0,
    drained: async () => {},
    transferred: () => {},
    close: async () => {},
  } as unknown as PeerLink
  const peer = {
    link,
    sendBlock: (id: number) => {
      sent.push(id)
      return true
    },
    reject: () => {},
  } as unknown as SwarmPeer
  const uploader = new Uploader(link, () => {})
  for (let piece = 0; piece < count; piece++) {
    const request: BlockRequest = { id: piece + 1, piece, offset: 0, length, proof: false }
    uploader.enqueueBlock(peer, request, share)
  }
  // each read answers once every read started so far is waiting: the most in flight shows
  while (sent.items.length < count) {
    await new Promise((resolve) => setImmediate(resolve))
    for (const resolve of waiting.splice(0)) resolve()
  }
  expect(sent.items).toEqual(Array.from({ length: count }, (_, i) => i + 1))
  return most
}

describe('reads ahead of the answers', () => {
  it('keeps READ_AHEAD_BYTES of reads in flight: many of small pieces, a few of large requests', async () => {
    expect(await mostReadsAtOnce(16 * 1024, 16 * 1024, 100)).toBe(MAX_READS_AHEAD)
    expect(await mostReadsAtOnce(128 * 1024, 128 * 1024, 12)).toBe(READ_AHEAD_BYTES / (128 * 1024))
  })
})
