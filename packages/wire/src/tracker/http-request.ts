/**
 * HTTP tracker requests (BEP 3 announce, BEP 48 scrape) as query strings:
 * what a client sends and what a tracker reads.
 * @module
 */
import { assertBytes, assertInteger } from '../assert.js'
import { WireError } from '../errors.js'
import { parseIp } from '../ip.js'
import { PEER_ID_LENGTH, TRACKER_INFOHASH_LENGTH, TRACKER_LIMITS } from './limits.js'
import {
  decodeQueryBytes,
  decodeQueryText,
  formatTrackerQuery,
  splitTrackerQuery,
  type TrackerQueryOptions,
} from './query.js'
import type { AnnounceEvent, AnnounceRequest } from './types.js'

/** Length of a full BitTorrent v2 infohash (SHA-256), which trackers see truncated to 20 bytes (BEP 52). */
const V2_INFOHASH_LENGTH = 32

const EVENTS: ReadonlyMap<string, AnnounceEvent | undefined> = new Map([
  ['', undefined],
  ['empty', undefined],
  ['started', 'started'],
  ['completed', 'completed'],
  ['stopped', 'stopped'],
  ['paused', 'paused'],
])

const DECIMAL = /^-?\d{1,20}$/

/** A v3 onion host: 56 base32 characters (the last one `d`, version 3), then `.onion`. */
const ONION_HOST = /^[a-z2-7]{55}d\.onion$/

/**
 * Whether a text is a v3 onion host name (`<56 characters>.onion`, lower
 * case; the checksum is not checked), as a tracker peer's `host` or an
 * announce's `ip` may be.
 *
 * @param host - the text
 * @returns true for a well-formed v3 onion host
 */
export function isOnionHost(host: string): boolean {
  return ONION_HOST.test(host)
}

function invalid(field: string, expected: string): WireError {
  return new WireError('TRACKER_INVALID_FIELD', `${field} must be ${expected}`)
}

type RawParameters = Map<string, string[]>

/** The raw (still escaped) value of a parameter that may appear once; `undefined` when absent. */
function single(parameters: RawParameters, name: string): string | undefined {
  const values = parameters.get(name)
  if (values === undefined) return undefined
  if (values.length > 1) throw new WireError('TRACKER_MALFORMED', `${name} appears ${values.length} times`)
  return values[0]
}

/** A decimal integer, clamped to the safe integers. */
function decimal(raw: string, field: string): number {
  const digits = decodeQueryText(raw)
  if (!DECIMAL.test(digits)) throw invalid(field, 'a decimal integer')
  const value = Number(digits)
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, value))
}

function counter(parameters: RawParameters, field: string): number {
  const raw = single(parameters, field)
  if (raw === undefined) return 0
  const value = decimal(raw, field)
  if (value < 0) throw invalid(field, 'a non-negative integer')
  return value
}

function boundedBytes(parameters: RawParameters, field: string): Uint8Array | undefined {
  const raw = single(parameters, field)
  if (raw === undefined) return undefined
  const bytes = decodeQueryBytes(raw)
  if (bytes.length > TRACKER_LIMITS.maxFieldBytes) {
    throw new WireError(
      'TRACKER_TOO_LARGE',
      `${field} of ${bytes.length} bytes is over the limit of ${TRACKER_LIMITS.maxFieldBytes}`,
    )
  }
  return bytes
}

/**
 * Reads an infohash: 20 bytes, or a full 32-byte v2 infohash, which is read
 * as its first 20 bytes, the form BEP 52 gives trackers.
 */
function infohashOf(bytes: Uint8Array | undefined, field: string): Uint8Array {
  if (bytes === undefined) throw invalid(field, 'present')
  if (bytes.length === TRACKER_INFOHASH_LENGTH) return bytes.slice()
  if (bytes.length === V2_INFOHASH_LENGTH) return bytes.slice(0, TRACKER_INFOHASH_LENGTH)
  throw invalid(field, `20 bytes (or a 32-byte v2 infohash), not ${bytes.length}`)
}

