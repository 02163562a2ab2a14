import { MESSAGE_LIMITS } from '@mycel/wire'
import { Bitfield } from '../bitfield.js'
import { AvailabilityOrder } from './availability.js'

/** A range of pieces, `start` included, `end` excluded. */
export interface PieceRange {
  /** First piece of the range. */
  readonly start: number
  /** The piece after the last one. */
  readonly end: number
}

/** Options of {@link PiecePicker}. */
export interface PiecePickerOptions {
  /** Pieces already held (verified); they are never picked. */
  have?: Bitfield
  /** Random numbers in `[0, 1)` for tie-breaks; default `Math.random`. Pass a seeded one in tests. */
  random?: () => number
}

interface PeerState {
  bits: Bitfield
  seed: boolean
  requests: Set<number>
}

/**
 * Decides which pieces to request from which peer. Pure logic, no I/O: the
 * node tells it what peers have (`addPeer`, `peerHas`), what it asked for
 * (`pick` marks pieces in flight), and what happened (`markDone`,
 * `markFailed`, `release`).
 *
 * Order of picks for a peer: first the priority ranges (streaming and range
 * reads), in order; then rarest first, ties broken at random. Once every
 * missing piece that any peer has is in flight, the picker is in endgame:
 * a peer that has nothing new to give is handed pieces already requested
 * from others (fewest requesters first), and `markDone` returns the peers
 * whose duplicate requests should be cancelled.
 *
 * Availability updates cost O(1) per piece (pieces sit in buckets of equal
 * availability); seeds cost nothing per piece.
 *
 * @typeParam Peer - whatever identifies a peer for the caller (an id string, a connection object)
 *
 * @example
 * ```ts
 * const picker = new PiecePicker<string>(manifest.pieceCount, { have: stored })
 * picker.addPeer('alice', Bitfield.fromBytes(message.bits, manifest.pieceCount))
 * for (const piece of picker.pick('alice', 4)) requestPiece('alice', piece)
 * // later, when a piece verified:
 * for (const other of picker.markDone(piece)) if (other !== 'alice') cancel(other, piece)
 * ```
 */
export class PiecePicker<Peer = unknown> {
  /** Pieces in the share. */
  readonly pieceCount: number
  private readonly order: AvailabilityOrder
  private readonly peers = new Map<Peer, PeerState>()
  private readonly inFlight = new Map<number, Set<Peer>>()
  private readonly random: () => number
  private seeds = 0
  private missing: number
  /** Missing pieces not in flight that some peer has. */
  private requestable = 0
  private priority: PieceRange[] = []

  /**
   * @param pieceCount - pieces in the share (up to 2^20)
   * @param options - pieces already held, random source
   * @throws RangeError for a bad count, or a `have` bitfield of another size
   */
  constructor(pieceCount: number, options: PiecePickerOptions = {}) {
    if (!Number.isSafeInteger(pieceCount) || pieceCount < 0 || pieceCount > MESSAGE_LIMITS.maxPieces) {
      throw new RangeError(`pieceCount must be 0 to ${MESSAGE_LIMITS.maxPieces}, got ${String(pieceCount)}`)
    }
    const have = options.have
    if (have !== undefined && (!(have instanceof Bitfield) || have.size !== pieceCount)) {
      throw new RangeError('have must be a Bitfield of pieceCount pieces')
    }
    this.pieceCount = pieceCount
    this.random = options.random ?? Math.random
    this.order = new AvailabilityOrder(pieceCount, (piece) => have?.get(piece) === true, this.random)
    this.missing = pieceCount - (have?.count() ?? 0)
  }

  /** Pieces not done yet. */
  get remaining(): number {
    return this.missing
  }

  /** Whether every piece is done. */
  get isComplete(): boolean {
    return this.missing === 0
  }

  /** Whether every missing piece that some peer has is already in flight (duplicate requests allowed). */
  get inEndgame(): boolean {
    return this.missing > 0 && this.requestable === 0 && this.inFlight.size > 0
  }

  /** Peers added and not removed. */
  get peerCount(): number {
    return this.peers.size
  }

  /**
   * @param piece - piece index
   * @returns how many peers have the piece
   */
  availability(piece: number): number {
    this.assertPiece(piece)
    return (this.order.availability[piece] as number) + this.seeds
  }

