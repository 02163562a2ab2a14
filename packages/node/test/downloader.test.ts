import { Bitfield, ingest, type Manifest } from '@mycel/pieces'
import { describe, expect, it } from 'vitest'
import { Downloader, MAX_STORING_BYTES } from '../src/swarm/downloader.js'
import type { BlockAnswer, BlockRange, PeerLink, SwarmPeer } from '../src/swarm/peer.js'
import { contentBytes } from './helpers.js'

const MiB = 1024 * 1024

/**
 * A peer that holds every piece and answers each request a turn of the event
 * loop later, counting what was asked; `quiet()` resolves once no answer is
 * on its way and none was asked for since (the downloader does nothing more
 * until something else happens: its verification is synchronous).
 */
function instantPeer(content: Uint8Array): {
  peer: SwarmPeer
  requestedBytes: () => number
  quiet: () => Promise<void>
} {
  let requested = 0
  let answering = 0
  let nextId = 1
  const link = { key: 'instant', score: 0, isClosed: false } as PeerLink
  const peer = {
    link,
    requestBlock(range: BlockRange, _timeoutMs: number, onAnswer: (answer: BlockAnswer) => void) {
      const id = nextId++
      requested += range.length
      const start = range.piece * MiB + range.offset
      answering++
      setImmediate(() => {
        answering--
        onAnswer({ type: 'data', bytes: content.slice(start, start + range.length) })
      })
      return id
    },
    cancel() {},
  }
  const quiet = async (): Promise<void> => {
    do await new Promise((resolve) => setImmediate(resolve))
    while (answering > 0)
  }
  return { peer: peer as unknown as SwarmPeer, requestedBytes: () => requested, quiet }
}

describe('the downloader over a slow disk', () => {
  it('stops asking while verified pieces wait for their writes, and finishes once they are written', async () => {
    const content = contentBytes(96 * MiB, 9)
    const manifest: Manifest = await ingest([{ path: ['big.bin'], length: content.length, content: [content] }], {
      name: 'big.bin',
      pieceLength: MiB,
    })
    const held: (() => void)[] = []
    const stored = new Set<number>()
    let completed = false
    const downloader = new Downloader(manifest, new Bitfield(manifest.pieceCount), {
      storePiece: (piece) =>
        new Promise<void>((resolve) =>
          held.push(() => {
            stored.add(piece)
            resolve()
          }),
        ),
      onPieceStored: () => {},
      onCorrupt: () => expect.unreachable('no piece is corrupt'),
      onPeerFault: () => expect.unreachable('the peer is honest'),
      onProvenBytes: () => {},
      onStoreError: () => expect.unreachable('no write fails'),
      onComplete: () => {
        completed = true
      },
      takeTokens: () => undefined,
    })
    const { peer, requestedBytes, quiet } = instantPeer(content)
    const all = new Bitfield(manifest.pieceCount)
    for (let piece = 0; piece < manifest.pieceCount; piece++) all.set(piece)
    downloader.addPeer(peer, all)

    // The disk writes nothing: the downloader fills its write budget, then waits.
    await quiet()
    const waiting = held.length
    expect(waiting * MiB).toBeGreaterThanOrEqual(MAX_STORING_BYTES)
    expect(waiting * MiB).toBeLessThan(MAX_STORING_BYTES + 2 * MiB)
    const asked = requestedBytes()
    await quiet()
    expect(requestedBytes()).toBe(asked)
    expect(asked).toBeLessThan(manifest.pieceCount * MiB)

    // Writes complete: the download goes on to the end.
    while (!completed) {
      for (const write of held.splice(0)) write()
      await quiet()
    }
    expect(stored.size).toBe(manifest.pieceCount)
    downloader.stop()
  }, 30_000)
})