/**
 * Reads the query string of an HTTP announce (BEP 3).
 *
 * Required: `info_hash` (20 bytes; a full 32-byte v2 infohash is read as
 * its first 20 bytes, the form BEP 52 gives trackers), `peer_id` (20 bytes)
 * and `port` (0..65535). Optional: `uploaded`, `downloaded` (default 0),
 * `left` (a negative value, some clients' "unknown", reads as unknown),
 * `event` (`started`, `completed`, `stopped`, BEP 21's `paused`; empty or
 * `empty` for none), `numwant` (negative reads as absent), `compact`,
 * `no_peer_id`, `key`, `trackerid`, `ip` (kept only when it is an IP
 * literal or a v3 onion host, lower-cased). Counters over 2^53 - 1 read as 2^53 - 1. Other parameters are
 * ignored; a parameter given twice is refused.
 *
 * @param query - the text after `?`
 * @param options - length and count limits
 * @returns the announce
 * @throws {@link WireError} `TRACKER_INVALID_FIELD` for a missing or wrong field,
 *   `TRACKER_MALFORMED` for a bad escape or a repeated parameter,
 *   `TRACKER_TOO_LARGE` over a limit
 *
 * @example
 * ```ts
 * const announce = parseAnnounceQuery(url.slice(url.indexOf('?') + 1))
 * announce.infohash // 20 bytes
 * ```
 */
export function parseAnnounceQuery(query: string, options: TrackerQueryOptions = {}): AnnounceRequest {
  const parameters = splitTrackerQuery(query, options)
  const infohashRaw = single(parameters, 'info_hash')
  const infohash = infohashOf(infohashRaw === undefined ? undefined : decodeQueryBytes(infohashRaw), 'info_hash')
  const peerIdRaw = single(parameters, 'peer_id')
  const peerId = peerIdRaw === undefined ? undefined : decodeQueryBytes(peerIdRaw)
  if (peerId?.length !== PEER_ID_LENGTH) throw invalid('peer_id', '20 bytes')
  const portRaw = single(parameters, 'port')
  if (portRaw === undefined) throw invalid('port', 'present')
  const port = decimal(portRaw, 'port')
  if (port < 0 || port > 0xffff) throw invalid('port', 'in 0..65535')
  const eventRaw = single(parameters, 'event')
  const eventText = eventRaw === undefined ? '' : decodeQueryText(eventRaw)
  if (!EVENTS.has(eventText)) throw invalid('event', 'started, completed, stopped, paused or empty')
  const event = EVENTS.get(eventText)
  const leftRaw = single(parameters, 'left')
  const left = leftRaw === undefined ? undefined : decimal(leftRaw, 'left')
  const numwantRaw = single(parameters, 'numwant')
  const numwant = numwantRaw === undefined ? undefined : decimal(numwantRaw, 'numwant')
  const compact = single(parameters, 'compact')
  const noPeerId = single(parameters, 'no_peer_id')
  const key = boundedBytes(parameters, 'key')
  const trackerId = boundedBytes(parameters, 'trackerid')
  const ipBytes = boundedBytes(parameters, 'ip')
  const ipText = ipBytes === undefined ? undefined : String.fromCharCode(...ipBytes)
  const ip = ipText !== undefined && isOnionHost(ipText.toLowerCase()) ? ipText.toLowerCase() : ipText
  return {
    infohash,
    peerId,
    port,
    uploaded: counter(parameters, 'uploaded'),
    downloaded: counter(parameters, 'downloaded'),
    ...(left !== undefined && left >= 0 ? { left } : {}),
    ...(event !== undefined ? { event } : {}),
    ...(numwant !== undefined && numwant >= 0 ? { numwant } : {}),
    ...(key !== undefined ? { key: key.slice() } : {}),
    ...(trackerId !== undefined ? { trackerId: trackerId.slice() } : {}),
    ...(compact !== undefined ? { compact: decodeQueryText(compact) === '1' } : {}),
    ...(noPeerId !== undefined ? { noPeerId: decodeQueryText(noPeerId) === '1' } : {}),
    ...(ip !== undefined && (parseIp(ip) !== undefined || isOnionHost(ip)) ? { ip } : {}),
  }
}

function integerText(value: number | undefined, field: string): string | undefined {
  return value === undefined ? undefined : String(assertInteger(value, field))
}

