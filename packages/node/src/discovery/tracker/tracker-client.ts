/**
 * What talking to trackers takes, shared by every tracker source of a node:
 * the way to reach them (`fetch`, UDP sockets), our tracker peer id and
 * BEP 7 `key`, and the health of each tracker (a dead one is skipped for a
 * while, for every share).
 * @module
 */

import { type Clock, systemClock } from '@mycel/dht'
import {
  type AnnounceEvent,
  type SwarmCounts,
  scrapeUrlOf,
  type TrackerPeer,
  type TrackerUrl,
  toHex,
} from '@mycel/wire'
import { type ComponentLogger, componentLogger, describeError } from '@mycel/wire/log'
import { throwIfAborted } from '@mycel/wire/signal'
import { NodeError } from '../../errors.js'
import { httpAnnounce, httpScrape } from './http-tracker.js'
import {
  type AnnounceSigner,
  BACKOFF_MS,
  type FetchFunction,
  HTTP_TIMEOUT_MS,
  MAX_BACKOFF_MS,
  MAX_INTERVAL_MS,
  MAX_TRACKERS_REMEMBERED,
  MIN_INTERVAL_MS,
  type TrackerClientOptions,
  UDP_MAX_RETRANSMITS,
  UDP_RETRANSMIT_MS,
} from './settings.js'
import { UdpTrackerClient } from './udp-tracker.js'

/** The software and version in our tracker peer id (BEP 20 style: `-MY0100-`, mycel 0.1.0). */
export const PEER_ID_PREFIX = '-MY0100-'
const PEER_ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** One announce, as a source asks it of the client. */
export interface ClientAnnounce {
  /** The 20-byte key the share is announced under (what the tracker calls the infohash). */
  readonly key: Uint8Array
  /** Our TCP port; 0 for none (the tracker then lists us nowhere). */
  readonly port: number
  readonly uploaded: number
  readonly downloaded: number
  /** Bytes still wanted; undefined while unknown (a download without its manifest yet). */
  readonly left: number | undefined
  readonly event: AnnounceEvent | undefined
  readonly numwant: number
  /** The `tracker id` this tracker gave us last (HTTP). */
  readonly trackerId: Uint8Array | undefined
}

/** A tracker's answer to an announce. */
export interface TrackerAnswer {
  readonly peers: readonly TrackerPeer[]
  /** When to announce again (its `interval`, within bounds). */
  readonly intervalMs: number
  /** Its `min interval`, when it gave one. */
  readonly minIntervalMs: number | undefined
  readonly trackerId: Uint8Array | undefined
}

/** A tracker's counts for a key, from a scrape. */
export type ScrapeCounts = SwarmCounts

interface Health {
  failures: number
  until: number
  warning?: string
}

/** The errors that say a tracker is dead (or useless) for every share, not that it refused one. */
const DEAD = new Set(['TRACKER_UNREACHABLE', 'TRACKER_TIMEOUT', 'TRACKER_INVALID_RESPONSE', 'TRACKER_UNSUPPORTED'])

/**
 * A node's way to trackers. Sources of the node share one, so that a tracker
 * that is down backs off once for every share, and UDP connection ids are
 * reused.
 *
 * @example
 * ```ts
 * const client = new TrackerClient({ bindUdp: (type) => bindUdpSocket({ type }) })
 * const source = new TrackerPeerSource(['udp://tracker.example:6969'], { client })
 * ```
 */
export class TrackerClient {
  /** Our 20-byte tracker peer id (not the node's Ed25519 id, which trackers never see). */
  readonly peerId: Uint8Array
  /** BEP 7 `key`: 4 random bytes for this client's life, so a tracker knows us across address changes. */
  private readonly key: Uint8Array
  private readonly fetch: FetchFunction | undefined
  private readonly udp: UdpTrackerClient | undefined
  private readonly health = new Map<string, Health>()
  private readonly clock: Clock
  private readonly log: ComponentLogger
  private readonly httpTimeoutMs: number
  private readonly backoffMs: number
  private readonly signer: AnnounceSigner | undefined
  private readonly onion: { readonly host: string; readonly port: number } | undefined
  private readonly onionPeers: boolean
  private closed = false

