import { type ComponentLogger, describeError } from '@mycel/wire/log'
import { type Clock, systemClock } from '../clock.js'
import { NodeError } from '../errors.js'
import type { AddressBook, AddressRank } from './address-book.js'
import type { PeerConnection } from './connection.js'

/** Dials started less than {@link DIAL_STALL_MS} ago, at most, for all shares together. */
export const MAX_DIALS = 32
/** A dial unanswered this long stops holding one of the {@link MAX_DIALS} slots (it goes on). */
export const DIAL_STALL_MS = 1000
/** Dials open at once, stalled ones included. */
export const MAX_OPEN_DIALS = 128
/** A dial (TCP connect and secure handshake) that takes longer fails. */
export const DIAL_TIMEOUT_MS = 5000
/** Addresses waiting to be dialled for one share; more are dropped until it drains. */
export const MAX_QUEUED_PER_SHARE = 1000
/**
 * What a source's rank of an address (a tracker's order, which mycel-tracker
 * with accounts gives by reputation) adds to its weight in the queue:
 * `SOURCE_RANK_WEIGHT / (1 + rank)`, at most half a point. Peer scores move
 * in whole points, so the node's own evidence always wins: the prior only
 * orders addresses that the node's evidence ranks alike (never tried, or
 * the same score), and never lifts one over a tier (answered before, never
 * tried, failed). See docs/decisions.md.
 */
export const SOURCE_RANK_WEIGHT = 0.5

/** What a {@link DialQueue} works with; `T` is what addresses are dialled for (a swarm). @internal */
export interface DialQueueOptions<T> {
  readonly book: AddressBook
  /** Connects to an address (or returns the connection it already leads to). */
  dial(address: string, signal: AbortSignal): Promise<PeerConnection>
  /** The ready connection to a peer, if any. */
  connection(peerId: string): PeerConnection | undefined
  /** The ready connection that already leads to an address, if any. */
  connectionAt(address: string): PeerConnection | undefined
  /** Whether another connection may be opened now (the pool is not full). */
  canConnect(): boolean
  /** Whether a target still wants peers (its queued addresses are dropped once it does not). */
  wants(target: T): boolean
  /** Asks a connected peer to join a target (a swarm invites it into its share). */
  invite(target: T, peer: PeerConnection): void
  /** Where failed dials (with their backoff) and dropped addresses are logged (`mycel:peer`). */
  readonly log?: ComponentLogger
  /** Defaults: {@link MAX_DIALS}, {@link DIAL_STALL_MS}, {@link MAX_OPEN_DIALS}, {@link DIAL_TIMEOUT_MS}, {@link MAX_QUEUED_PER_SHARE}. */
  readonly maxDials?: number
  readonly stallMs?: number
  readonly maxOpenDials?: number
  readonly timeoutMs?: number
  readonly maxQueued?: number
  /**
   * Time of the stall and dial timeouts; default the system clock. The node
   * gives none (connection timeouts run on real time); a test gives a
   * `ManualClock` to step through stalls and timeouts.
   */
  readonly clock?: Clock
}

/** Options of {@link DialQueue.add}. @internal */
export interface QueueOptions {
  /**
   * Addresses the user gave (magnet `x.pe`, `peers`): dialled before the
   * others, even while a failure's backoff runs.
   */
  readonly direct?: boolean
  /**
   * The source's own rank of the addresses (0 = the one it puts first; a
   * tracker's order): a small prior beside the node's scores
   * ({@link SOURCE_RANK_WEIGHT}). An address queued with several ranks keeps
   * the best.
   */
  readonly rank?: number
}

/** An address waiting in a share's queue. */
interface Queued {
  /** Given by the user. */
  direct: boolean
  /** The best rank a source gave it, if any. */
  rank: number | undefined
}

/** The weight a source's rank adds (see {@link SOURCE_RANK_WEIGHT}). */
export function rankPrior(rank: number | undefined): number {
  return rank === undefined || !(rank >= 0) ? 0 : SOURCE_RANK_WEIGHT / (1 + rank)
}

interface InFlight<T> {
  /** Targets to invite the peer into when the dial succeeds. */
  readonly targets: Set<T>
  readonly result: Promise<PeerConnection>
  /** Whether it has run longer than the stall time (it no longer holds a slot). */
  stalled: boolean
}

const DIRECT: AddressRank = { tier: 0, weight: Number.POSITIVE_INFINITY }

/**
 * Dials the addresses found for shares, so that a live peer is reached
 * among many dead ones: each share has its own queue of addresses (bounded,
 * without duplicates); {@link MAX_DIALS} dials run at once, and one that had
 * no answer within {@link DIAL_STALL_MS} lets another start (as DHT lookups do
 * with slow nodes), up to {@link MAX_OPEN_DIALS} open; each is cut off after
 * {@link DIAL_TIMEOUT_MS}. A dead peer that never answers (the usual case
 * on a real network) thus holds a slot for a second, not for the timeout.
 * The shares take turns (round robin); inside a share's queue, addresses
 * given by the user go first, then those where a peer answered before
 * (better scores first), then new ones in the order they were found, then
 * those that failed before; within each, a source's rank (a tracker's
 * order) breaks ties ({@link SOURCE_RANK_WEIGHT}). A failed address
 * waits out its backoff in the {@link AddressBook} and is not queued again
 * until then. An address that leads to a connection we have is not dialled:
 * the share is invited over that connection. Shares asking for an address
 * already being dialled are all invited when it answers.
 * @internal
 */