/**
 * Writes the query string of an HTTP announce (without the leading `?`):
 * the parameters {@link parseAnnounceQuery} reads, `compact=1` unless
 * `compact` is false.
 *
 * @param request - the announce; `infohash` and `peerId` of 20 bytes
 * @returns the query text
 * @throws TypeError or RangeError for a field out of its range
 *
 * @example
 * ```ts
 * const url = `${announceUrl}${announceUrl.includes('?') ? '&' : '?'}${formatAnnounceQuery(request)}`
 * ```
 */
export function formatAnnounceQuery(request: AnnounceRequest): string {
  assertBytes(request.infohash, 'infohash', TRACKER_INFOHASH_LENGTH)
  assertBytes(request.peerId, 'peerId', PEER_ID_LENGTH)
  assertInteger(request.port, 'port', { max: 0xffff })
  if (request.event !== undefined && !EVENTS.has(request.event)) throw new RangeError(`unknown event ${request.event}`)
  for (const [field, value] of [
    ['key', request.key],
    ['trackerId', request.trackerId],
  ] as const) {
    if (value !== undefined && value.length > TRACKER_LIMITS.maxFieldBytes) {
      throw new RangeError(`${field} is longer than ${TRACKER_LIMITS.maxFieldBytes} bytes`)
    }
  }
  return formatTrackerQuery([
    ['info_hash', request.infohash],
    ['peer_id', request.peerId],
    ['port', String(request.port)],
    ['uploaded', integerText(request.uploaded, 'uploaded')],
    ['downloaded', integerText(request.downloaded, 'downloaded')],
    ['left', integerText(request.left, 'left')],
    ['compact', request.compact === false ? '0' : '1'],
    ['no_peer_id', request.noPeerId === true ? '1' : undefined],
    ['event', request.event],
    ['numwant', integerText(request.numwant, 'numwant')],
    ['key', request.key],
    ['trackerid', request.trackerId],
    ['ip', request.ip],
  ])
}

/**
 * Reads the query string of an HTTP scrape (BEP 48): any number of
 * `info_hash` parameters (each 20 bytes, or a 32-byte v2 infohash read as
 * its first 20), duplicates dropped. An empty list asks for every swarm,
 * which a tracker may refuse.
 *
 * @param query - the text after `?` (empty for none)
 * @param options - length and count limits
 * @returns the infohashes, in the order first given
 * @throws {@link WireError} `TRACKER_INVALID_FIELD` for an infohash of another length,
 *   `TRACKER_TOO_LARGE` for more than {@link TRACKER_LIMITS}.maxScrapeInfohashes,
 *   `TRACKER_MALFORMED` for a bad escape
 */
export function parseScrapeQuery(query: string, options: TrackerQueryOptions = {}): Uint8Array[] {
  const values = splitTrackerQuery(query, options).get('info_hash') ?? []
  const seen = new Set<string>()
  const infohashes: Uint8Array[] = []
  for (const value of values) {
    const infohash = infohashOf(decodeQueryBytes(value), 'info_hash')
    const key = String.fromCharCode(...infohash)
    if (seen.has(key)) continue
    seen.add(key)
    infohashes.push(infohash)
    if (infohashes.length > TRACKER_LIMITS.maxScrapeInfohashes) {
      throw new WireError(
        'TRACKER_TOO_LARGE',
        `more than ${TRACKER_LIMITS.maxScrapeInfohashes} infohashes in one scrape`,
      )
    }
  }
  return infohashes
}

/**
 * Writes the query string of an HTTP scrape (without the leading `?`).
 *
 * @param infohashes - 20-byte infohashes, at most {@link TRACKER_LIMITS}.maxScrapeInfohashes
 * @returns the query text
 * @throws TypeError or RangeError for a wrong infohash or too many
 */
export function formatScrapeQuery(infohashes: readonly Uint8Array[]): string {
  if (infohashes.length > TRACKER_LIMITS.maxScrapeInfohashes) {
    throw new RangeError(`at most ${TRACKER_LIMITS.maxScrapeInfohashes} infohashes per scrape`)
  }
  for (const infohash of infohashes) assertBytes(infohash, 'infohash', TRACKER_INFOHASH_LENGTH)
  return formatTrackerQuery(infohashes.map((infohash) => ['info_hash', infohash] as const))
}
