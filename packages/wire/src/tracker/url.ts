/**
 * Tracker URLs as a client uses them: which trackers it can talk to
 * (`http:`, `https:`, `udp:`), the URL of one announce or scrape (BEP 3,
 * BEP 48), and a UDP tracker's address and BEP 41 URL data.
 * @module
 */
import { WireError } from '../errors.js'
import { formatAnnounceQuery, formatScrapeQuery } from './http-request.js'
import { TRACKER_LIMITS } from './limits.js'
import type { AnnounceRequest } from './types.js'

/** The protocols of tracker URLs a client can announce to. */
export type TrackerProtocol = 'http' | 'https' | 'udp'

/** A tracker URL, checked. */
export interface TrackerUrl {
  /** The URL, normalised (WHATWG URL form, without a fragment). */
  readonly url: string
  /** `http`, `https` or `udp`. */
  readonly protocol: TrackerProtocol
  /** Host name or IP literal (an IPv6 one without brackets). */
  readonly host: string
  /** The port (80 and 443 when an HTTP URL names none; a UDP URL must name one). */
  readonly port: number
  /**
   * Path and query (`/announce?passkey=...`): the BEP 41 URL data of a UDP
   * announce, as one character per byte of the URL's percent-encoded form.
   */
  readonly pathAndQuery: string
}

const PROTOCOLS: ReadonlyMap<string, TrackerProtocol> = new Map([
  ['http:', 'http'],
  ['https:', 'https'],
  ['udp:', 'udp'],
])

function invalid(text: string, why: string): WireError {
  return new WireError('TRACKER_URL_INVALID', `${JSON.stringify(text.slice(0, 100))} is not a tracker URL: ${why}`)
}

/**
 * Reads a tracker URL: `http://`, `https://` or `udp://`, a host, a port
 * (required for UDP), no user name or password (a fetch refuses them, and
 * they would go to the tracker in the clear). The fragment is dropped. A UDP
 * URL's path and query travel as BEP 41 URL data: at most
 * {@link TRACKER_LIMITS}.maxUrlDataBytes of them.
 *
 * @param text - the URL, as a magnet's `tr`, a torrent's `announce` or a user gives it
 * @returns the URL's parts
 * @throws {@link WireError} `TRACKER_URL_INVALID` for anything else (another protocol such as `wss:`,
 *   no host, a UDP URL without a port, credentials, longer than {@link TRACKER_LIMITS}.maxUrlLength)
 *
 * @example
 * ```ts
 * parseTrackerUrl('udp://tracker.example:6969/announce') // { protocol: 'udp', host: 'tracker.example', port: 6969, ... }
 * ```
 */
export function parseTrackerUrl(text: string): TrackerUrl {
  if (typeof text !== 'string') throw new TypeError('a tracker URL must be a string')
  if (text.length > TRACKER_LIMITS.maxUrlLength) {
    throw invalid(text, `longer than ${TRACKER_LIMITS.maxUrlLength} characters`)
  }
  let parsed: URL
  try {
    parsed = new URL(text.trim())
  } catch {
    throw invalid(text, 'it does not parse as a URL')
  }
  const protocol = PROTOCOLS.get(parsed.protocol)
  if (protocol === undefined) throw invalid(text, `${parsed.protocol} trackers are not supported (http, https, udp)`)
  if (parsed.username !== '' || parsed.password !== '') throw invalid(text, 'it carries a user name or password')
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname
  if (host === '') throw invalid(text, 'no host')
  let port = Number(parsed.port)
  if (parsed.port === '') {
    if (protocol === 'udp') throw invalid(text, 'a UDP tracker URL needs a port')
    port = protocol === 'http' ? 80 : 443
  }
  if (port === 0) throw invalid(text, 'port 0')
  parsed.hash = ''
  const url = parsed.href
  if (url.length > TRACKER_LIMITS.maxUrlLength) {
    throw invalid(text, `longer than ${TRACKER_LIMITS.maxUrlLength} characters once normalised`)
  }
  const pathAndQuery = parsed.pathname === '/' && parsed.search === '' ? '' : `${parsed.pathname}${parsed.search}`
  if (protocol === 'udp' && pathAndQuery.length > TRACKER_LIMITS.maxUrlDataBytes) {
    throw invalid(
      text,
      `the path and query of a UDP tracker URL (BEP 41) are at most ${TRACKER_LIMITS.maxUrlDataBytes} bytes`,
    )
  }
  return { url, protocol, host, port, pathAndQuery }
}

/** The URL with the query text appended (after `?`, or `&` when it has a query already). */
function withQuery(base: string, query: string): string {
  const hash = base.indexOf('#')
  const url = hash < 0 ? base : base.slice(0, hash)
  if (query === '') return url
  if (!url.includes('?')) return `${url}?${query}`
  return url.endsWith('?') || url.endsWith('&') ? `${url}${query}` : `${url}&${query}`
}

/**
 * The URL of one HTTP announce: the tracker's URL (whose own query, such as
 * a passkey, is kept) and the announce's parameters.
 *
 * @param announceUrl - the tracker's announce URL (`http://tracker.example/announce?passkey=abc`)
 * @param request - the announce, as {@link formatAnnounceQuery} writes it
 * @returns the URL to fetch
 * @throws TypeError or RangeError for a field of `request` out of its range
 *
 * @example
 * ```ts
 * await fetch(announceRequestUrl(tracker.url, { infohash, peerId, port: 6881, uploaded: 0, downloaded: 0, left: 0 }))
 * ```
 */
export function announceRequestUrl(announceUrl: string, request: AnnounceRequest): string {
  return withQuery(announceUrl, formatAnnounceQuery(request))
}

/**
 * The scrape URL of an announce URL, by the convention of BEP 48: when the
 * last segment of the path starts with `announce`, that word becomes
 * `scrape` (`/announce.php?passkey=x` gives `/scrape.php?passkey=x`); any
 * other announce URL has no scrape URL.
 *
 * @param announceUrl - an HTTP(S) announce URL
 * @returns the scrape URL, or undefined when the tracker does not follow the convention
 *
 * @example
 * ```ts
 * scrapeUrlOf('http://tracker.example/x/announce?k=1') // 'http://tracker.example/x/scrape?k=1'
 * ```
 */
export function scrapeUrlOf(announceUrl: string): string | undefined {
  if (typeof announceUrl !== 'string') throw new TypeError('announceUrl must be a string')
  const query = announceUrl.search(/[?#]/)
  const path = query < 0 ? announceUrl : announceUrl.slice(0, query)
  const slash = path.lastIndexOf('/')
  // The slash must be one of the path, past `scheme://host`.
  if (slash < 0 || slash <= path.indexOf('//') + 1) return undefined
  if (!path.startsWith('announce', slash + 1)) return undefined
  return `${path.slice(0, slash + 1)}scrape${announceUrl.slice(slash + 1 + 'announce'.length)}`
}

/**
 * The URL of one HTTP scrape (BEP 48): the scrape URL and one `info_hash`
 * parameter per infohash.
 *
 * @param scrapeUrl - from {@link scrapeUrlOf}
 * @param infohashes - 20-byte infohashes, at most {@link TRACKER_LIMITS}.maxScrapeInfohashes
 * @returns the URL to fetch
 * @throws TypeError or RangeError for a wrong infohash or too many
 */
export function scrapeRequestUrl(scrapeUrl: string, infohashes: readonly Uint8Array[]): string {
  return withQuery(scrapeUrl, formatScrapeQuery(infohashes))
}
