import { isProofRange, type Manifest } from '@mycel/pieces'
import { MESSAGE_LIMITS, type RequestMessage } from '@mycel/wire'
import { NodeError, type RejectCode } from '../errors.js'
import type { PeerConnection } from '../peer/connection.js'

/** What the uploader needs to know about a share it serves. @internal */
export interface ServedShare {
  /** The share's manifest (undefined while it is not known, and nothing can be served). */
  readonly manifest: Manifest | undefined
  /** Whether we hold the piece, verified. */
  has(piece: number): boolean
  /** Reads bytes of a piece into `target` (filling it). */
  readInto(piece: number, offset: number, target: Uint8Array): Promise<Uint8Array>
  /** The Merkle proof of a range of a piece (sibling hashes up to the piece hash). */
  proof(piece: number, offset: number, length: number): Promise<Uint8Array>
  /** Waits for the upload rate limits, if any. */
  takeTokens(bytes: number): Promise<void> | undefined
  /** Counts bytes sent. */
  onUploaded(peer: PeerConnection, bytes: number): void
}

interface Job {
  /** What of the request is needed later (messages are transient: no views kept). */
  readonly request: Pick<RequestMessage, 'id' | 'piece' | 'offset' | 'length' | 'proof'>
  readonly share: ServedShare
  cancelled: boolean
  /** Started when the job comes within the read-ahead window. */
  bytes?: Promise<{ bytes: Uint8Array; proof?: Uint8Array } | undefined>
}

/** Reads kept in flight ahead of the one being sent. */
const READ_AHEAD = 4
/** Buffers kept for reads: the ones in flight and the one being sent. */
const POOLED_BUFFERS = READ_AHEAD + 1
/** Requests one peer may have queued with us; more are refused as `BUSY`. */
export const MAX_QUEUED_REQUESTS = 512

/**
 * Requests in a row refused as `NOT_AVAILABLE` after which the peer is
 * disconnected. An honest peer asks only for pieces we advertised, but a
 * share we drop leaves its requests in flight (a few hundred at most), so
 * only a peer that goes on asking is cut off.
 */
export const MAX_REFUSALS_IN_A_ROW = MAX_QUEUED_REQUESTS

/**
 * Serves one peer's requests in order: checks each against what we hold,
 * reads a few ahead from the piece store, respects the upload rate limits
 * and the connection's backpressure, and skips what the peer cancelled.
 * @internal
 */
export class Uploader {
  private readonly queue: Job[] = []
  private readonly byId = new Map<number, Job>()
  private pumping = false
  private closed = false
  private refusedInARow = 0
  /** Read buffers reused from request to request (the channel copies what is sent). */
  private readonly buffers: Uint8Array[] = []

  constructor(
    private readonly peer: PeerConnection,
    private readonly onReadError: (error: unknown) => void,
  ) {}

  /**
   * Queues a request, or refuses it at once (see {@link Uploader.refuse})
   * when it cannot be served.
   */
  enqueue(request: RequestMessage, share: ServedShare | undefined): void {
    if (this.closed) return
    const refusal = this.check(request, share)
    if (refusal !== undefined) {
      this.refuse(request.id, refusal)
      return
    }
    this.refusedInARow = 0
    const { id, piece, offset, length, proof } = request
    const job: Job = { request: { id, piece, offset, length, proof }, share: share as ServedShare, cancelled: false }
    this.queue.push(job)
    this.byId.set(request.id, job)
    if (!this.pumping) void this.pump()
  }

  /**
   * Answers request `id` (a piece or metadata request) with a `reject`. A
   * `BAD_REQUEST` is a protocol violation and closes the connection at once;
   * more than {@link MAX_REFUSALS_IN_A_ROW} `NOT_AVAILABLE` in a row close it
   * too. Either way the error is a `NodeError` `PEER_PROTOCOL`.
   */
  refuse(id: number, code: RejectCode): void {
    this.peer.send({ type: 'reject', id, code })
    if (code === 'BAD_REQUEST') {
      void this.peer.close(NodeError.protocol(`${this.peer.peerIdText} sent a request that does not fit the share`))
    } else if (code === 'NOT_AVAILABLE' && ++this.refusedInARow > MAX_REFUSALS_IN_A_ROW) {
      void this.peer.close(NodeError.protocol(`${this.peer.peerIdText} kept requesting what we do not have`))
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
    for (const job of this.queue) job.cancelled = true
    this.queue.length = 0
    this.byId.clear()
  }

  private check(request: RequestMessage, share: ServedShare | undefined): RejectCode | undefined {
    if (this.queue.length >= MAX_QUEUED_REQUESTS) return 'BUSY'
    const manifest = share?.manifest
    if (share === undefined || manifest === undefined) return 'NOT_AVAILABLE'
    if (request.piece >= manifest.pieceCount || !share.has(request.piece)) return 'NOT_AVAILABLE'
    if (request.offset + request.length > manifest.pieceSize(request.piece)) return 'BAD_REQUEST'
    if (request.proof && !isProofRange(manifest, request.piece, request.offset, request.length)) return 'BAD_REQUEST'
    if (this.byId.has(request.id)) return 'BAD_REQUEST'
    return undefined
  }

  private async pump(): Promise<void> {
    this.pumping = true
    try {
      while (this.queue.length > 0 && !this.closed) {
        for (let i = 0; i < Math.min(READ_AHEAD, this.queue.length); i++) this.startRead(this.queue[i] as Job)
        const job = this.queue[0] as Job
        const result = await job.bytes
        this.queue.shift()
        if (job.cancelled || this.closed) continue
        this.byId.delete(job.request.id)
        if (result === undefined) {
          this.peer.send({ type: 'reject', id: job.request.id, code: 'NOT_AVAILABLE' })
          continue
        }
        const wait = job.share.takeTokens(result.bytes.length)
        if (wait !== undefined) await wait
        if (job.cancelled || this.closed || this.peer.isClosed) continue
        const message = result.proof
          ? { type: 'data' as const, id: job.request.id, bytes: result.bytes, proof: result.proof }
          : { type: 'data' as const, id: job.request.id, bytes: result.bytes }
        const ready = this.peer.send(message)
        this.release(result.bytes)
        this.peer.bytesSent += result.bytes.length
        job.share.onUploaded(this.peer, result.bytes.length)
        if (!ready) await this.peer.drained()
      }
    } catch {
      // The connection closed under us; its owner cleans up.
    } finally {
      this.pumping = false
    }
  }

  private startRead(job: Job): void {
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

  /** A buffer of `length` bytes from the pool (or a new one). */
  private acquire(length: number): Uint8Array {
    const pooled = this.buffers.pop()
    return pooled !== undefined && pooled.buffer.byteLength >= length
      ? new Uint8Array(pooled.buffer, 0, length)
      : new Uint8Array(Math.max(length, MESSAGE_LIMITS.maxRequestBytes)).subarray(0, length)
  }

  private release(buffer: Uint8Array): void {
    if (this.buffers.length < POOLED_BUFFERS) this.buffers.push(buffer)
  }
}
