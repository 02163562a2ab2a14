import { isProofRange, type Manifest } from '@mycel/pieces'
import { MESSAGE_LIMITS } from '@mycel/wire'
import { type ComponentLogger, silentLogger } from '@mycel/wire/log'
import { NodeError, type RejectCode } from '../errors.js'
import { MAX_QUEUED_METADATA_REQUESTS, PeerBudget } from '../peer/budgets.js'
import type { BlockRequest, MetadataRequest, PeerLink, SwarmPeer } from './peer.js'

/** What the uploader needs to know about a share it serves. @internal */
export interface ServedShare {
  /** The share's manifest (undefined while it is not known, and nothing can be served). */
  readonly manifest: Manifest | undefined
  /** The share's metadata (info dictionary and piece layers), what `meta-get` reads; undefined while not known. */
  readonly metadata: Uint8Array | undefined
  /** Whether we hold the piece, verified. */
  has(piece: number): boolean
  /** Reads bytes of a piece into `target` (filling it). */
  readInto(piece: number, offset: number, target: Uint8Array): Promise<Uint8Array>
  /** The Merkle proof of a range of a piece (sibling hashes up to the piece hash). */
  proof(piece: number, offset: number, length: number): Promise<Uint8Array>
  /** Waits for the upload rate limits, if any. */
  takeTokens(bytes: number): Promise<void> | undefined
  /** Counts bytes sent. */
  onUploaded(peer: SwarmPeer, bytes: number): void
  /** Whether the peer is still served (receipts: its unsigned bytes are within the window). */
  mayServe?(peer: SwarmPeer): boolean
  /** Resolves when {@link ServedShare.mayServe} would say yes again. */
  whenServable?(peer: SwarmPeer): Promise<void>
}

/** A piece range to send. */
interface PieceJob {
  readonly kind: 'piece'
  /** The peer of the share that asked (its answer goes there). */
  readonly peer: SwarmPeer
  /** What of the request is needed later (messages are transient: no views kept). */
  readonly request: BlockRequest
  readonly share: ServedShare
  cancelled: boolean
  /** Started when the job comes within the read-ahead window. */
  bytes?: Promise<{ bytes: Uint8Array; proof?: Uint8Array } | undefined>
}

/** A slice of a share's metadata to send (a view of the share's metadata: nothing is read or copied before the send). */
interface MetadataJob {
  readonly kind: 'meta'
  readonly peer: SwarmPeer
  readonly request: MetadataRequest
  readonly metadata: Uint8Array
  cancelled: boolean
}

type Job = PieceJob | MetadataJob

/**
 * Bytes of reads kept in flight ahead of the one being sent: four requests
 * of the usual 128 KiB, or more of smaller ones (a share of small files
 * has pieces of one 16 KiB block, each read its own open, read and close:
 * four of those in flight left the answers waiting on the thread pool).
 */
export const READ_AHEAD_BYTES = 4 * MESSAGE_LIMITS.maxRequestBytes
/** Reads kept in flight at most, however small. */
export const MAX_READS_AHEAD = 32
/** Buffers kept for reads: as many as reads in flight, and the one being sent. */
const POOLED_BUFFERS = MAX_READS_AHEAD + 1
/** Requests one peer may have queued with us; more are refused as `BUSY`. */
export const MAX_QUEUED_REQUESTS = 512

/**
 * Requests in a row refused (`NOT_AVAILABLE` or `BUSY`) after which the
 * peer is disconnected. An honest peer asks only for pieces we advertised
 * and keeps at most 96 requests and one `meta-get` in flight, but a share we
 * drop leaves its requests in flight (a few hundred at most), so only a peer
 * that goes on asking is cut off. This also bounds the rejects a peer that
 * does not read can make us send.
 */
export const MAX_REFUSALS_IN_A_ROW = MAX_QUEUED_REQUESTS

/**
 * Serves the requests of one peer (one {@link PeerLink}, whatever shares it
 * asks from), for pieces and metadata, in order: checks each against what we hold and against the
 * peer's budgets, reads a few ahead from the piece store, respects the
 * upload rate limits and the connection's backpressure (nothing more is
 * sent while the peer does not read), and skips what the peer cancelled.
 * What a peer can make us queue is bounded by {@link MAX_QUEUED_REQUESTS};
 * what we refuse, by {@link MAX_REFUSALS_IN_A_ROW}.
 * @internal
 */
export class Uploader {
  private readonly queue: Job[] = []
  private readonly byId = new Map<number, Job>()
  private pumping = false
  private closed = false
  private refusedInARow = 0
  /** Resolved by {@link Uploader.close}: what a waiting send races with. */
  private readonly stopped: Promise<void>
  private stop: () => void = () => {}
  private queuedMetadata = 0
  /** Read buffers reused from request to request (the channel copies what is sent). */
  private readonly buffers: Uint8Array[] = []

  constructor(
    private readonly link: PeerLink,
    private readonly onReadError: (error: unknown) => void,
    private readonly budget: PeerBudget = new PeerBudget(),
    private readonly log: ComponentLogger = silentLogger.forComponent('mycel:swarm'),
  ) {
    this.stopped = new Promise((resolve) => {
      this.stop = resolve
    })
  }