export class DialQueue<T> {
  /** The targets' queues, in turn order: the next served first, the last served at the end. */
  private queues = new Map<T, Map<string, Queued>>()
  private readonly inFlight = new Map<string, InFlight<T>>()
  private readonly controllers = new Set<AbortController>()
  private readonly maxDials: number
  private readonly stallMs: number
  private readonly maxOpenDials: number
  private readonly timeoutMs: number
  private readonly clock: Clock
  private readonly maxQueued: number
  /** Dials in flight that still hold a slot. */
  private active = 0
  private pumping = false
  private closed = false

  constructor(private readonly options: DialQueueOptions<T>) {
    this.maxDials = options.maxDials ?? MAX_DIALS
    this.stallMs = options.stallMs ?? DIAL_STALL_MS
    this.maxOpenDials = options.maxOpenDials ?? MAX_OPEN_DIALS
    this.timeoutMs = options.timeoutMs ?? DIAL_TIMEOUT_MS
    this.clock = options.clock ?? systemClock
    this.maxQueued = options.maxQueued ?? MAX_QUEUED_PER_SHARE
  }

  /** Dials in flight now. */
  get dialling(): number {
    return this.inFlight.size
  }

  /** Addresses waiting, for all targets. */
  get queued(): number {
    let count = 0
    for (const queue of this.queues.values()) count += queue.size
    return count
  }

  /**
   * Queues addresses for a target and starts dials while slots are free.
   * @param target - the swarm that wants peers
   * @param addresses - transport addresses, in the order found
   * @param options - whether the user gave them
   */
  add(target: T, addresses: readonly string[], options: QueueOptions = {}): void {
    if (this.closed || addresses.length === 0) return
    const direct = options.direct === true
    const rank = options.rank
    let queue = this.queues.get(target)
    for (const address of addresses) {
      const dialling = this.inFlight.get(address)
      if (dialling !== undefined) {
        dialling.targets.add(target)
        continue
      }
      if (!direct && this.options.book.isBackingOff(address)) continue
      if (queue === undefined) {
        // A target new to the queue has the next turn.
        queue = new Map()
        this.queues = new Map([[target, queue], ...this.queues])
      }
      const queued = queue.get(address)
      if (queued !== undefined) {
        if (direct) queued.direct = true
        if (rank !== undefined && (queued.rank === undefined || rank < queued.rank)) queued.rank = rank
      } else if (queue.size < this.maxQueued) {
        queue.set(address, { direct, rank })
      } else if (this.options.log?.enabled('debug')) {
        this.options.log.debug(`dropped ${address}: ${this.maxQueued} addresses wait to be dialled for that share`)
      }
    }
    this.pump()
  }

  /**
   * Dials an address now, ahead of the queue and whatever its backoff (the
   * user asked for it).
   * @param address - a transport address
   * @param signal - aborts the dial
   * @returns the connection (an existing one when the address leads to a peer we are connected to)
   * @throws as `ConnectionPool.dial`; `NodeError` `PEER_TIMEOUT` when it takes longer than the dial timeout
   */
  dial(address: string, signal?: AbortSignal): Promise<PeerConnection> {
    if (this.closed) return Promise.reject(NodeError.closed())
    const existing = this.existing(address)
    if (existing !== undefined) return Promise.resolve(existing)
    return this.inFlight.get(address)?.result ?? this.start(address, new Set(), signal)
  }

  /** Drops a target's queued addresses (its share stopped). */
  forget(target: T): void {
    this.queues.delete(target)
    for (const dialling of this.inFlight.values()) dialling.targets.delete(target)
  }

  /** Starts queued dials while slots are free and the pool takes connections. */
  pump(): void {
    if (this.pumping || this.closed) return
    this.pumping = true
    try {
      while (this.active < this.maxDials && this.inFlight.size < this.maxOpenDials && this.options.canConnect()) {
        const next = this.next()
        if (next === undefined) break
        this.start(next.address, new Set([next.target])).catch(() => {}) // remembered in the book
      }
    } finally {
      this.pumping = false
    }
  }

  /** Aborts every dial and forgets every queue. Idempotent. */
  close(): void {
    this.closed = true
    this.queues.clear()
    for (const controller of this.controllers) controller.abort(NodeError.closed('the dial queue'))
  }

  /** The next address to dial: from the next target in turn that has one. */
  private next(): { target: T; address: string } | undefined {
    for (const [target, queue] of this.queues) {
      const address = this.options.wants(target) ? this.pick(target, queue) : undefined
      // Served or empty, the target goes to the end of the turn.
      this.queues.delete(target)
      if (address !== undefined) {
        if (queue.size > 0) this.queues.set(target, queue)
        return { target, address }
      }
    }
    return undefined
  }