  /**
   * @param piece - piece index
   * @returns whether the piece is done
   */
  isDone(piece: number): boolean {
    this.assertPiece(piece)
    return this.order.isDone(piece)
  }

  /**
   * @param piece - piece index
   * @returns the peers the piece is requested from
   */
  requesters(piece: number): Peer[] {
    this.assertPiece(piece)
    return [...(this.inFlight.get(piece) ?? [])]
  }

  /**
   * Adds a peer with the pieces it has.
   *
   * @param peer - the peer
   * @param bits - its bitfield (copied)
   * @throws Error if the peer was already added; RangeError if the bitfield has another size
   */
  addPeer(peer: Peer, bits: Bitfield): void {
    if (this.peers.has(peer)) throw new Error('peer already added; remove it first')
    if (!(bits instanceof Bitfield) || bits.size !== this.pieceCount) {
      throw new RangeError('the bitfield must have pieceCount pieces')
    }
    const state: PeerState = { bits: bits.clone(), seed: bits.isComplete() && this.pieceCount > 0, requests: new Set() }
    this.peers.set(peer, state)
    if (state.seed) this.addSeed()
    else for (const piece of state.bits.pieces()) this.changeAvailability(piece, 1)
  }

  /**
   * Removes a peer (it disconnected). Its requests are released.
   *
   * @param peer - the peer
   * @returns the pieces that were in flight from it
   */
  removePeer(peer: Peer): number[] {
    const state = this.peers.get(peer)
    if (state === undefined) return []
    const released = [...state.requests]
    for (const piece of released) this.release(peer, piece)
    this.peers.delete(peer)
    if (state.seed) this.removeSeed()
    else for (const piece of state.bits.pieces()) this.changeAvailability(piece, -1)
    return released
  }

  /**
   * A peer announced one more piece (`have`).
   *
   * @param peer - the peer
   * @param piece - the piece
   * @throws Error if the peer is unknown; RangeError for a bad index
   */
  peerHas(peer: Peer, piece: number): void {
    const state = this.peerState(peer)
    this.assertPiece(piece)
    if (!state.bits.set(piece)) return
    if (!state.seed && state.bits.isComplete()) {
      for (const held of state.bits.pieces()) if (held !== piece) this.changeAvailability(held, -1)
      state.seed = true
      this.addSeed()
    } else if (!state.seed) {
      this.changeAvailability(piece, 1)
    }
  }

  /**
   * Sets the priority ranges: pieces in them are picked first, in order,
   * range by range. An empty list returns to plain rarest first.
   *
   * @param ranges - ranges of piece indices (clamped to the share)
   */
  setPriority(ranges: readonly PieceRange[]): void {
    this.priority = ranges
      .map((range) => ({
        start: Math.max(0, Math.floor(range.start)),
        end: Math.min(this.pieceCount, Math.ceil(range.end)),
      }))
      .filter((range) => range.start < range.end)
  }

  /**
   * Picks up to `max` pieces to request from a peer and marks them in flight
   * from it.
   *
   * @param peer - the peer that has room for more requests
   * @param max - most pieces to pick
   * @returns piece indices, best first (empty when the peer has nothing useful)
   * @throws Error if the peer is unknown
   */
  pick(peer: Peer, max = 1): number[] {
    const state = this.peerState(peer)
    const picked: number[] = []
    if (max < 1 || this.missing === 0) return picked
    const wants = (piece: number) => !this.order.isDone(piece) && !this.inFlight.has(piece) && state.bits.get(piece)
    for (const range of this.priority) {
      for (let piece = range.start; piece < range.end && picked.length < max; piece++) {
        if (wants(piece)) this.request(peer, state, piece, picked)
      }
    }
    const { bounds, order } = this.order
    for (let level = state.seed ? 0 : 1; level < bounds.length - 1 && picked.length < max; level++) {
      const start = bounds[level] as number
      const size = (bounds[level + 1] as number) - start
      if (size === 0) continue
      const offset = Math.floor(this.random() * size)
      for (let k = 0; k < size && picked.length < max; k++) {
        const piece = order[start + ((offset + k) % size)] as number
        if (wants(piece)) this.request(peer, state, piece, picked)
      }
    }
    if (picked.length < max && this.inEndgame) this.pickEndgame(peer, state, max, picked)
    return picked
  }

