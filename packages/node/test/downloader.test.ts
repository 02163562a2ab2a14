import { type BatchHashProvider, Bitfield, createWebCryptoHashProvider, ingest, type Manifest } from '@mycel/pieces'
import { describe, expect, it } from 'vitest'
import { Downloader, MAX_BYTES_IN_FLIGHT_PER_PEER, MAX_STORING_BYTES } from '../src/swarm/downloader.js'
import type { BlockAnswer, BlockRange, PeerLink, SwarmPeer } from '../src/swarm/peer.js'
import { contentBytes } from './helpers.js'

const MiB = 1024 * 1024

/**
 * A peer that holds every piece (`read` gives a range's bytes) and answers each request a turn of the event
 * loop later, counting what was asked; `quiet()` resolves once no answer is
 * on its way and none was asked for since (the downloader does nothing more
 * until something else happens: its verification is synchronous).
 */
function instantPeer(read: (range: BlockRange) => Uint8Array): {
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
      answering++
      setImmediate(() => {
        answering--
        onAnswer({ type: 'data', bytes: read(range) })
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
    const { peer, requestedBytes, quiet } = instantPeer((range) => {
      const start = range.piece * MiB + range.offset
      return content.slice(start, start + range.length)
    })
    const all = new Bitfield(manifest.pieceCount)
    for (let piece = 0; piece < manifest.pieceCount; piece++) all.set(piece)
    downloader.addPeer(peer, all)

    // The disk writes nothing: the downloader fills its write budget, then waits. What was asked
    // before the budget filled still arrives: at most the peer's deepest queue (the queue's depth
    // follows the measured rate, so how deep it got depends on the machine's speed) and the piece
    // in progress.
    await quiet()
    const waiting = held.length
    expect(waiting * MiB).toBeGreaterThanOrEqual(MAX_STORING_BYTES)
    expect(waiting * MiB).toBeLessThanOrEqual(MAX_STORING_BYTES + MAX_BYTES_IN_FLIGHT_PER_PEER + MiB)
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

describe('the downloader over small files', () => {
  it('holds each piece in a buffer of its own size, not of the share piece length', async () => {
    // 64 files of 16 KiB in 128 KiB pieces: every file is a piece of its own, an eighth of a piece long.
    const files = Array.from({ length: 64 }, (_, i) => contentBytes(16 * 1024, i + 1))
    const manifest: Manifest = await ingest(
      files.map((content, i) => ({ path: [`f${i}.bin`], length: content.length, content: [content] })),
      { name: 'small', pieceLength: 128 * 1024 },
    )
    const buffers: number[] = []
    let completed = false
    const downloader = new Downloader(manifest, new Bitfield(manifest.pieceCount), {
      storePiece: async (_piece, bytes) => {
        buffers.push(bytes.buffer.byteLength)
      },
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
    // each file is one piece (the manifest orders the files by path)
    const byPiece = new Map(manifest.files.map((file) => [file.firstPiece, files[Number(file.path[0]?.slice(1, -4))]]))
    const { peer, quiet } = instantPeer((range) =>
      (byPiece.get(range.piece) as Uint8Array).slice(range.offset, range.offset + range.length),
    )
    const all = new Bitfield(manifest.pieceCount)
    for (let piece = 0; piece < manifest.pieceCount; piece++) all.set(piece)
    downloader.addPeer(peer, all)
    while (!completed) await quiet()
    expect(buffers).toHaveLength(64)
    for (const size of buffers) expect(size).toBe(16 * 1024)
    downloader.stop()
  })
})

describe('the downloader with a batch hash provider (WebCrypto, as in a page)', () => {
  /** WebCrypto (Node has it too) whose batches wait until the test releases them. */
  function heldWebCrypto(): { hash: BatchHashProvider; batches: () => number; release: () => number } {
    const webCrypto = createWebCryptoHashProvider() as BatchHashProvider
    const held: (() => void)[] = []
    let batches = 0
    return {
      hash: {
        ...webCrypto,
        async sha256Each(inputs) {
          batches++
          await new Promise<void>((resolve) => held.push(resolve))
          return webCrypto.sha256Each(inputs)
        },
      },
      batches: () => batches,
      release: () => {
        const count = held.length
        for (const resume of held.splice(0)) resume()
        return count
      },
    }
  }

  it('verifies whole pieces asynchronously, asks nothing of them again meanwhile, and refetches a corrupt one', async () => {
    const PIECE = 256 * 1024
    const content = contentBytes(8 * PIECE, 41)
    const manifest: Manifest = await ingest([{ path: ['v.bin'], length: content.length, content: [content] }], {
      name: 'v.bin',
      pieceLength: PIECE,
    })
    const stored = new Map<number, Uint8Array>()
    const corrupt: number[] = []
    let completed = false
    const { hash, batches, release } = heldWebCrypto()
    const downloader = new Downloader(manifest, new Bitfield(manifest.pieceCount), {
      storePiece: async (piece, bytes) => {
        stored.set(piece, bytes.slice())
      },
      onPieceStored: () => {},
      onCorrupt: (piece) => corrupt.push(piece),
      onPeerFault: () => expect.unreachable('the peer is only wrong once, about one piece'),
      onProvenBytes: () => {},
      onStoreError: () => expect.unreachable('no write fails'),
      onComplete: () => {
        completed = true
      },
      takeTokens: () => undefined,
      hash,
    })
    // The peer sends a wrong first range of piece 3 the first time it is asked.
    let lied = false
    const { peer, requestedBytes, quiet } = instantPeer((range) => {
      const start = range.piece * PIECE + range.offset
      const bytes = content.slice(start, start + range.length)
      if (range.piece === 3 && range.offset === 0 && !lied) {
        lied = true
        bytes[0] = (bytes[0] as number) ^ 0xff
      }
      return bytes
    })
    const all = new Bitfield(manifest.pieceCount)
    for (let piece = 0; piece < manifest.pieceCount; piece++) all.set(piece)
    downloader.addPeer(peer, all)

    // Every piece arrives, and waits for its hashes: nothing is stored, nothing more is asked.
    await quiet()
    expect(requestedBytes()).toBe(content.length)
    expect(batches()).toBe(manifest.pieceCount)
    expect(stored.size).toBe(0)
    expect(completed).toBe(false)

    // Hashed: seven pieces are stored, piece 3 failed and is asked again, and waits for its hashes again.
    expect(release()).toBe(manifest.pieceCount)
    while (batches() < manifest.pieceCount + 1) await quiet()
    expect(corrupt).toEqual([3])
    expect([...stored.keys()].sort()).toEqual([0, 1, 2, 4, 5, 6, 7])
    expect(requestedBytes()).toBe(content.length + PIECE)
    expect(completed).toBe(false)
    release()
    while (!completed) await quiet()
    expect(batches()).toBe(manifest.pieceCount + 1)
    for (let piece = 0; piece < manifest.pieceCount; piece++) {
      const expected = content.subarray(piece * PIECE, (piece + 1) * PIECE)
      expect(Buffer.compare(stored.get(piece) as Uint8Array, expected), `piece ${piece}`).toBe(0)
    }
    downloader.stop()
  })

  it('stores nothing that is verified after it stopped', async () => {
    const content = contentBytes(4 * 128 * 1024, 42)
    const manifest: Manifest = await ingest([{ path: ['s.bin'], length: content.length, content: [content] }], {
      name: 's.bin',
      pieceLength: 128 * 1024,
    })
    const { hash, batches, release } = heldWebCrypto()
    let stores = 0
    const downloader = new Downloader(manifest, new Bitfield(manifest.pieceCount), {
      storePiece: async () => {
        stores++
      },
      onPieceStored: () => {},
      onCorrupt: () => expect.unreachable('no piece is corrupt'),
      onPeerFault: () => expect.unreachable('the peer is honest'),
      onProvenBytes: () => {},
      onStoreError: () => expect.unreachable('no write fails'),
      onComplete: () => expect.unreachable('it stopped first'),
      takeTokens: () => undefined,
      hash,
    })
    const { peer, quiet } = instantPeer((range) =>
      content.slice(range.piece * 128 * 1024 + range.offset, range.piece * 128 * 1024 + range.offset + range.length),
    )
    const all = new Bitfield(manifest.pieceCount)
    for (let piece = 0; piece < manifest.pieceCount; piece++) all.set(piece)
    downloader.addPeer(peer, all)
    await quiet()
    expect(batches()).toBe(manifest.pieceCount)
    downloader.stop()
    release()
    // The hashes are done (WebCrypto answers on another thread): a fresh batch's answer comes after theirs.
    await (createWebCryptoHashProvider() as BatchHashProvider).sha256Each([content])
    await quiet()
    expect(stores).toBe(0)
  })
})
