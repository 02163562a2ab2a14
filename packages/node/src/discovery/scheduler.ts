import { type Clock, systemClock } from '@mycel/dht'
import type { LinkedSignal } from '@mycel/wire/signal'
import { NodeError } from '../errors.js'
import { Operations, settleWithin, unref } from './operations.js'
import type { AnnounceEvent, AnnounceResult, PeerSource, ShareKey, ShareTransfer } from './peer-source.js'
import {
  announced,
  DISCOVERY_RETRY_MS,
  dueEvent,
  newTrack,
  reachedOf,
  reschedule,
  rescheduleAnnounce,
  type Track,
} from './track.js'

export { DISCOVERY_RETRY_MS, REANNOUNCE_MS } from './track.js'

/** How often a download that wants more peers looks them up again. */
export const LOOKUP_INTERVAL_MS = 60 * 1000
/** Announces and lookups of one source running at once, for all shares together. */
export const MAX_DISCOVERY_OPERATIONS = 8
/** A scheduled announce or lookup still running after this long is cut off (its source hangs). */
export const DISCOVERY_OPERATION_TIMEOUT_MS = 2 * 60 * 1000
/** How long the `stopped` announce of a removed share may take. */
const STOPPED_TIMEOUT_MS = 5000
/** How long the `stopped` announces at close may take, all together (real time: the node is going away). */
export const CLOSE_STOPPED_TIMEOUT_MS = 2000
/** Characters of an address a source yields; a longer one is dropped. */
const MAX_ADDRESS_LENGTH = 1024
const TICK_MS = 1000

/** What the scheduler needs of a share (a swarm is one). @internal */
export interface DiscoveredShare {
  readonly infohash: Uint8Array
  readonly infohashHex: string
  /** Whether every wanted piece is here (a download that completes says so in its next announce). */
  readonly complete: boolean
  /** Peers in the share now: a lookup that leaves none is retried soon. */
  readonly memberCount: number
}

/** Where addresses came from: a source, or a protocol that pushes them (`{ name: 'pex' }`). @internal */
export type PeerOrigin = PeerSource | { readonly name: string }

/** What discovery asks of the node. @internal */
export interface DiscoveryHooks<S extends DiscoveredShare> {
  /** The TCP port we accept peers on (what is announced), if any. */
  port(): number | undefined
  /** Whether a share wants more peers (only then is it looked up). */
  wantsPeers(share: S): boolean
  /** Peers found for a share, as transport addresses; `rank` is the source's rank of them (see `PeerCandidate`). */
  found(share: S, addresses: string[], origin: PeerOrigin, rank?: number): void
  /** What the share moved in this run and what it still wants (for sources that report it: trackers). */
  transfer?(share: S): ShareTransfer
}

/** Options of a {@link DiscoveryScheduler}. @internal */
export interface DiscoveryOptions {
  /** Time and timers. Default: the system clock. */
  readonly clock?: Clock
}

/** Options of {@link DiscoveryScheduler.add}. @internal */
export interface DiscoveryShareOptions {
  /** The share's key (or its coming, when it is read from the state store first: nothing runs before). */
  readonly key: ShareKey | Promise<ShareKey>
  /** Sources for this share only (a magnet's trackers), besides the node's; closed when the share is removed. */
  readonly sources?: readonly PeerSource[]
}

interface Entry<S> {
  readonly share: S
  key: ShareKey | undefined
  readonly keyReady: Promise<ShareKey | undefined>
  readonly tracks: Map<PeerSource, Track>
  /** The sources of this share only (closed with it). */
  readonly own: Set<PeerSource>
  /** Only its own sources (and those `restrict` kept) are asked: a private torrent (BEP 27). */
  restricted: boolean
}

/**
 * Runs the peer sources for every share: for each (share, source), an
 * announce at once, then at the source's interval or every 15 minutes, and,
 * while the share wants peers, a lookup at once, then every minute. An
 * announce that reached nobody (or failed) is tried again after 5 s, then
 * 10 s, 20 s, ... up to the normal interval; so is the lookup of a share
 * that still has no peer after it. Each source runs at most
 * {@link MAX_DISCOVERY_OPERATIONS} operations at once (a slow DHT does not
 * hold up the direct peers or a tracker). Everything found goes to the node
 * through one funnel, {@link DiscoveryHooks.found}, as do the peers that a
 * protocol pushes ({@link DiscoveryScheduler.offer}). Closing the scheduler
 * aborts every operation and closes every source it was given.
 * @internal
 */
