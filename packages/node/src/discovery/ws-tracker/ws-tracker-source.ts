/**
 * A share's WebSocket trackers as a peer source. `announce` joins the
 * share's swarm at each tracker (or leaves it, `stopped`) without offers:
 * its members' offers reach us there and are answered. `lookup` announces
 * with a few unaddressed WebRTC offers (unless some still wait for
 * answers), then yields the `webrtc-offer://` address of each answered one
 * for the node to dial, the answerer's peer id coming from the handshake.
 * Offers go only with lookups because only a lookup dials what it finds:
 * the answers to offers of a periodic announce would wait for the next
 * lookup, often past the offers' lifetime, while the answering peers hold
 * a connection open for nothing. So a seeder (which never looks up) makes
 * no offers and answers those of the peers that want data.
 * @module
 */

import { assertSignal } from '@mycel/wire/assert'
import { throwIfAborted } from '@mycel/wire/signal'
import { NodeError } from '../../errors.js'
import {
  type AnnounceResult,
  checkShareKey,
  type PeerCandidate,
  type PeerSource,
  type ShareKey,
  type SourceAnnounceOptions,
  type SourceLookupOptions,
} from '../peer-source.js'
import { binaryString } from './messages.js'
import { MAX_WS_TRACKER_SOCKETS, WS_OFFERS_PER_ANNOUNCE, type WsTrackerClient } from './ws-tracker-client.js'

/** Bytes of the key WebSocket trackers take (WebTorrent's info_hash). */
const KEY_LENGTH = 20
/** Longest a lookup waits for answers to its offers. */
export const WS_LOOKUP_WAIT_MS = 10_000
/** Shortest and longest wait between announces, whatever interval a tracker gives. */
export const WS_MIN_INTERVAL_MS = 30_000
export const WS_MAX_INTERVAL_MS = 60 * 60 * 1000
/** The wait between announces when a tracker gives none. */
const WS_DEFAULT_INTERVAL_MS = 2 * 60 * 1000

/**
 * Whether a tracker URL is a WebSocket tracker's (`ws:` or `wss:`).
 * @param url - a tracker URL
 */
export function isWsTrackerUrl(url: unknown): url is string {
  return typeof url === 'string' && /^wss?:\/\//i.test(url.trim())
}

/**
 * A normalised `ws:`/`wss:` tracker URL.
 * @throws `WireError`-like TypeError for one that does not parse
 */
export function normaliseWsTrackerUrl(text: string): string {
  const url = new URL(text.trim())
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`${text} is not a ws: or wss: URL`)
  if (url.username !== '' || url.password !== '') throw new TypeError(`${text} carries a user name or password`)
  url.hash = ''
  if (url.href.length > 2048) throw new TypeError('a tracker URL is at most 2048 characters')
  return url.href
}

/** WebSocket trackers of a share, as a peer source. @internal */
export class WsTrackerPeerSource implements PeerSource {
  readonly name: string
  private readonly urls: readonly string[]
  private closed = false
  /** Info hashes (binary strings) this source announced. */
  private readonly announced = new Set<string>()

  /**
   * @param urls - `ws:`/`wss:` tracker URLs (normalised; at most {@link MAX_WS_TRACKER_SOCKETS} are used)
   * @param client - the node's WebSocket tracker client
   */
  constructor(
    urls: readonly string[],
    private readonly client: WsTrackerClient,
  ) {
    this.urls = [...new Set(urls)].slice(0, MAX_WS_TRACKER_SOCKETS)
    if (this.urls.length === 0) throw new RangeError('a WebSocket tracker source needs at least one tracker')
    this.name = `tracker:${this.urls[0]}${this.urls.length > 1 ? ` (+${this.urls.length - 1})` : ''}`
  }

  async announce(share: ShareKey, options: SourceAnnounceOptions): Promise<AnnounceResult> {
    const infoHash = this.check(share, options.signal)
    const transfer = { uploaded: options.uploaded, downloaded: options.downloaded, left: options.left }
    if (options.event === 'stopped') {
      this.announced.delete(infoHash)
      for (const url of this.urls) this.client.existing(url)?.stop(infoHash, transfer)
      return { reached: 0 }
    }
    this.announced.add(infoHash)
    const results = await Promise.allSettled(
      // (async: a client at its socket bound throws, which counts as that tracker failing)
      this.urls.map(async (url) =>
        this.client.socket(url).announce({ infoHash, event: options.event, ...transfer }, 0, options.signal),
      ),
    )
    let reached = 0
    let interval = Number.POSITIVE_INFINITY
    let failure: unknown
    for (const result of results) {
      if (result.status === 'rejected') {
        failure ??= result.reason
        continue
      }
      reached++
      interval = Math.min(interval, result.value === undefined ? WS_DEFAULT_INTERVAL_MS : result.value * 1000)
    }
    throwIfAborted(options.signal, NodeError)
    if (reached === 0 && failure !== undefined) throw failure
    return { reached, nextAnnounceMs: clampInterval(interval) }
  }

  async *lookup(share: ShareKey, options: SourceLookupOptions = {}): AsyncIterable<PeerCandidate> {
    const infoHash = this.check(share, options.signal)
    const { signal } = options
    // A lookup is an announce with offers, unless offers of this share wait for answers already.
    await Promise.allSettled(
      this.urls.map(async (url) => {
        const socket = this.client.socket(url)
        if (socket.waiting(infoHash)) return undefined
        this.announced.add(infoHash)
        const transfer = { uploaded: options.uploaded, downloaded: options.downloaded, left: options.left }
        return socket.announce({ infoHash, ...transfer }, options.left === 0 ? 0 : WS_OFFERS_PER_ANNOUNCE, signal)
      }),
    )
    const deadline = Date.now() + WS_LOOKUP_WAIT_MS
    for (;;) {
      throwIfAborted(signal, NodeError)
      if (this.closed) throw NodeError.closed('the WebSocket tracker source')
      const sockets = this.urls.map((url) => this.client.existing(url)).filter((socket) => socket !== undefined)
      const left = deadline - Date.now()
      const waiting = sockets.some((socket) => socket.waiting(infoHash))
      const found = await Promise.all(
        sockets.map((socket) => socket.answered(infoHash, waiting && left > 0 ? left : 0, signal)),
      )
      for (const address of found.flat()) yield { address }
      if (found.flat().length === 0 && (!waiting || Date.now() >= deadline)) return
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const infoHash of this.announced) {
      for (const url of this.urls) this.client.existing(url)?.stop(infoHash, {})
    }
    this.announced.clear()
  }

  private check(share: ShareKey, signal: AbortSignal | undefined): string {
    checkShareKey(share, KEY_LENGTH)
    assertSignal(signal)
    if (this.closed) throw NodeError.closed('the WebSocket tracker source')
    throwIfAborted(signal, NodeError)
    return binaryString(share.key)
  }
}

function clampInterval(ms: number): number {
  if (!Number.isFinite(ms)) return WS_DEFAULT_INTERVAL_MS
  return Math.min(WS_MAX_INTERVAL_MS, Math.max(WS_MIN_INTERVAL_MS, ms))
}