  /**
   * A request ended without the piece (rejected, cancelled, timed out).
   *
   * @param peer - the peer it was requested from
   * @param piece - the piece
   */
  release(peer: Peer, piece: number): void {
    const requesters = this.inFlight.get(piece)
    if (requesters === undefined || !requesters.delete(peer)) return
    this.peers.get(peer)?.requests.delete(piece)
    if (requesters.size === 0) this.withRequestable(piece, () => this.inFlight.delete(piece))
  }

  /**
   * A piece was received and verified.
   *
   * @param piece - the piece
   * @returns the peers it was (still) requested from: cancel those requests
   */
  markDone(piece: number): Peer[] {
    this.assertPiece(piece)
    if (this.order.isDone(piece)) return []
    const requesters = this.clearRequests(piece)
    this.withRequestable(piece, () => this.order.markDone(piece))
    this.missing--
    return requesters
  }

  /**
   * A piece failed verification: it is wanted again, and every request of it is dropped.
   *
   * @param piece - the piece
   * @returns the peers it was requested from
   */
  markFailed(piece: number): Peer[] {
    this.assertPiece(piece)
    return this.clearRequests(piece)
  }

  /**
   * A piece thought done is missing after all (a recheck found it damaged).
   *
   * @param piece - the piece
   */
  markMissing(piece: number): void {
    this.assertPiece(piece)
    if (!this.order.isDone(piece)) return
    this.withRequestable(piece, () => this.order.markMissing(piece))
    this.missing++
  }

  private pickEndgame(peer: Peer, state: PeerState, max: number, picked: number[]): void {
    const inPriority = (piece: number) => this.priority.some((range) => piece >= range.start && piece < range.end)
    const candidates = [...this.inFlight]
      .filter(([piece, requesters]) => !requesters.has(peer) && state.bits.get(piece))
      .map(([piece, requesters]) => ({
        piece,
        rank: (inPriority(piece) ? 0 : 1e6) + requesters.size,
        tie: this.random(),
      }))
      .sort((a, b) => a.rank - b.rank || a.tie - b.tie)
    for (const { piece } of candidates) {
      if (picked.length >= max) break
      this.request(peer, state, piece, picked)
    }
  }

  private request(peer: Peer, state: PeerState, piece: number, picked: number[]): void {
    const requesters = this.inFlight.get(piece)
    if (requesters === undefined) this.withRequestable(piece, () => this.inFlight.set(piece, new Set([peer])))
    else requesters.add(peer)
    state.requests.add(piece)
    picked.push(piece)
  }

  private clearRequests(piece: number): Peer[] {
    const requesters = this.inFlight.get(piece)
    if (requesters === undefined) return []
    for (const peer of requesters) this.peers.get(peer)?.requests.delete(piece)
    this.withRequestable(piece, () => this.inFlight.delete(piece))
    return [...requesters]
  }

  private isRequestable(piece: number): boolean {
    return (
      !this.order.isDone(piece) &&
      !this.inFlight.has(piece) &&
      (this.seeds > 0 || (this.order.availability[piece] as number) > 0)
    )
  }

  /** Runs a change to one piece and keeps the requestable count in step. */
  private withRequestable(piece: number, change: () => void): void {
    const before = this.isRequestable(piece)
    change()
    const after = this.isRequestable(piece)
    if (before !== after) this.requestable += after ? 1 : -1
  }

  private changeAvailability(piece: number, delta: 1 | -1): void {
    this.withRequestable(piece, () => (delta > 0 ? this.order.increment(piece) : this.order.decrement(piece)))
  }

  private addSeed(): void {
    this.seeds++
    if (this.seeds === 1) this.recountRequestable()
  }

  private removeSeed(): void {
    this.seeds--
    if (this.seeds === 0) this.recountRequestable()
  }

  private recountRequestable(): void {
    let count = 0
    for (let piece = 0; piece < this.pieceCount; piece++) if (this.isRequestable(piece)) count++
    this.requestable = count
  }

  private peerState(peer: Peer): PeerState {
    const state = this.peers.get(peer)
    if (state === undefined) throw new Error('unknown peer; add it first')
    return state
  }

  private assertPiece(piece: number): void {
    if (!Number.isInteger(piece) || piece < 0 || piece >= this.pieceCount) {
      throw new RangeError(`piece ${String(piece)} is not in 0..${this.pieceCount - 1}`)
    }
  }
}
