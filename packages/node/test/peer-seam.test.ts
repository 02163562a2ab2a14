/**
 * The peer seam: `swarm/` works with any implementation of `SwarmPeer` and
 * `PeerLink`. Here a second one, a test double with no msgpack, no Noise and
 * no transport (each verb is a direct call on the other side, a tick later),
 * carries a whole download between two swarms: metadata, pieces, proofs for a
 * streaming reader, and a corrupt peer banned by its opaque key.
 */
import { Bitfield, ingest, type Manifest } from '@mycel/pieces'
import { MemoryPieceStore, MemoryStateStore } from '@mycel/store'
import { describe, expect, it } from 'vitest'
import type { RejectCode } from '../src/errors.js'
import { TokenBucket } from '../src/rate-limit.js'
import type {
  BlockAnswer,
  BlockRange,
  BlockRequest,
  MetadataAnswer,
  MetadataRequest,
  PeerLink,
  SwarmPeer,
} from '../src/swarm/peer.js'
import { Swarm, type SwarmEnvironment } from '../src/swarm/swarm.js'
import { Uploader } from '../src/swarm/uploader.js'
import { contentBytes, Recorded, sha256 } from './helpers.js'

/** A connection of the double: identity, counters, and the requests it waits answers for. */
class LoopbackLink implements PeerLink {
  readonly keyBytes: Uint8Array
  readonly address = undefined
  readonly listenAddress = undefined
  readonly outbound = true
  readonly agent = 'loopback-double'
  readonly congested = false
  score = 0
  bytesReceived = 0
  bytesSent = 0
  isClosed = false
  readonly pending = new Map<number, (answer: BlockAnswer | MetadataAnswer) => void>()

  constructor(readonly key: string) {
    this.keyBytes = new TextEncoder().encode(key)
  }

  transferred(): void {}
  async drained(): Promise<void> {}
  async close(): Promise<void> {
    this.isClosed = true
  }
}

/** One side of the double's "wire": the verbs land on the other side's swarm and uploader. */
class LoopbackPeer implements SwarmPeer {
  remote!: LoopbackPeer
  /** The swarm on this peer's side (the one that holds this object): the remote's verbs reach it. */
  swarm!: Swarm
  /** The uploaders on this peer's side, by link. */
  uploaderOf!: (link: PeerLink) => Uploader
  /** Corrupts the blocks this side sends. */
  corrupt = false
  /** Blocks asked with a Merkle proof (for a streaming reader). */
  proofsAsked = 0
  private nextId = 1

  constructor(readonly link: LoopbackLink) {}

  sendBitfield(bits: Uint8Array): void {
    const copy = bits.slice()
    setImmediate(() => this.remote.swarm.onBitfield(this.remote, copy))
  }

  sendHave(piece: number): void {
    setImmediate(() => this.remote.swarm.onHave(this.remote, piece))
  }

  requestBlock(range: BlockRange, _timeoutMs: number, onAnswer: (answer: BlockAnswer) => void): number {
    const id = this.nextId++
    if (range.proof) this.proofsAsked++
    this.link.pending.set(id, onAnswer as (answer: BlockAnswer | MetadataAnswer) => void)
    const request: BlockRequest = { id, ...range }
    setImmediate(() => this.remote.swarm.onRequest(this.remote, request))
    return id
  }

  requestMetadata(offset: number, _timeoutMs: number, onAnswer: (answer: MetadataAnswer) => void): number {
    const id = this.nextId++
    this.link.pending.set(id, onAnswer as (answer: BlockAnswer | MetadataAnswer) => void)
    const request: MetadataRequest = { id, offset }
    setImmediate(() => this.remote.swarm.onMetadataRequest(this.remote, request))
    return id
  }

  cancel(id: number): void {
    this.link.pending.delete(id)
    setImmediate(() => this.remote.uploaderOf(this.remote.link).cancel(id))
  }

  sendBlock(id: number, bytes: Uint8Array, proof?: Uint8Array): boolean {
    const sent = bytes.slice()
    if (this.corrupt) sent[0] = (sent[0] as number) ^ 0xff
    const answer: BlockAnswer =
      proof === undefined ? { type: 'data', bytes: sent } : { type: 'data', bytes: sent, proof }
    this.answer(id, answer)
    return true
  }

  sendMetadata(id: number, total: number, offset: number, bytes: Uint8Array): boolean {
    this.answer(id, { type: 'meta', total, offset, bytes: bytes.slice() })
    return true
  }

  reject(id: number, code: RejectCode): void {
    this.answer(id, { type: 'reject', code })
  }

  private answer(id: number, answer: BlockAnswer | MetadataAnswer): void {
    setImmediate(() => {
      const pending = this.remote.link.pending.get(id)
      this.remote.link.pending.delete(id)
      pending?.(answer)
    })
  }
}

/** A peer of the double held by `swarm` (on the side of `side`), its remote known by `key`. */
function pair(swarm: Swarm, side: { uploaderOf(link: PeerLink): Uploader }, key: string): LoopbackPeer {
  const peer = new LoopbackPeer(new LoopbackLink(key))
  peer.swarm = swarm
  peer.uploaderOf = side.uploaderOf
  return peer
}

/** Two peers of the double, connected to each other. */
function connect(a: LoopbackPeer, b: LoopbackPeer): void {
  a.remote = b
  b.remote = a
}