export class DiscoveryScheduler<S extends DiscoveredShare> {
  private readonly entries = new Map<string, Entry<S>>()
  private readonly sources: PeerSource[] = []
  /** Every source given (node-wide or per share): closed with the scheduler. */
  private readonly owned = new Set<PeerSource>()
  private readonly running = new Map<PeerSource, number>()
  /** The signal of every operation in flight, aborted at close. */
  private readonly operations: Operations
  private readonly stopping = new AbortController()
  private readonly clock: Clock
  private timer: unknown
  private closing: Promise<void> | undefined

  /**
   * @param sources - the node's sources, asked for every share
   * @param hooks - what the scheduler asks of the node
   * @param options - clock
   */
  constructor(
    sources: readonly PeerSource[],
    private readonly hooks: DiscoveryHooks<S>,
    options: DiscoveryOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.operations = new Operations(this.clock)
    for (const source of sources) this.addSource(source)
    this.schedule()
  }

  /** Adds a source for every share, now and later (a tracker the app adds at run time). */
  addSource(source: PeerSource): void {
    if (this.stopping.signal.aborted || this.owned.has(source)) return
    this.sources.push(source)
    this.owned.add(source)
    for (const entry of this.entries.values()) {
      if (entry.restricted) continue
      const track = this.track(entry, source)
      if (entry.key !== undefined) void this.run(entry, track)
    }
  }

  /** Starts announcing (and, while it wants peers, looking up) a share. */
  add(share: S, options: DiscoveryShareOptions): void {
    if (this.stopping.signal.aborted || this.entries.has(share.infohashHex)) return
    const keyReady = Promise.resolve(options.key).then(
      (key) => {
        entry.key = key
        return key
      },
      () => undefined, // a share whose key cannot be had is not announced
    )
    const entry: Entry<S> = { share, key: undefined, keyReady, tracks: new Map(), own: new Set(), restricted: false }
    for (const source of this.sources) this.track(entry, source)
    this.entries.set(share.infohashHex, entry)
    this.addSources(share, options.sources ?? [])
    // Once the key is known, after the caller has opened the share (one that we seed needs no lookup).
    void keyReady.then(() => {
      if (this.isCurrent(entry)) for (const track of entry.tracks.values()) void this.run(entry, track)
    })
  }

  /**
   * Adds sources for one share only (its trackers), asked from now on (once
   * its key is known) and closed when the share is removed. A source already
   * asked for the share is not added twice.
   */
  addSources(share: S, sources: readonly PeerSource[]): void {
    const entry = this.entries.get(share.infohashHex)
    if (this.stopping.signal.aborted || entry?.share !== share) {
      for (const source of sources) void source.close().catch(() => {})
      return
    }
    for (const source of sources) {
      if (entry.tracks.has(source)) continue
      entry.own.add(source)
      this.owned.add(source)
      const track = this.track(entry, source)
      if (entry.key !== undefined) void this.run(entry, track)
    }
  }

  /**
   * From now on, asks for a share only its own sources and those `keep`
   * accepts (a private torrent, BEP 27: its trackers and the peers the user
   * named, never the DHT or the node's trackers); the others that heard
   * `started` hear `stopped`. Peers pushed to it ({@link DiscoveryScheduler.offer}) are refused.
   */
  restrict(share: S, keep: (source: PeerSource) => boolean): void {
    const entry = this.entries.get(share.infohashHex)
    if (entry?.share !== share || entry.restricted) return
    entry.restricted = true
    for (const [source, track] of [...entry.tracks]) {
      if (entry.own.has(source) || keep(source)) continue
      entry.tracks.delete(source)
      if (track.started && entry.key !== undefined && !this.stopping.signal.aborted) {
        this.announceTo(source, entry.key, 'stopped', this.operations.start(STOPPED_TIMEOUT_MS)).catch(() => {})
      }
    }
  }

  /** Whether a share is restricted to its own sources (see {@link DiscoveryScheduler.restrict}). */
  isRestricted(share: S): boolean {
    const entry = this.entries.get(share.infohashHex)
    return entry?.share === share && entry.restricted
  }

  /**
   * The sources a share is announced to and looked up in now (the node's
   * and its own), with its key once known.
   */
  sourcesOf(share: S): { sources: { source: PeerSource; own: boolean }[]; key: ShareKey | undefined } {
    const entry = this.entries.get(share.infohashHex)
    if (entry?.share !== share) return { sources: [], key: undefined }
    const sources = [...entry.tracks.keys()].map((source) => ({ source, own: entry.own.has(source) }))
    return { sources, key: entry.key }
  }

