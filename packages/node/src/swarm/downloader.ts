import {
  type Bitfield,
  getDefaultHashProvider,
  type HashProvider,
  isBatchHashProvider,
  type Manifest,
  PiecePicker,
  type PieceRange as PriorityRange,
  verifyBlocks,
  verifyPiece,
  verifyPieceAsync,
} from '@mycel/pieces'
import { type ComponentLogger, silentLogger } from '@mycel/wire/log'
import type { BlockAnswer, PeerLink, SwarmPeer } from './peer.js'
import { PieceDownload, type PieceRange, REQUEST_BYTES } from './piece-download.js'

/** What the downloader asks of the swarm that owns it. @internal */
export interface DownloaderHooks {
  /** Writes a verified piece and records it; resolves once it is stored. */
  storePiece(piece: number, bytes: Uint8Array): Promise<void>
  /** A piece was stored (announce it, report progress); `contributors` sent its ranges. */
  onPieceStored(piece: number, contributors: PeerLink[]): void
  /** A piece failed verification; `contributors` sent its ranges. */
  onCorrupt(piece: number, contributors: PeerLink[]): void
  /** A peer let requests time out too often, or broke the protocol in an answer. */
  onPeerFault(peer: SwarmPeer, reason: 'timeout' | 'protocol'): void
  /** Proven bytes of a piece arrived (only for pieces in a priority window). */
  onProvenBytes(piece: number, offset: number, bytes: Uint8Array): void
  /** Storing failed (disk full, ...): the download cannot go on. */
  onStoreError(error: unknown): void
  /** Every piece is stored. */
  onComplete(): void
  /** Waits for the download rate limit, if any, before `bytes` are requested. */
  takeTokens(bytes: number): Promise<void> | undefined
  /** Where what peers get wrong is logged, with why (`mycel:swarm`). Default: silent. */
  readonly log?: ComponentLogger
  /**
   * What whole pieces are verified with; default the runtime's
   * (`getDefaultHashProvider()`). A batch provider (WebCrypto in a page)
   * verifies asynchronously.
   */
  readonly hash?: HashProvider
}

/** Piece buffers kept for reuse, in bytes at most. */
const BUFFER_POOL_BYTES = 16 * 1024 * 1024
/**
 * Verified pieces waiting for their write, in bytes: past this no new
 * request is sent until writes catch up, so a disk slower than the network
 * holds back the download instead of filling memory (one piece always fits).
 */
export const MAX_STORING_BYTES = 32 * 1024 * 1024

interface PeerState {
  /** Our requests in flight to this peer: id -> which range, and whether we asked for a proof. */
  readonly requests: Map<number, { download: PieceDownload; range: number; proof: boolean }>
  /** How many requests may be in flight. */
  depth: number
  /** Answers received since the last depth update, in bytes. */
  recentBytes: number
  /** Timeouts in a row. */
  timeouts: number
  /** Pieces the picker gave this peer that are still being fetched. */
  readonly assigned: Set<PieceDownload>
}

const INITIAL_DEPTH = 8
const MIN_DEPTH = 2
const MAX_DEPTH = 96
/** The most bytes asked of one peer and not yet answered (its deepest request queue). */
export const MAX_BYTES_IN_FLIGHT_PER_PEER = MAX_DEPTH * REQUEST_BYTES
/** Aim to keep this much of a peer's measured rate in flight. */
const TARGET_IN_FLIGHT_SECONDS = 0.3
const REQUEST_TIMEOUT_MS = 30_000
const MAX_TIMEOUTS_IN_A_ROW = 3
const DEPTH_INTERVAL_MS = 500
/** A peer is topped up once this many of its request slots are free, so requests share frames. */
const REFILL_BATCH = 4

/**
 * Fetches the pieces of one share from the peers of its swarm: picks pieces
 * rarest first (or in order inside a priority window), keeps an adaptive
 * number of 128 KiB requests in flight per peer, verifies every piece before
 * it is stored, and in endgame asks several peers for what is left and
 * cancels the duplicates.
 * @internal
 */
export class Downloader {
  readonly picker: PiecePicker<SwarmPeer>
  private readonly peers = new Map<SwarmPeer, PeerState>()
  private readonly active = new Map<number, PieceDownload>()
  /** Pieces whose requests carry Merkle proofs (a streaming reader waits for them). */
  private proven = new Set<number>()
  /** Verified pieces whose write has not finished, and their bytes. */
  private storing = 0
  private storingBytes = 0
  /** Piece buffers free for the next pieces (written pieces give theirs back). */
  private readonly freeBuffers: Uint8Array[] = []
  private fillScheduled = false
  private waitingForTokens = false
  private stopped = false
  private readonly depthTimer: ReturnType<typeof setInterval>
  private lastDepthUpdate = Date.now()
  private readonly log: ComponentLogger
  private readonly hash: HashProvider