  /** Takes the best address of a target's queue, dropping those that need no dial. */
  private pick(target: T, queue: Map<string, Queued>): string | undefined {
    let best: string | undefined
    let bestRank: AddressRank | undefined
    for (const [address, { direct, rank: sourceRank }] of queue) {
      const dialling = this.inFlight.get(address)
      if (dialling !== undefined) {
        dialling.targets.add(target)
        queue.delete(address)
        continue
      }
      if (!direct && this.options.book.isBackingOff(address)) {
        queue.delete(address)
        continue
      }
      const existing = this.existing(address)
      if (existing !== undefined) {
        queue.delete(address)
        this.options.invite(target, existing)
        continue
      }
      const local = direct ? DIRECT : this.options.book.rank(address)
      const rank = sourceRank === undefined ? local : { tier: local.tier, weight: local.weight + rankPrior(sourceRank) }
      if (
        bestRank === undefined ||
        rank.tier < bestRank.tier ||
        (rank.tier === bestRank.tier && rank.weight > bestRank.weight)
      ) {
        best = address
        bestRank = rank
        if (direct) break // nothing ranks before an address the user gave, found first
      }
    }
    if (best !== undefined) queue.delete(best)
    return best
  }

  /** The connection an address leads to, if we have it. */
  private existing(address: string): PeerConnection | undefined {
    const peerId = this.options.book.peerAt(address)
    const known = peerId === undefined ? undefined : this.options.connection(peerId)
    if (known !== undefined && !known.isClosed) return known
    return this.options.connectionAt(address)
  }

  /** Starts a dial; the targets (more may be added while it runs) are invited when it answers. */
  private start(address: string, targets: Set<T>, signal?: AbortSignal): Promise<PeerConnection> {
    const result = this.attempt(address, signal).then(
      (peer) => {
        this.options.book.answered(address, peer.peerIdText, peer.score)
        for (const target of targets) if (this.options.wants(target)) this.options.invite(target, peer)
        return peer
      },
      (error: unknown) => {
        if (!(signal?.aborted ?? false)) this.failed(address, targets, error)
        throw error
      },
    )
    const entry: InFlight<T> = { targets, result, stalled: false }
    const release = (): void => {
      if (entry.stalled) return
      entry.stalled = true
      this.active--
    }
    const stall = this.clock.setTimeout(() => {
      release()
      this.pump()
    }, this.stallMs)
    this.inFlight.set(address, entry)
    this.active++
    void result
      .catch(() => {})
      .finally(() => {
        this.clock.clearTimeout(stall)
        release()
        if (this.inFlight.get(address) === entry) this.inFlight.delete(address)
        this.pump()
      })
    return result
  }

  /**
   * One dial, cut off after the dial timeout.
   * @throws as the pool's dial; `NodeError` `PEER_TIMEOUT` when the timeout cut it off
   */
  private async attempt(address: string, signal: AbortSignal | undefined): Promise<PeerConnection> {
    const controller = new AbortController()
    this.controllers.add(controller)
    const timeout = new NodeError('PEER_TIMEOUT', `${address} did not answer within ${this.timeoutMs} ms`)
    const timer = this.clock.setTimeout(() => controller.abort(timeout), this.timeoutMs)
    const onAbort = (): void => controller.abort(signal?.reason)
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await this.options.dial(address, controller.signal)
    } catch (error) {
      throw controller.signal.reason === timeout ? timeout : error
    } finally {
      this.clock.clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      this.controllers.delete(controller)
    }
  }

  /** Remembers why a dial failed, or finds the connection it met. */
  private failed(address: string, targets: Set<T>, error: unknown): void {
    if (this.closed) return
    const code = error instanceof NodeError ? error.code : undefined
    const log = (after: string) => {
      if (this.options.log?.enabled('debug'))
        this.options.log.debug(`dial ${address} failed: ${describeError(error)}; ${after}`)
    }
    switch (code) {
      case 'PEER_DUPLICATE': {
        // Connected already, by the peer's own dial: the shares join over that connection.
        const kept = this.options.connectionAt(address)
        if (kept !== undefined)
          for (const target of targets) if (this.options.wants(target)) this.options.invite(target, kept)
        log('its shares go over the connection it made')
        return
      }
      case 'PEER_SELF':
      case 'PEER_BANNED': {
        const wait = this.options.book.failed(address, true)
        log(`not dialled again for ${backoff(wait)}`)
        return
      }
      case 'PEER_LIMIT':
      case 'CLOSED':
      case 'ABORTED':
        log("not the address's fault: no backoff")
        return
      default: {
        const wait = this.options.book.failed(address)
        log(`not dialled again for ${backoff(wait)}`)
      }
    }
  }
}

/** A backoff in words: `1 min`, `64 min`. */
function backoff(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`
}
