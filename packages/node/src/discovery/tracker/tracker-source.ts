/**
 * A list of trackers (BEP 12 tiers of HTTP and UDP trackers) as a peer
 * source. A tracker has one operation, the announce, whose answer lists
 * peers; the source maps the two verbs of the seam onto it:
 *
 * - `announce` announces (to the first tracker of the tiers that answers),
 *   unless the same announce reached a tracker within its `min interval`:
 *   then that answer stands, and the tracker is not asked again so soon.
 * - `lookup` yields the peers of the last answer while it is fresh (younger
 *   than the tracker's `min interval`, else 5 minutes), and otherwise
 *   announces to get new ones (with the port the scheduler gives, 0 when it
 *   has none: the tracker then lists us nowhere).
 *
 * Each tracker hears `started` first, then regular announces, `completed`
 * and `stopped` as the scheduler says. A tracker's refusal (`failure
 * reason`) keeps it from being asked about that share for a while (BEP 31
 * `retry in`, else 15 s doubling); a dead tracker is skipped for every share
 * (see {@link TrackerClient}).
 * @module
 */

import type { TrackerUrl } from '@mycel/wire'
import { assertInteger, assertSignal } from '@mycel/wire/assert'
import { abortError, linkSignals, onAbort, throwIfAborted } from '@mycel/wire/signal'
import { NodeError } from '../../errors.js'
import {
  type AnnounceEvent,
  type AnnounceResult,
  checkShareKey,
  type PeerCandidate,
  type PeerSource,
  type ShareKey,
  type SourceAnnounceOptions,
  type SourceLookupOptions,
} from '../peer-source.js'
import { MAX_BACKOFF_MS, NUMWANT, type TrackerClientOptions } from './settings.js'
import {
  type AnnounceParams,
  type Answer,
  addressOf,
  announceWindow,
  counter,
  lookupWindow,
  refuse,
  type ShareState,
  ShareStates,
  type TrackerAnnounceResult,
} from './share-answers.js'
import { parseTrackerList, type TrackerList, TrackerTiers } from './tiers.js'
import { type ScrapeCounts, type TrackerAnswer, TrackerClient } from './tracker-client.js'

/** Bytes of the key trackers take. */
const KEY_LENGTH = 20

/** Options of a {@link TrackerPeerSource}. */
export interface TrackerPeerSourceOptions extends TrackerClientOptions {
  /**
   * The client to reach trackers with, shared with other sources (the
   * node's); it stays open when the source closes. Default: one of the
   * source's own, made from the other options, closed with it.
   */
  readonly client?: TrackerClient
  /** A number in [0, 1) for the BEP 12 shuffle of each tier. Default `Math.random`. */
  readonly random?: () => number
}

/** One tracker of a source as a share sees it: where it is, and how its last announce went. */
export interface TrackerStatus {
  /** The announce URL. */
  readonly url: string
  /** Its tier in the source's list (0 first). */
  readonly tier: number
  /** The last announce of the share to it, if it was asked in this run. */
  readonly lastAnnounce: TrackerAnnounceResult | undefined
  /**
   * Until when it is not asked about the share (a refusal's wait, or a dead
   * tracker's backoff for every share), by the client's clock; undefined
   * when it may be asked now.
   */
  readonly retryAt: number | undefined
}

/** The counts one tracker gave for a share. */
export interface TrackerScrape extends ScrapeCounts {
  /** The tracker that answered. */
  readonly tracker: string
}

/**
 * Trackers as a peer source: announces and looks a share up with the first
 * tracker of its tiers that answers (BEP 12), over HTTP(S) (BEP 3, BEP 23,
 * BEP 7) or UDP (BEP 15).
 *
 * @example
 * ```ts
 * const trackers = new TrackerPeerSource([['udp://tracker.example:6969'], ['https://backup.example/announce']])
 * const node = await createNode({ peerSources: [trackers] })
 * // or simply: createNode({ trackers: [...] }), and per share: share(path, { trackers })
 * ```
 */
export class TrackerPeerSource implements PeerSource {
  readonly name: string
  private readonly tiers: TrackerTiers
  /** The tier of each URL, as given. */
  private readonly tierOf = new Map<string, number>()
  private readonly client: TrackerClient
  private readonly ownsClient: boolean
  private readonly shares = new ShareStates()
  private readonly closing = new AbortController()