  /**
   * Stops announcing a share; each of its sources hears `stopped` (and
   * forgets what it keeps of it); its own sources are closed after.
   */
  remove(share: S): void {
    const entry = this.entries.get(share.infohashHex)
    if (entry?.share !== share) return
    this.entries.delete(share.infohashHex)
    const closeOwn = (): void => {
      for (const source of entry.own) {
        this.owned.delete(source)
        void source.close().catch(() => {})
      }
    }
    const stopped = (key: ShareKey | undefined): void => {
      if (key === undefined || this.stopping.signal.aborted) {
        closeOwn()
        return
      }
      const transfer = this.transferOf(entry.share)
      const stops = [...entry.tracks.values()].map(({ source }) =>
        this.announceTo(source, key, 'stopped', this.operations.start(STOPPED_TIMEOUT_MS), transfer).catch(() => {}),
      )
      void Promise.allSettled(stops).then(closeOwn)
    }
    // At once when the key is known: a source forgets the share before the caller can add it again.
    if (entry.key !== undefined) stopped(entry.key)
    else void entry.keyReady.then(stopped)
  }

  /**
   * Looks a share up now with its sources (or one of them): new addresses
   * are known (the user gave direct peers). Runs at once if the share wants
   * peers, or as soon as the lookup running now ends.
   */
  refresh(share: S, source?: PeerSource): void {
    const entry = this.entries.get(share.infohashHex)
    if (entry?.share !== share) return
    for (const track of entry.tracks.values()) {
      if (source !== undefined && track.source !== source) continue
      track.lookup.next = 0
      track.lookup.retry = DISCOVERY_RETRY_MS
      if (track.busy) track.again = true
      else if (entry.key !== undefined) void this.run(entry, track)
    }
  }

  /**
   * A download of the share completed: the sources that heard `started`
   * while it was incomplete hear `completed` now (BEP 3), not at their next
   * regular announce.
   */
  completed(share: S): void {
    const entry = this.entries.get(share.infohashHex)
    if (this.stopping.signal.aborted || entry?.share !== share || entry.key === undefined) return
    for (const track of entry.tracks.values()) {
      if (dueEvent(track, true) !== 'completed') continue
      track.announce.next = 0
      void this.run(entry, track)
    }
  }

  /**
   * Hands peers a protocol pushed (peer exchange) to the node, through the
   * same funnel as what lookups find: only for a share that runs here and
   * wants peers.
   */
  offer(share: S, addresses: readonly string[], origin: PeerOrigin): void {
    const entry = this.entries.get(share.infohashHex)
    if (this.stopping.signal.aborted || entry?.share !== share || entry.restricted) return
    if (!this.hooks.wantsPeers(share)) return
    const usable = addresses.filter(usableAddress)
    if (usable.length > 0) this.hooks.found(share, usable, origin)
  }

  /**
   * Announces a share to every source now. When it reaches nobody it is
   * tried again from 5 s on, as after any announce.
   * @returns how many places took it (DHT nodes that stored it, trackers that answered); 0 for a share
   *   that is not announced here
   * @throws the first failure when every source failed or reached nobody and one failed (`ABORTED` for
   *   the signal)
   */
  async announce(share: S, signal?: AbortSignal): Promise<number> {
    const entry = this.entries.get(share.infohashHex)
    if (entry?.share !== share) return 0
    const key = await entry.keyReady
    if (key === undefined || !this.isCurrent(entry)) return 0
    const results = await Promise.allSettled(
      [...entry.tracks.values()].map((track) =>
        this.announceTrack(entry, track, this.operations.start(undefined, signal)),
      ),
    )
    let reached = 0
    let failure: PromiseRejectedResult | undefined
    for (const result of results) {
      if (result.status === 'fulfilled') reached += result.value
      else failure ??= result
    }
    if (reached === 0 && failure !== undefined) throw failure.reason
    return reached
  }

  /** Stops every announcement and lookup, and closes every source. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = NodeError.closed('discovery')
      this.clock.clearTimeout(this.timer)
      const entries = [...this.entries.values()]
      this.entries.clear() // nothing new starts: every track is off its entry now
      await this.sayStopped(entries)
      this.stopping.abort(closed)
      this.operations.close(closed)
      await Promise.allSettled([...this.owned].map((source) => source.close()))
    })()
    return this.closing
  }

  /**
   * BEP 3: a client that shuts down says `stopped` to those it told
   * `started` (a tracker drops us from its list at once). All of them at
   * once, given {@link CLOSE_STOPPED_TIMEOUT_MS} of real time in all.
   */
  private async sayStopped(entries: readonly Entry<S>[]): Promise<void> {
    await settleWithin(CLOSE_STOPPED_TIMEOUT_MS, this.stopping.signal, (signal) =>
      entries.flatMap((entry) => {
        const key = entry.key
        if (key === undefined) return []
        const transfer = this.transferOf(entry.share)
        const started = [...entry.tracks.values()].filter((track) => track.started)
        const operation = { signal, abort: () => {}, dispose: () => {} }
        return started.map((track) => this.announceTo(track.source, key, 'stopped', operation, transfer))
      }),
    )
  }