  /**
   * @param have - pieces held (verified)
   * @param wanted - pieces to fetch, when not every missing one (a download of some files)
   */
  constructor(
    private readonly manifest: Manifest,
    have: Bitfield,
    private readonly hooks: DownloaderHooks,
    wanted?: Bitfield,
  ) {
    // The picker never picks what it counts as done: what is held, and what is not wanted.
    let done = have
    if (wanted !== undefined) {
      done = have.clone()
      for (let piece = 0; piece < manifest.pieceCount; piece++) if (!wanted.get(piece)) done.set(piece)
    }
    this.picker = new PiecePicker<SwarmPeer>(manifest.pieceCount, { have: done })
    this.log = hooks.log ?? silentLogger.forComponent('mycel:swarm')
    this.hash = hooks.hash ?? getDefaultHashProvider()
    this.depthTimer = setInterval(() => this.updateDepths(), DEPTH_INTERVAL_MS)
    this.depthTimer.unref?.()
  }

  /** Bytes of pieces received but not yet stored (for progress). */
  get bufferedBytes(): number {
    let total = 0
    for (const download of this.active.values()) total += download.receivedBytes
    return total
  }

  /** Fetches these pieces too (missing pieces that were not wanted so far). */
  want(pieces: Iterable<number>): void {
    for (const piece of pieces) this.picker.markMissing(piece)
    this.scheduleFill()
  }

  /** Peers the downloader is fetching from. */
  get peerCount(): number {
    return this.peers.size
  }

  /** Starts fetching from a peer that holds `bits`. */
  addPeer(peer: SwarmPeer, bits: Bitfield): void {
    if (this.stopped || this.peers.has(peer)) return
    this.peers.set(peer, {
      requests: new Map(),
      depth: INITIAL_DEPTH,
      recentBytes: 0,
      timeouts: 0,
      assigned: new Set(),
    })
    this.picker.addPeer(peer, bits)
    this.scheduleFill()
  }

  /** The peer completed a piece. */
  peerHas(peer: SwarmPeer, piece: number): void {
    if (!this.peers.has(peer)) return
    this.picker.peerHas(peer, piece)
    this.scheduleFill()
  }

  /** Stops fetching from a peer (it left, was banned, or closed). */
  removePeer(peer: SwarmPeer): void {
    const state = this.peers.get(peer)
    if (state === undefined) return
    this.peers.delete(peer)
    for (const [id, { download, range }] of state.requests) {
      ;(download.ranges[range] as PieceRange).requesters--
      peer.cancel(id)
    }
    for (const piece of this.picker.removePeer(peer)) this.dropIfIdle(piece)
    this.scheduleFill()
  }

  /**
   * Fetches the given pieces first and in order, with proofs, so a streaming
   * reader gets verified bytes as soon as they arrive.
   */
  setPriority(ranges: readonly PriorityRange[]): void {
    this.picker.setPriority(ranges)
    this.proven = new Set()
    for (const { start, end } of ranges) for (let piece = start; piece < end; piece++) this.proven.add(piece)
    this.scheduleFill()
  }

  /** The part of a piece already received and proven, for a reader that arrives late. */
  receivedRange(piece: number, offset: number): Uint8Array | undefined {
    const range = this.active.get(piece)?.ranges.find((r) => r.offset === offset)
    if (range === undefined || !range.proven) return undefined
    return (this.active.get(piece) as PieceDownload).buffer.subarray(range.offset, range.offset + range.length)
  }

  /** Stops everything: cancels requests in flight and forgets the peers. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.depthTimer)
    for (const peer of [...this.peers.keys()]) this.removePeer(peer)
    this.active.clear()
  }

  private scheduleFill(): void {
    if (this.fillScheduled || this.stopped) return
    this.fillScheduled = true
    queueMicrotask(() => {
      this.fillScheduled = false
      this.fill()
    })
  }

  /** Tops up every peer's requests, best peers first. */
  private fill(): void {
    if (this.stopped || this.waitingForTokens || this.storingBytes >= MAX_STORING_BYTES) return
    const peers = [...this.peers].sort(([a], [b]) => b.link.score - a.link.score)
    for (const [peer, state] of peers) {
      if (state.depth - state.requests.size < Math.min(REFILL_BATCH, state.depth)) continue
      while (state.requests.size < state.depth && !peer.link.isClosed) {
        const next = this.nextRequest(peer, state)
        if (next === undefined) break
        const wait = this.hooks.takeTokens(next.download.ranges[next.range]?.length ?? 0)
        this.send(peer, state, next.download, next.range)
        if (wait !== undefined) {
          this.waitingForTokens = true
          void wait.then(
            () => {
              this.waitingForTokens = false
              this.scheduleFill()
            },
            () => {},
          )
          return
        }
      }
    }
  }