  /**
   * @param trackers - the tiers (see {@link TrackerList}); URLs that cannot be used are refused
   * @param options - the client to share, or how to make one
   * @throws `WireError` `TRACKER_URL_INVALID` for a URL that is not an `http:`, `https:` or `udp:`
   *   tracker; TypeError for a list that is not one; RangeError for an empty one
   */
  constructor(trackers: TrackerList, options: TrackerPeerSourceOptions = {}) {
    const { tiers, skipped } = parseTrackerList(trackers)
    if (skipped.length > 0) throw skipped[0]?.error
    if (tiers.length === 0) throw new RangeError('a tracker source needs at least one tracker')
    this.tiers = new TrackerTiers(tiers, options.random)
    tiers.forEach((tier, index) => {
      for (const url of tier) if (!this.tierOf.has(url.url)) this.tierOf.set(url.url, index)
    })
    this.ownsClient = options.client === undefined
    this.client = options.client ?? new TrackerClient(options)
    const first = this.tiers.order[0] as TrackerUrl
    this.name = `tracker:${first.url}${this.tiers.size > 1 ? ` (+${this.tiers.size - 1})` : ''}`
  }

  /** The trackers, tier by tier, in the order they are asked now. */
  get trackers(): string[] {
    return this.tiers.order.map((url) => url.url)
  }

  /**
   * Tells the first tracker that answers that we take part in the share, at
   * `port` (0 when undefined: listed nowhere, but given peers). `stopped`
   * goes to every tracker that heard `started`, and the source forgets the
   * share.
   * @returns reached 1 and the tracker's interval; reached 0 while every tracker is backing off
   * @throws the first tracker's error when none answered (`TRACKER_*`); `ABORTED`, `CLOSED`; TypeError or
   *   RangeError for a malformed share key or port
   */
  async announce(share: ShareKey, options: SourceAnnounceOptions): Promise<AnnounceResult> {
    checkShareKey(share, KEY_LENGTH)
    if (options.port !== undefined) assertInteger(options.port, 'port', { min: 1, max: 65535 })
    assertSignal(options.signal)
    this.assertOpen()
    throwIfAborted(options.signal, NodeError)
    const params: AnnounceParams = {
      port: options.port ?? 0,
      event: options.event,
      uploaded: counter(options.uploaded),
      downloaded: counter(options.downloaded),
      left: options.left === undefined ? undefined : counter(options.left),
    }
    if (options.event === 'stopped') return this.stop(share, params, options.signal)
    const state = this.shares.of(share.key)
    const window = options.event === 'completed' ? undefined : (answer: Answer) => announceWindow(answer)
    const answer = await this.announceOrReuse(share, state, params, window, options.signal)
    if (answer === undefined) return { reached: 0, nextAnnounceMs: this.waitForTrackers(state) }
    return { reached: 1, nextAnnounceMs: Math.max(answer.intervalMs - (this.client.now() - answer.at), 0) }
  }

  /**
   * Yields the peers the trackers list for the share: those of the last
   * answer while it is fresh, else of a new announce.
   * @throws TypeError or RangeError for a malformed share key (at once); the iteration throws the first
   *   tracker's error when none answered, `ABORTED`, `CLOSED`
   */
  lookup(share: ShareKey, options: SourceLookupOptions = {}): AsyncIterable<PeerCandidate> {
    checkShareKey(share, KEY_LENGTH)
    assertSignal(options.signal)
    if (options.port !== undefined) assertInteger(options.port, 'port', { min: 1, max: 65535 })
    return this.find(share, options)
  }

  /**
   * Asks the trackers for the share's counts (BEP 48 scrape over HTTP, BEP 15
   * over UDP): the first tracker of the tiers that answers. HTTP trackers
   * whose announce URL does not end in `/announce` have no scrape and are
   * passed over.
   *
   * @param share - the share and its key
   * @param options - abort signal
   * @returns seeders (`complete`), leechers (`incomplete`), completed downloads, and which tracker said so
   * @throws the first tracker's error when none answered; `ABORTED`, `CLOSED`
   *
   * @example
   * ```ts
   * const { complete, incomplete } = await trackers.scrape(shareKeyOf(infohash, 'discovery-key'))
   * ```
   */
  async scrape(share: ShareKey, options: { signal?: AbortSignal } = {}): Promise<TrackerScrape> {
    checkShareKey(share, KEY_LENGTH)
    assertSignal(options.signal)
    this.assertOpen()
    let failure: unknown
    for (const url of this.tiers.order) {
      if (this.client.backoffUntil(url) !== undefined) continue
      try {
        const [counts] = await this.linked(options.signal, (signal) => this.client.scrape(url, [share.key], signal))
        return { tracker: url.url, ...(counts as ScrapeCounts) }
      } catch (error) {
        this.rethrowIfStopped(options.signal, error)
        failure ??= error
      }
    }
    throw failure ?? new NodeError('TRACKER_UNREACHABLE', `every tracker of ${this.name} is backing off`)
  }