  private track(entry: Entry<S>, source: PeerSource): Track {
    const track = newTrack(source)
    entry.tracks.set(source, track)
    return track
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      if (this.stopping.signal.aborted) return
      this.tick()
      this.schedule()
    }, TICK_MS)
    unref(this.timer)
  }

  private tick(): void {
    for (const entry of this.entries.values()) {
      if (entry.key === undefined) continue
      for (const track of entry.tracks.values()) void this.run(entry, track)
    }
  }

  private isCurrent(entry: Entry<S>): boolean {
    return this.entries.get(entry.share.infohashHex) === entry
  }

  private async run(entry: Entry<S>, track: Track): Promise<void> {
    const { source } = track
    const running = this.running.get(source) ?? 0
    if (track.busy || entry.key === undefined || this.stopping.signal.aborted) return
    if (entry.tracks.get(source) !== track) return // a source the share no longer asks
    if (running >= MAX_DISCOVERY_OPERATIONS) return
    const now = this.clock.now()
    const lookup = now >= track.lookup.next && this.hooks.wantsPeers(entry.share)
    const announce = now >= track.announce.next
    if (!lookup && !announce) return
    track.busy = true
    this.running.set(source, running + 1)
    try {
      if (lookup) {
        const link = this.operations.start(DISCOVERY_OPERATION_TIMEOUT_MS)
        await this.lookup(entry, track, link.signal)
          .catch(() => {})
          .finally(() => link.dispose())
        // Listed addresses may all be dead (or our own): a share counts as served once it has a peer.
        reschedule(track.lookup, entry.share.memberCount > 0, LOOKUP_INTERVAL_MS, this.clock.now())
      }
      if (
        announce &&
        this.clock.now() >= track.announce.next &&
        this.isCurrent(entry) &&
        entry.tracks.get(source) === track
      ) {
        // A failed announce is rescheduled like one that reached nobody.
        await this.announceTrack(entry, track, this.operations.start(DISCOVERY_OPERATION_TIMEOUT_MS)).catch(() => {})
      }
    } finally {
      track.busy = false
      this.running.set(source, (this.running.get(source) ?? 1) - 1)
      if (track.again) {
        track.again = false
        track.lookup.next = 0
        if (this.isCurrent(entry)) queueMicrotask(() => void this.run(entry, track))
      }
    }
  }

  /** Looks the share up with one source, handing each peer listed to the node as it comes. */
  private async lookup(entry: Entry<S>, track: Track, signal: AbortSignal): Promise<void> {
    const port = this.hooks.port()
    const options = { signal, ...this.transferOf(entry.share), ...(port === undefined ? {} : { port }) }
    for await (const candidate of track.source.lookup(entry.key as ShareKey, options)) {
      // A share removed, or a source it no longer asks (a private torrent), takes nothing more.
      if (!this.isCurrent(entry) || entry.tracks.get(track.source) !== track) return
      const address: unknown = candidate?.address
      const rank: unknown = candidate?.rank
      if (!usableAddress(address)) continue
      if (typeof rank === 'number' && Number.isSafeInteger(rank) && rank >= 0) {
        this.hooks.found(entry.share, [address], track.source, rank)
      } else this.hooks.found(entry.share, [address], track.source)
    }
  }

  /** Announces a share to one source, with the event its state calls for, and schedules the next. */
  private async announceTrack(entry: Entry<S>, track: Track, link: LinkedSignal): Promise<number> {
    const complete = entry.share.complete
    const event = dueEvent(track, complete)
    let result: AnnounceResult | undefined
    try {
      result = await this.announceTo(track.source, entry.key as ShareKey, event, link, this.transferOf(entry.share))
      const reached = reachedOf(result)
      announced(track, event, reached, complete)
      return reached
    } finally {
      if (this.isCurrent(entry)) rescheduleAnnounce(track, result, this.clock.now())
    }
  }

  /** One announce, its link disposed after. */
  private async announceTo(
    source: PeerSource,
    key: ShareKey,
    event: AnnounceEvent | undefined,
    link: LinkedSignal,
    transfer: ShareTransfer = {},
  ): Promise<AnnounceResult> {
    try {
      return await source.announce(key, {
        ...transfer,
        port: this.hooks.port(),
        signal: link.signal,
        ...(event === undefined ? {} : { event }),
      })
    } finally {
      link.dispose()
    }
  }

  /** What the share moved and wants, for the sources that report it; nothing when the node cannot say. */
  private transferOf(share: S): ShareTransfer {
    try {
      return this.hooks.transfer?.(share) ?? {}
    } catch {
      return {}
    }
  }
}

function usableAddress(address: unknown): address is string {
  return typeof address === 'string' && address.length > 0 && address.length <= MAX_ADDRESS_LENGTH
}