  /**
   * Queues a request for a range of a piece, or refuses it at once (see
   * {@link Uploader.refuse}) when it cannot be served.
   *
   * @param peer - the peer of the share that asked (the answer goes there)
   * @param share - the share asked for, when the peer may be served from it (a member of its swarm)
   */
  enqueueBlock(peer: SwarmPeer, request: BlockRequest, share: ServedShare | undefined): void {
    if (this.closed) return
    this.queueJob(peer, request.id, this.pieceJob(peer, request, share))
  }

  /**
   * Queues a request for a slice of a share's metadata, or refuses it at once.
   *
   * @param peer - the peer of the share that asked
   * @param share - the share asked for, when the peer may be served from it (a member of its swarm)
   */
  enqueueMetadata(peer: SwarmPeer, request: MetadataRequest, share: ServedShare | undefined): void {
    if (this.closed) return
    this.queueJob(peer, request.id, this.metadataJob(peer, request, share))
  }

  private queueJob(peer: SwarmPeer, id: number, job: Job | RejectCode): void {
    if (typeof job === 'string') {
      this.refuse(peer, id, job)
      return
    }
    this.refusedInARow = 0
    if (job.kind === 'meta') this.queuedMetadata++
    this.queue.push(job)
    this.byId.set(id, job)
    if (!this.pumping) void this.pump()
  }

  /**
   * Answers request `id` (a piece or metadata request) with a `reject`. A
   * `BAD_REQUEST` is a protocol violation and closes the connection at once;
   * more than {@link MAX_REFUSALS_IN_A_ROW} refusals in a row (`NOT_AVAILABLE`
   * or `BUSY`) close it too. Either way the error is a `NodeError`
   * `PEER_PROTOCOL`. So the rejects a peer can make us send without reading
   * them are bounded too.
   */
  refuse(peer: SwarmPeer, id: number, code: RejectCode): void {
    peer.reject(id, code)
    if (code === 'BAD_REQUEST') {
      void this.link.close(NodeError.protocol(`${this.link.key} sent a request that does not fit the share`))
      return
    }
    this.refusedInARow++
    // The first of a run says why; the run's end, if it comes to that, is the connection's close.
    if (this.refusedInARow === 1 && this.log.enabled('debug')) {
      const why = code === 'BUSY' ? 'over its budget' : 'for what we do not have (or do not serve it)'
      this.log.debug(
        `refusing requests of ${this.link.key} ${why}, ${code} (request ${id}); the next in a row unlogged`,
      )
    }
    if (this.refusedInARow > MAX_REFUSALS_IN_A_ROW) {
      const what = code === 'BUSY' ? 'requests over its budget' : 'requesting what we do not have'
      void this.link.close(NodeError.protocol(`${this.link.key} kept ${what}`))
    }
  }

  /** The peer no longer wants the answer to request `id`. */
  cancel(id: number): void {
    const job = this.byId.get(id)
    if (job === undefined) return
    job.cancelled = true
    this.byId.delete(id)
  }

  /** Drops everything queued. */
  close(): void {
    this.closed = true
    this.stop()
    for (const job of this.queue) job.cancelled = true
    this.queue.length = 0
    this.queuedMetadata = 0
    this.byId.clear()
  }

  private pieceJob(peer: SwarmPeer, request: BlockRequest, share: ServedShare | undefined): PieceJob | RejectCode {
    if (this.queue.length >= MAX_QUEUED_REQUESTS) return 'BUSY'
    const manifest = share?.manifest
    if (share === undefined || manifest === undefined) return 'NOT_AVAILABLE'
    if (request.piece >= manifest.pieceCount || !share.has(request.piece)) return 'NOT_AVAILABLE'
    if (request.offset + request.length > manifest.pieceSize(request.piece)) return 'BAD_REQUEST'
    if (request.proof && !isProofRange(manifest, request.piece, request.offset, request.length)) return 'BAD_REQUEST'
    if (this.byId.has(request.id)) return 'BAD_REQUEST'
    const { id, piece, offset, length, proof } = request
    return { kind: 'piece', peer, request: { id, piece, offset, length, proof }, share, cancelled: false }
  }

  private metadataJob(
    peer: SwarmPeer,
    request: MetadataRequest,
    share: ServedShare | undefined,
  ): MetadataJob | RejectCode {
    if (this.queue.length >= MAX_QUEUED_REQUESTS || this.queuedMetadata >= MAX_QUEUED_METADATA_REQUESTS) return 'BUSY'
    const metadata = share?.metadata
    if (share === undefined || metadata === undefined || request.offset >= metadata.length) return 'NOT_AVAILABLE'
    if (this.byId.has(request.id)) return 'BAD_REQUEST'
    // Every answer counts as a whole slice, so asking for a few bytes at a time buys no more answers.
    if (!this.budget.metadata(share, metadata.length, MESSAGE_LIMITS.maxMetaChunkBytes)) return 'BUSY'
    return { kind: 'meta', peer, request: { id: request.id, offset: request.offset }, metadata, cancelled: false }
  }