/** What the node gives a swarm, built from nothing but the double: bans and scores by the link's key. */
function environment(
  bans: Recorded<string>,
  stores: Map<string, MemoryPieceStore>,
): SwarmEnvironment & { uploaderOf(link: PeerLink): Uploader } {
  const uploaders = new Map<PeerLink, Uploader>()
  const uploaderOf = (link: PeerLink) => {
    let uploader = uploaders.get(link)
    if (uploader === undefined) {
      uploader = new Uploader(link, () => {})
      uploaders.set(link, uploader)
    }
    return uploader
  }
  return {
    uploaderOf,
    state: new MemoryStateStore(),
    uploadLimit: new TokenBucket(0),
    downloadLimit: new TokenBucket(0),
    openStore: async (manifest: Manifest) => {
      const store = new MemoryPieceStore(manifest)
      stores.set(manifest.infohashHex, store)
      return { store, have: new Bitfield(manifest.pieceCount) }
    },
    serveBlock: (peer, request, share) => uploaderOf(peer.link).enqueueBlock(peer, request, share),
    serveMetadata: (peer, request, share) => uploaderOf(peer.link).enqueueMetadata(peer, request, share),
    ban: (peer, reason) => {
      bans.push(`${peer.key}: ${reason}`)
      void peer.close()
    },
    score: (peer, delta) => {
      peer.score += delta
    },
    fault: (peer) => void peer.close(),
    membersChanged: () => {},
  }
}

function events() {
  let resolveDone: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve
  })
  return {
    done,
    handlers: {
      onManifest: () => {},
      onProgress: () => {},
      onComplete: () => resolveDone(),
      onIncomplete: () => {},
      onError: (error: unknown) => {
        throw error
      },
    },
  }
}

async function share(bytes: Uint8Array): Promise<Manifest> {
  return ingest([{ path: ['seam.bin'], length: bytes.length, content: [bytes] }], {
    name: 'seam.bin',
    pieceLength: 64 * 1024,
  })
}

function limits() {
  return { upload: new TokenBucket(0), download: new TokenBucket(0) }
}

describe('the peer seam', () => {
  it('a second peer implementation carries a whole download between two swarms, metadata first', async () => {
    const bytes = contentBytes(1024 * 1024 + 777, 5)
    const manifest = await share(bytes)
    const bans = new Recorded<string>()
    const stores = new Map<string, MemoryPieceStore>()
    const seederSide = environment(bans, stores)
    const seeder = new Swarm(manifest.infohash, seederSide, events().handlers, limits())
    await seeder.open(manifest, new MemoryPieceStore(manifest, { files: [bytes] }), Bitfield.full(manifest.pieceCount))
    const leecherEvents = events()
    const leecherSide = environment(bans, stores)
    const leecher = new Swarm(manifest.infohash, leecherSide, leecherEvents.handlers, limits())
    leecher.fetchMetadata()
    // The seeder's view of the leecher, and the leecher's view of the seeder.
    const atSeeder = pair(seeder, seederSide, 'double:leecher')
    const atLeecher = pair(leecher, leecherSide, 'double:seeder')
    connect(atSeeder, atLeecher)
    // A streaming reader at the start of the file: its pieces come first, each range with its proof.
    leecher.want({ path: '', position: 0, end: bytes.length - 1, readAhead: 128 * 1024 })
    leecher.invite(atLeecher)

    await leecherEvents.done
    expect(atLeecher.proofsAsked).toBeGreaterThan(0)
    const copy = stores.get(manifest.infohashHex) as MemoryPieceStore
    expect(sha256(await copy.read(0, 0, bytes.length))).toBe(sha256(bytes))
    expect(leecher.complete).toBe(true)
    expect(atLeecher.link.score).toBeGreaterThan(0) // good pieces raised the seeder's score
    expect(bans.items).toEqual([])
    seeder.stop()
    leecher.stop()
  })

  it('bans a peer of the double that sends corrupt pieces, by its opaque key', async () => {
    const bytes = contentBytes(256 * 1024, 6)
    const manifest = await share(bytes)
    const bans = new Recorded<string>()
    const stores = new Map<string, MemoryPieceStore>()
    const seederSide = environment(bans, stores)
    const seeder = new Swarm(manifest.infohash, seederSide, events().handlers, limits())
    await seeder.open(manifest, new MemoryPieceStore(manifest, { files: [bytes] }), Bitfield.full(manifest.pieceCount))
    const leecherSide = environment(bans, stores)
    const leecher = new Swarm(manifest.infohash, leecherSide, events().handlers, limits())
    await leecher.open(manifest, new MemoryPieceStore(manifest), new Bitfield(manifest.pieceCount))
    const atSeeder = pair(seeder, seederSide, 'double:leecher')
    const atLeecher = pair(leecher, leecherSide, 'double:corrupt-seeder')
    connect(atSeeder, atLeecher)
    atSeeder.corrupt = true // what the seeder sends the leecher is corrupt
    leecher.invite(atLeecher)
    await bans.count(1)
    expect(bans.items[0]).toMatch(/^double:corrupt-seeder: sent a corrupt piece \d+$/)
    expect(atLeecher.link.isClosed).toBe(true)
    seeder.stop()
    leecher.stop()
  })
})