  /**
   * The source's trackers as a share sees them, in the order of their tiers:
   * the last announce of the share to each (in this run), and whether it is
   * set aside for now. Asks no tracker.
   *
   * @param share - the share and its key (undefined while the key is not known: nothing was asked yet)
   * @returns one status per tracker
   */
  status(share: ShareKey | undefined): TrackerStatus[] {
    const state = share === undefined ? undefined : this.shares.peek(share.key)
    const now = this.client.now()
    return this.tiers.order
      .map((url) => {
        const until = Math.max(this.client.backoffUntil(url) ?? 0, state?.refused.get(url.url)?.until ?? 0)
        return {
          url: url.url,
          tier: this.tierOf.get(url.url) ?? 0,
          lastAnnounce: state?.results.get(url.url),
          retryAt: until > now ? until : undefined,
        }
      })
      .sort((a, b) => a.tier - b.tier)
  }

  /** Ends every operation (`CLOSED`); closes the client when it is the source's own. Idempotent. */
  async close(): Promise<void> {
    if (!this.closing.signal.aborted) this.closing.abort(NodeError.closed('the tracker source'))
    this.shares.clear()
    if (this.ownsClient) await this.client.close()
  }

  private async *find(share: ShareKey, options: SourceLookupOptions): AsyncGenerator<PeerCandidate> {
    this.assertOpen()
    throwIfAborted(options.signal, NodeError)
    const state = this.shares.of(share.key)
    const params: AnnounceParams = {
      port: options.port ?? state.answer?.port ?? 0,
      event: undefined,
      uploaded: counter(options.uploaded),
      downloaded: counter(options.downloaded),
      left: options.left === undefined ? undefined : counter(options.left),
    }
    await this.announceOrReuse(share, state, params, lookupWindow, options.signal)
    const seen = new Set<string>()
    for (const address of state.answer?.peers ?? []) {
      this.assertOpen()
      throwIfAborted(options.signal, NodeError)
      if (seen.has(address)) continue
      seen.add(address)
      // The tracker's order (mycel-tracker with accounts: higher reputation first), as a prior.
      yield { address, rank: seen.size - 1 }
    }
    this.assertOpen()
    throwIfAborted(options.signal, NodeError)
  }