  private async pump(): Promise<void> {
    this.pumping = true
    try {
      while (this.queue.length > 0 && !this.closed) {
        this.readAhead()
        const job = this.queue[0] as Job
        if (job.kind === 'meta') {
          this.queue.shift()
          this.queuedMetadata--
          if (job.cancelled || this.closed) continue
          this.byId.delete(job.request.id)
          if (!this.sendMetadata(job)) await this.link.drained()
          continue
        }
        const result = await job.bytes
        this.queue.shift()
        if (job.cancelled || this.closed) continue
        this.byId.delete(job.request.id)
        if (result === undefined) {
          job.peer.reject(job.request.id, 'NOT_AVAILABLE')
          continue
        }
        // Receipts: a downloader past its window of unsigned bytes waits (its requests stay queued, bounded
        // as always) until a receipt covers enough; one that never signs gets no more than one block over it.
        while (job.share.mayServe?.(job.peer) === false && !this.closed && !this.link.isClosed) {
          await Promise.race([job.share.whenServable?.(job.peer), this.stopped])
        }
        if (job.cancelled || this.closed || this.link.isClosed) {
          this.release(result.bytes)
          continue
        }
        const wait = job.share.takeTokens(result.bytes.length)
        if (wait !== undefined) await wait
        if (job.cancelled || this.closed || this.link.isClosed) continue
        const ready = job.peer.sendBlock(job.request.id, result.bytes, result.proof)
        this.release(result.bytes)
        this.link.bytesSent += result.bytes.length
        this.link.transferred()
        job.share.onUploaded(job.peer, result.bytes.length)
        if (!ready) await this.link.drained()
      }
    } catch {
      // The connection closed under us; its owner cleans up.
    } finally {
      this.pumping = false
    }
  }

  /**
   * Starts the reads of the next piece jobs, up to {@link READ_AHEAD_BYTES}
   * (and {@link MAX_READS_AHEAD} reads), but the
   * proofs of one piece only: a proof needs the piece's Merkle tree, built
   * from the whole piece (up to 16 MiB read and hashed for a 16 KiB range),
   * so a peer asking proofs of many pieces gets them one piece at a time.
   */
  private readAhead(): void {
    let proofPiece: number | undefined
    let bytes = 0
    for (let i = 0; i < Math.min(MAX_READS_AHEAD, this.queue.length); i++) {
      const ahead = this.queue[i] as Job
      if (ahead.kind !== 'piece') continue
      bytes += ahead.request.length
      if (bytes > READ_AHEAD_BYTES && i > 0) return
      if (ahead.request.proof) {
        if (proofPiece !== undefined && proofPiece !== ahead.request.piece) return
        proofPiece = ahead.request.piece
      }
      this.startRead(ahead)
    }
  }

  /** Sends a metadata slice; returns false when the connection is backed up. */
  private sendMetadata(job: MetadataJob): boolean {
    const { id, offset } = job.request
    const { metadata } = job
    const bytes = metadata.subarray(offset, Math.min(metadata.length, offset + MESSAGE_LIMITS.maxMetaChunkBytes))
    const ready = job.peer.sendMetadata(id, metadata.length, offset, bytes)
    this.link.transferred()
    return ready
  }

  private startRead(job: PieceJob): void {
    if (job.bytes !== undefined || job.cancelled) {
      job.bytes ??= Promise.resolve(undefined)
      return
    }
    const { piece, offset, length, proof } = job.request
    const buffer = this.acquire(length)
    job.bytes = (async () => {
      try {
        const bytes = await job.share.readInto(piece, offset, buffer)
        return proof ? { bytes, proof: await job.share.proof(piece, offset, length) } : { bytes }
      } catch (error) {
        this.release(buffer)
        this.onReadError(error)
        return undefined
      }
    })()
  }

  /**
   * A buffer of `length` bytes from the pool (or a new one: of a whole
   * request's size, so that it serves any later one, unless `length` is of
   * a small piece, whose reads are many at once).
   */
  private acquire(length: number): Uint8Array {
    const fits = this.buffers.findLastIndex((buffer) => buffer.buffer.byteLength >= length)
    if (fits >= 0) return new Uint8Array((this.buffers.splice(fits, 1)[0] as Uint8Array).buffer, 0, length)
    const size = length < MESSAGE_LIMITS.maxRequestBytes / 4 ? length : Math.max(length, MESSAGE_LIMITS.maxRequestBytes)
    return new Uint8Array(size).subarray(0, length)
  }

  private release(buffer: Uint8Array): void {
    // a few of the large buffers, more of the small ones: the pool stays within READ_AHEAD_BYTES or so
    const large = buffer.buffer.byteLength >= MESSAGE_LIMITS.maxRequestBytes
    if (this.buffers.length < (large ? READ_AHEAD_BYTES / MESSAGE_LIMITS.maxRequestBytes + 1 : POOLED_BUFFERS)) {
      this.buffers.push(buffer)
    }
  }
}