  /** A range for `peer` to fetch: of a piece it is already on, else of a newly picked one. */
  private nextRequest(peer: SwarmPeer, state: PeerState): { download: PieceDownload; range: number } | undefined {
    const endgame = this.picker.inEndgame
    for (const download of state.assigned) {
      const range = download.nextRange(endgame)
      if (range >= 0 && !(endgame && this.asking(state, download, range))) return { download, range }
    }
    for (const piece of this.picker.pick(peer, 1)) {
      let download = this.active.get(piece)
      if (download === undefined) {
        download = new PieceDownload(piece, this.manifest.pieceSize(piece), (size) => this.allocate(size))
        this.active.set(piece, download)
      }
      state.assigned.add(download)
      const range = download.nextRange(endgame)
      if (range >= 0 && !(endgame && this.asking(state, download, range))) return { download, range }
    }
    return undefined
  }

  /** Whether the peer already has a request in flight for this range (in endgame, ranges are asked twice). */
  private asking(state: PeerState, download: PieceDownload, range: number): boolean {
    for (const request of state.requests.values()) {
      if (request.download === download && request.range === range) return true
    }
    return false
  }

  private send(peer: SwarmPeer, state: PeerState, download: PieceDownload, index: number): void {
    const range = download.ranges[index] as PieceRange
    range.requesters++
    const proof = this.proven.has(download.piece)
    const id = peer.requestBlock(
      { piece: download.piece, offset: range.offset, length: range.length, proof },
      REQUEST_TIMEOUT_MS,
      (answer) => this.onAnswer(peer, id, answer),
      () => this.onTimeout(peer, id),
    )
    state.requests.set(id, { download, range: index, proof })
  }

  private onAnswer(peer: SwarmPeer, id: number, answer: BlockAnswer): void {
    const state = this.peers.get(peer)
    const request = state?.requests.get(id)
    if (state === undefined || request === undefined) return
    state.requests.delete(id)
    const { download, range: index, proof: proofAsked } = request
    const range = download.ranges[index] as PieceRange
    range.requesters--
    if (answer.type === 'reject') {
      if (this.log.enabled('debug')) {
        this.log.debug(`${peer.link.key} rejected our request of piece ${download.piece} (${answer.code})`)
      }
      // The peer does not have it after all (or is busy): let others fetch it.
      state.depth = Math.max(MIN_DEPTH, state.depth - 1)
      state.assigned.delete(download)
      this.picker.release(peer, download.piece)
      this.dropIfIdle(download.piece)
      this.scheduleFill()
      return
    }
    if (answer.bytes.length !== range.length) {
      this.log.debug(
        `${peer.link.key} answered a request of ${range.length} bytes of piece ${download.piece} with ${answer.bytes.length}`,
      )
      this.hooks.onPeerFault(peer, 'protocol')
      return
    }
    state.timeouts = 0
    state.recentBytes += answer.bytes.length
    // A range asked with a proof is checked on its own, before the piece is whole.
    const proven = proofAsked && !range.done
    if (
      proven &&
      !verifyBlocks(this.manifest, download.piece, range.offset, answer.bytes, answer.proof ?? new Uint8Array(0))
    ) {
      this.log.debug(
        `bytes ${range.offset}-${range.offset + range.length - 1} of piece ${download.piece} from ${peer.link.key} do not match their Merkle proof`,
      )
      this.hooks.onCorrupt(download.piece, [peer.link])
      return
    }
    if (download.fill(index, answer.bytes, peer.link, proven)) {
      if (proven) this.hooks.onProvenBytes(download.piece, range.offset, answer.bytes)
      if (download.complete) this.completePiece(download)
    }
    this.scheduleFill()
  }

  private onTimeout(peer: SwarmPeer, id: number): void {
    const state = this.peers.get(peer)
    const request = state?.requests.get(id)
    if (state === undefined || request === undefined) return
    state.requests.delete(id)
    ;(request.download.ranges[request.range] as PieceRange).requesters--
    state.depth = MIN_DEPTH
    if (++state.timeouts >= MAX_TIMEOUTS_IN_A_ROW) {
      this.log.debug(
        `${peer.link.key} let ${state.timeouts} requests in a row go unanswered for ${REQUEST_TIMEOUT_MS / 1000} s`,
      )
      this.hooks.onPeerFault(peer, 'timeout')
    } else this.scheduleFill()
  }