  /** @param options - how trackers are reached; timings */
  constructor(options: TrackerClientOptions = {}) {
    this.peerId = options.peerId ?? randomPeerId()
    if (!(this.peerId instanceof Uint8Array) || this.peerId.length !== 20) {
      throw new RangeError('peerId must be 20 bytes')
    }
    this.key = crypto.getRandomValues(new Uint8Array(4))
    const fetch = options.fetch ?? (globalThis.fetch as FetchFunction | undefined)
    this.fetch = fetch === undefined ? undefined : (input, init) => fetch(input, init)
    this.udp =
      options.bindUdp === undefined
        ? undefined
        : new UdpTrackerClient(options.bindUdp, {
            retransmitMs: options.udpRetransmitMs ?? UDP_RETRANSMIT_MS,
            maxRetransmits: UDP_MAX_RETRANSMITS,
          })
    this.clock = options.clock ?? systemClock
    this.log = componentLogger(options.logger, 'mycel:tracker')
    this.httpTimeoutMs = options.httpTimeoutMs ?? HTTP_TIMEOUT_MS
    this.backoffMs = options.backoffMs ?? BACKOFF_MS
    this.signer = options.announceSigner
    this.onion = options.onion
    this.onionPeers = options.onionPeers === true
  }

  /**
   * The URL an HTTP request goes to: with a signer that signs for it, the
   * signed key of `infohash` in the passkey place (`/<key>/announce`, from
   * which the scrape URL `/<key>/scrape` follows); else the URL as given.
   */
  private httpUrl(url: string, infohash: Uint8Array | undefined): string {
    if (this.signer === undefined || infohash === undefined || !this.signer.signs(url)) return url
    const parsed = new URL(url)
    parsed.pathname = `/${this.signer.key(infohash)}/announce`
    return parsed.href
  }

  /** Time on the client's clock. */
  now(): number {
    return this.clock.now()
  }

  /** Where the client logs. @internal */
  get logger(): ComponentLogger {
    return this.log
  }

  /** Until when a tracker that failed is skipped; undefined when it may be asked now. */
  backoffUntil(url: TrackerUrl): number | undefined {
    const health = this.health.get(url.url)
    return health !== undefined && health.until > this.clock.now() ? health.until : undefined
  }

  /**
   * Announces to one tracker. A tracker that cannot be reached, or answers
   * nonsense, backs off for every share (15 s, doubling, up to an hour).
   *
   * @param url - the tracker
   * @param announce - what to tell it
   * @param signal - aborts the request
   * @returns its answer
   * @throws `NodeError` `TRACKER_FAILURE`, `TRACKER_UNREACHABLE`, `TRACKER_TIMEOUT`,
   *   `TRACKER_INVALID_RESPONSE`, `TRACKER_UNSUPPORTED`, `ABORTED`, `CLOSED`
   */
  async announce(url: TrackerUrl, announce: ClientAnnounce, signal?: AbortSignal): Promise<TrackerAnswer> {
    return this.track(url, signal, async () => {
      if (url.protocol === 'udp') {
        const response = await this.udpClient(url).announce(
          url,
          {
            infohash: announce.key,
            peerId: this.peerId,
            port: announce.port,
            uploaded: announce.uploaded,
            downloaded: announce.downloaded,
            ...(announce.left === undefined ? {} : { left: announce.left }),
            ...(announce.event === undefined ? {} : { event: announce.event }),
            numwant: announce.numwant,
            key: this.key,
          },
          signal,
        )
        return {
          peers: response.peers,
          intervalMs: intervalOf(response.interval),
          minIntervalMs: undefined,
          trackerId: undefined,
        }
      }
      const reply = await httpAnnounce(
        this.httpUrl(url.url, announce.key),
        {
          infohash: announce.key,
          peerId: this.peerId,
          port: this.onion?.port ?? announce.port,
          ...(this.onion === undefined ? {} : { ip: this.onion.host }),
          uploaded: announce.uploaded,
          downloaded: announce.downloaded,
          ...(announce.left === undefined ? {} : { left: announce.left }),
          ...(announce.event === undefined ? {} : { event: announce.event }),
          numwant: announce.numwant,
          key: new TextEncoder().encode(toHex(this.key)),
          ...(announce.trackerId === undefined ? {} : { trackerId: announce.trackerId }),
          compact: !this.onionPeers,
        },
        this.exchange(signal),
      )
      if (reply.warning !== undefined) this.warned(url, reply.warning)
      return {
        peers: reply.peers,
        intervalMs: intervalOf(reply.interval),
        minIntervalMs: reply.minInterval === undefined ? undefined : reply.minInterval * 1000,
        trackerId: reply.trackerId ?? announce.trackerId,
      }
    })
  }

