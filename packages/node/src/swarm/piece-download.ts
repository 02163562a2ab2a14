import { BLOCK_SIZE } from '@mycel/pieces'
import { MESSAGE_LIMITS } from '@mycel/wire'
import type { PeerLink } from './peer.js'

/** Bytes asked for in one `request`: 8 blocks, an aligned subtree a Merkle proof can cover. */
export const REQUEST_BYTES = Math.min(8 * BLOCK_SIZE, MESSAGE_LIMITS.maxRequestBytes)

/** One request-sized range of a piece. @internal */
export interface PieceRange {
  readonly offset: number
  readonly length: number
  /** The bytes arrived. */
  done: boolean
  /** They came with a Merkle proof that checked, so a reader may have them before the piece is verified. */
  proven: boolean
  /** Requests for this range in flight (more than one only in endgame). */
  requesters: number
}

/**
 * A piece being downloaded: its buffer, which request-sized ranges have
 * arrived, and which peers sent them (to blame the right one when the piece
 * fails verification).
 * @internal
 */
export class PieceDownload {
  readonly ranges: PieceRange[]
  /** Peer ids (text) that supplied at least one range. */
  readonly contributors = new Set<PeerLink>()
  private bytes: Uint8Array | undefined
  private missing: number

  constructor(
    readonly piece: number,
    readonly size: number,
    private readonly allocate: (size: number) => Uint8Array = (n) => new Uint8Array(n),
  ) {
    this.ranges = []
    for (let offset = 0; offset < size; offset += REQUEST_BYTES) {
      this.ranges.push({
        offset,
        length: Math.min(REQUEST_BYTES, size - offset),
        done: false,
        proven: false,
        requesters: 0,
      })
    }
    this.missing = this.ranges.length
  }

  /** The piece's bytes (allocated on first use). */
  get buffer(): Uint8Array {
    this.bytes ??= this.allocate(this.size)
    return this.bytes
  }

  /** Gives the buffer up (to be reused); the download must not be used afterwards. */
  takeBuffer(): Uint8Array | undefined {
    const bytes = this.bytes
    this.bytes = undefined
    return bytes
  }

  /** Whether every range has arrived. */
  get complete(): boolean {
    return this.missing === 0
  }

  /** Bytes of the ranges that have arrived. */
  get receivedBytes(): number {
    let total = 0
    for (const range of this.ranges) if (range.done) total += range.length
    return total
  }

  /**
   * The next range to ask for: one nobody is fetching, or in endgame one
   * still missing whatever is in flight (fewest requesters first).
   */
  nextRange(endgame: boolean): number {
    let best = -1
    for (let i = 0; i < this.ranges.length; i++) {
      const range = this.ranges[i] as PieceRange
      if (range.done) continue
      if (range.requesters === 0) return i
      if (endgame && (best < 0 || range.requesters < (this.ranges[best] as PieceRange).requesters)) best = i
    }
    return best
  }

  /** Stores the bytes of range `index` sent by `peer`; false if it was already done. */
  fill(index: number, bytes: Uint8Array, peer: PeerLink, proven: boolean): boolean {
    const range = this.ranges[index] as PieceRange
    if (range.done) return false
    this.buffer.set(bytes, range.offset)
    range.done = true
    range.proven = proven
    this.missing--
    this.contributors.add(peer)
    return true
  }
}