  private completePiece(download: PieceDownload): void {
    const hash = this.hash
    if (!isBatchHashProvider(hash)) {
      this.retire(download)
      this.verified(download, verifyPiece(this.manifest, download.piece, download.buffer, { hash }))
      return
    }
    // Hashed asynchronously (WebCrypto): the piece stays active meanwhile, every range of it received, so that
    // nothing of it is asked again, and its late duplicates (endgame) are dropped as before.
    verifyPieceAsync(this.manifest, download.piece, download.buffer, { hash })
      .catch(() => verifyPiece(this.manifest, download.piece, download.buffer, { hash }))
      .then((valid) => {
        if (this.stopped) return
        this.retire(download)
        this.verified(download, valid)
        // A failed piece is to be fetched again (onAnswer tops the peers up after a synchronous verification).
        this.scheduleFill()
      })
  }

  /** Stores a piece that passed verification; fetches a piece that failed again. */
  private verified(download: PieceDownload, valid: boolean): void {
    const { piece } = download
    const bytes = download.buffer
    const contributors = [...download.contributors]
    if (!valid) {
      if (this.log.enabled('debug')) {
        const from = contributors.map((link) => link.key).join(', ')
        this.log.debug(`piece ${piece} failed verification (sent by ${from}): dropped, fetched again`)
      }
      for (const peer of this.picker.markFailed(piece)) this.cancelPiece(peer, piece)
      this.release(download.takeBuffer())
      this.hooks.onCorrupt(piece, contributors)
      return
    }
    for (const peer of this.picker.markDone(piece)) this.cancelPiece(peer, piece)
    this.storing++
    this.storingBytes += bytes.length
    const stored = () => {
      this.storing--
      this.storingBytes -= bytes.length
      this.release(download.takeBuffer())
    }
    this.hooks.storePiece(piece, bytes).then(
      () => {
        stored()
        if (this.stopped) return
        this.hooks.onPieceStored(piece, contributors)
        if (this.picker.isComplete && this.storing === 0) this.hooks.onComplete()
        this.scheduleFill()
      },
      (error) => {
        stored()
        if (this.stopped) return
        this.picker.markMissing(piece)
        this.hooks.onStoreError(error)
      },
    )
  }

  /** Cancels `peer`'s requests for a piece that is finished or failed. */
  private cancelPiece(peer: SwarmPeer, piece: number): void {
    const state = this.peers.get(peer)
    if (state === undefined) return
    for (const [id, request] of state.requests) {
      if (request.download.piece !== piece) continue
      state.requests.delete(id)
      ;(request.download.ranges[request.range] as PieceRange).requesters--
      peer.cancel(id)
    }
  }

  /** Forgets a piece's buffer when nobody fetches it any more and nothing arrived. */
  private dropIfIdle(piece: number): void {
    const download = this.active.get(piece)
    if (download === undefined || this.picker.requesters(piece).length > 0) return
    if (download.receivedBytes === 0) {
      this.retire(download)
      this.release(download.takeBuffer())
    }
  }

  /** Takes a piece out of the active ones and out of every peer's assignments. */
  private retire(download: PieceDownload): void {
    this.active.delete(download.piece)
    for (const state of this.peers.values()) state.assigned.delete(download)
  }

  /**
   * A piece buffer: a reused one when a piece was written lately, else a new
   * one of the piece's size. (A full-length buffer for every piece cost a
   * share of 10,000 files of 16 KiB in 128 KiB pieces eight times the memory
   * it needed, zeroed and collected again.)
   */
  private allocate(size: number): Uint8Array {
    const free = this.freeBuffers.pop()
    return free !== undefined ? new Uint8Array(free.buffer, free.byteOffset, size) : new Uint8Array(size)
  }

  /** Keeps a full-length buffer for the next piece, up to the pool's size. */
  private release(buffer: Uint8Array | undefined): void {
    if (buffer === undefined || buffer.buffer.byteLength < this.manifest.pieceLength) return
    if ((this.freeBuffers.length + 1) * this.manifest.pieceLength > BUFFER_POOL_BYTES) return
    this.freeBuffers.push(buffer)
  }

  /** Sizes each peer's queue to its measured rate (bandwidth-delay product, with room to grow). */
  private updateDepths(): void {
    const now = Date.now()
    const seconds = Math.max(0.001, (now - this.lastDepthUpdate) / 1000)
    this.lastDepthUpdate = now
    for (const state of this.peers.values()) {
      const rate = state.recentBytes / seconds
      state.recentBytes = 0
      const wanted = Math.min(MAX_DEPTH, Math.ceil((rate * TARGET_IN_FLIGHT_SECONDS) / REQUEST_BYTES) + 4)
      // Grow at once, shrink one step at a time.
      state.depth = Math.max(MIN_DEPTH, wanted >= state.depth ? wanted : state.depth - 1)
    }
    this.scheduleFill()
  }
}