  /**
   * The share's last answer when `window` says it still stands (for the
   * same port), else a new announce; one announce of a share runs at a
   * time (a lookup that comes while one runs takes its answer).
   * @returns the answer; undefined when every tracker is backing off
   */
  private async announceOrReuse(
    share: ShareKey,
    state: ShareState,
    params: AnnounceParams,
    window: ((answer: Answer) => number) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Answer | undefined> {
    for (;;) {
      if (state.running !== undefined) {
        await this.wait(state.running, signal)
        continue
      }
      const last = state.answer
      if (window !== undefined && last !== undefined && last.port === params.port) {
        if (this.client.now() - last.at < window(last)) return last
      }
      const running = this.walk(share, state, params, signal)
      state.running = running
      try {
        return (await running) === undefined ? undefined : state.answer
      } finally {
        if (state.running === running) state.running = undefined
      }
    }
  }

  /** Announces to the trackers in tier order until one answers. */
  private async walk(
    share: ShareKey,
    state: ShareState,
    params: AnnounceParams,
    signal: AbortSignal | undefined,
  ): Promise<TrackerAnswer | undefined> {
    let failure: unknown
    for (const url of this.tiers.order) {
      const now = this.client.now()
      if (this.client.backoffUntil(url) !== undefined || (state.refused.get(url.url)?.until ?? 0) > now) continue
      // `started` first to each tracker; after that, `started` again means nothing new.
      const event: AnnounceEvent | undefined = state.started.has(url.url)
        ? params.event === 'started'
          ? undefined
          : params.event
        : 'started'
      try {
        const announce = {
          key: share.key,
          port: params.port,
          uploaded: params.uploaded,
          downloaded: params.downloaded,
          left: params.left,
          event,
          numwant: params.left === 0 ? 0 : NUMWANT,
          trackerId: state.trackerIds.get(url.url),
        }
        const answer = await this.linked(signal, (linked) => this.client.announce(url, announce, linked))
        this.assertOpen()
        this.tiers.answered(url)
        state.started.add(url.url)
        state.refused.delete(url.url)
        if (answer.trackerId !== undefined) state.trackerIds.set(url.url, answer.trackerId)
        state.answer = {
          at: this.client.now(),
          port: params.port,
          peers: answer.peers.filter((peer) => peer.port > 0).map(addressOf),
          intervalMs: answer.intervalMs,
          minIntervalMs: answer.minIntervalMs,
        }
        state.results.set(url.url, {
          at: state.answer.at,
          ok: true,
          peers: state.answer.peers.length,
          intervalMs: answer.intervalMs,
        })
        return answer
      } catch (error) {
        this.rethrowIfStopped(signal, error)
        state.results.set(url.url, {
          at: this.client.now(),
          ok: false,
          code: error instanceof NodeError ? error.code : 'TRACKER_UNREACHABLE',
          error: error instanceof Error ? error.message : String(error),
        })
        if (error instanceof NodeError && error.code === 'TRACKER_FAILURE') this.refuse(state, url.url, error)
        failure ??= error
      }
    }
    if (failure !== undefined) throw failure
    return undefined
  }

  /** `stopped` to every tracker that heard `started`; then the share is forgotten. */
  private async stop(
    share: ShareKey,
    params: AnnounceParams,
    signal: AbortSignal | undefined,
  ): Promise<AnnounceResult> {
    const state = this.shares.take(share.key)
    if (state === undefined || state.started.size === 0) return { reached: 0 }
    const told = this.tiers.order.filter((url) => state.started.has(url.url))
    const results = await Promise.allSettled(
      told.map((url) => {
        const announce = { ...params, key: share.key, numwant: 0, trackerId: state.trackerIds.get(url.url) }
        return this.linked(signal, (linked) => this.client.announce(url, announce, linked))
      }),
    )
    throwIfAborted(signal, NodeError)
    this.assertOpen()
    return { reached: results.filter((result) => result.status === 'fulfilled').length }
  }

  /** A refusal: that tracker is not asked about the share before its `retry in`, or a doubling wait. */
  private refuse(state: ShareState, url: string, error: NodeError): void {
    const wait = refuse(state, url, error, this.client.now())
    const log = this.client.logger
    if (log.enabled('info'))
      log.info(`${error.message} (not asked again about this share for ${Math.round(wait / 1000)} s)`)
  }

  /** How long until some tracker may be asked again. */
  private waitForTrackers(state: ShareState): number {
    const now = this.client.now()
    let until = Number.POSITIVE_INFINITY
    for (const url of this.tiers.order) {
      const skipped = Math.max(this.client.backoffUntil(url) ?? 0, state.refused.get(url.url)?.until ?? 0)
      until = Math.min(until, skipped)
    }
    return Number.isFinite(until) ? Math.max(until - now, 0) : MAX_BACKOFF_MS
  }

  /** Runs one request with the caller's signal joined to the source's close. */
  private async linked<T>(signal: AbortSignal | undefined, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const link = linkSignals([signal, this.closing.signal])
    try {
      return await request(link.signal)
    } finally {
      link.dispose()
    }
  }

  /** Waits for an announce in flight, or for the signal (or the close). */
  private async wait(running: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
    let unlistenCaller = (): void => {}
    let unlistenClose = (): void => {}
    try {
      await new Promise<void>((resolve, reject) => {
        const stop = () =>
          reject(
            this.closing.signal.aborted ? this.closing.signal.reason : abortError(signal as AbortSignal, NodeError),
          )
        unlistenCaller = onAbort(signal, stop)
        unlistenClose = onAbort(this.closing.signal, stop)
        running.then(
          () => resolve(),
          () => resolve(),
        )
      })
    } finally {
      unlistenCaller()
      unlistenClose()
    }
  }

  /** Abort and close end the walk over the trackers at once. */
  private rethrowIfStopped(signal: AbortSignal | undefined, error: unknown): void {
    this.assertOpen()
    if (signal?.aborted) throw abortError(signal, NodeError)
    if (error instanceof NodeError && (error.code === 'ABORTED' || error.code === 'CLOSED')) throw error
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw NodeError.closed('the tracker source')
  }
}