  /**
   * Asks one tracker for the counts of keys (BEP 48 over HTTP, BEP 15 over UDP).
   *
   * @param url - the tracker
   * @param keys - 20-byte keys, 1 to 74
   * @param signal - aborts the request
   * @returns the counts of each key, in order (zeros for a key the tracker does not know)
   * @throws as {@link TrackerClient.announce}; `TRACKER_UNSUPPORTED` for an HTTP tracker without a scrape URL
   */
  async scrape(url: TrackerUrl, keys: readonly Uint8Array[], signal?: AbortSignal): Promise<ScrapeCounts[]> {
    return this.track(url, signal, async () => {
      if (url.protocol === 'udp')
        return (await this.udpClient(url).scrape(url, keys, signal)).files.slice(0, keys.length)
      const scrapeUrl = scrapeUrlOf(this.httpUrl(url.url, keys[0]))
      if (scrapeUrl === undefined) {
        throw new NodeError('TRACKER_UNSUPPORTED', `${url.url} has no scrape URL (its path does not end in /announce)`)
      }
      const reply = await httpScrape(scrapeUrl, keys, this.exchange(signal))
      const byKey = new Map(reply.files.map((file) => [toHex(file.infohash), file]))
      return keys.map((key) => {
        const file = byKey.get(toHex(key))
        return { complete: file?.complete ?? 0, incomplete: file?.incomplete ?? 0, downloaded: file?.downloaded ?? 0 }
      })
    })
  }

  /** Ends every request in flight (`CLOSED`) and closes the UDP sockets. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    await this.udp?.close()
  }

  /** Runs one request, keeping the tracker's health. */
  private async track<T>(url: TrackerUrl, signal: AbortSignal | undefined, request: () => Promise<T>): Promise<T> {
    if (this.closed) throw NodeError.closed('the tracker client')
    throwIfAborted(signal, NodeError)
    try {
      const result = await request()
      const health = this.health.get(url.url)
      if (health !== undefined) {
        health.failures = 0
        health.until = 0
      }
      return result
    } catch (error) {
      if (error instanceof NodeError && DEAD.has(error.code) && !this.closed && !signal?.aborted)
        this.failed(url, error)
      throw error
    }
  }

  private failed(url: TrackerUrl, error: NodeError): void {
    const health = this.healthOf(url)
    const wait = Math.min(this.backoffMs * 2 ** Math.min(health.failures, 20), MAX_BACKOFF_MS)
    health.failures++
    health.until = this.clock.now() + wait
    if (this.log.enabled('debug')) {
      this.log.debug(`tracker ${url.url} skipped for ${Math.round(wait / 1000)} s: ${describeError(error)}`)
    }
  }

  private warned(url: TrackerUrl, warning: string): void {
    const health = this.healthOf(url)
    if (health.warning === warning) return
    health.warning = warning
    this.log.warn(`tracker ${url.url} warns: ${warning}`)
  }

  private healthOf(url: TrackerUrl): Health {
    let health = this.health.get(url.url)
    if (health === undefined) {
      health = { failures: 0, until: 0 }
      if (this.health.size >= MAX_TRACKERS_REMEMBERED) this.health.delete(this.health.keys().next().value as string)
    } else {
      this.health.delete(url.url) // most recently used last
    }
    this.health.set(url.url, health)
    return health
  }

  private exchange(signal: AbortSignal | undefined) {
    if (this.fetch === undefined) throw new NodeError('TRACKER_UNSUPPORTED', 'no fetch to reach HTTP trackers with')
    return { fetch: this.fetch, timeoutMs: this.httpTimeoutMs, signal }
  }

  private udpClient(url: TrackerUrl): UdpTrackerClient {
    if (this.udp === undefined) {
      throw new NodeError('TRACKER_UNSUPPORTED', `${url.url}: no UDP socket here (give trackerTransport.bindUdp)`)
    }
    return this.udp
  }
}

/** A tracker's `interval` (seconds), in milliseconds within the bounds. */
function intervalOf(seconds: number): number {
  return Math.min(Math.max(seconds * 1000, MIN_INTERVAL_MS), MAX_INTERVAL_MS)
}

/** `-MY0100-` and 12 random letters and digits. */
function randomPeerId(): Uint8Array {
  const random = crypto.getRandomValues(new Uint8Array(12))
  const tail = Array.from(random, (byte) => PEER_ID_ALPHABET[byte % PEER_ID_ALPHABET.length]).join('')
  return new TextEncoder().encode(`${PEER_ID_PREFIX}${tail}`)
}
