/**
 * UDP tracker packets (BEP 15): connect, announce, scrape and error, for
 * IPv4 and IPv6 (the peers of an announce response are 6 or 18 bytes by the
 * family the request came over), with BEP 41's URL data in announces.
 * Every number is big-endian.
 * @module
 */
import { assertBytes, assertInteger } from '../assert.js'
import { WireError } from '../errors.js'
import { formatIp, parseIpv4 } from '../ip.js'
import { COMPACT_IPV4_LENGTH, decodeTrackerPeers } from './compact.js'
import { PEER_ID_LENGTH, TRACKER_INFOHASH_LENGTH, TRACKER_LIMITS } from './limits.js'
import type { AnnounceEvent, AnnounceRequest, SwarmCounts, TrackerPeer } from './types.js'

/** The magic constant that opens a connect request. */
export const UDP_PROTOCOL_ID = 0x41727101980n
/** Bytes of a connection id. */
export const UDP_CONNECTION_ID_LENGTH = 8
/** Bytes of an announce request without BEP 41 options. */
export const UDP_ANNOUNCE_LENGTH = 98

const ACTION_CONNECT = 0
const ACTION_ANNOUNCE = 1
const ACTION_SCRAPE = 2
const ACTION_ERROR = 3
const HEADER_LENGTH = 16
const SCRAPE_COUNTS_LENGTH = 12

/** BEP 15 event numbers; 4 (`paused`) is what the `bittorrent-tracker` client sends for BEP 21's event. */
const EVENT_CODES: readonly (AnnounceEvent | undefined)[] = [undefined, 'completed', 'started', 'stopped', 'paused']

/** BEP 41 option types. */
const OPTION_END = 0
const OPTION_NOP = 1
const OPTION_URL_DATA = 2

/** A connect request: the first packet of a client, answered with a connection id. */
export interface UdpConnectRequest {
  readonly action: 'connect'
  readonly transactionId: number
}

/** An announce over UDP. */
export interface UdpAnnounceRequest extends AnnounceRequest {
  readonly action: 'announce'
  /** The id the connect response gave (8 bytes). */
  readonly connectionId: Uint8Array
  readonly transactionId: number
  /**
   * BEP 41: the path and query of the announce URL (`/announce/<passkey>`),
   * each byte one character; absent when the packet carries none (an empty
   * one is written as none).
   */
  readonly urlData?: string
}

/** A scrape over UDP. */
export interface UdpScrapeRequest {
  readonly action: 'scrape'
  readonly connectionId: Uint8Array
  readonly transactionId: number
  /** 1 to {@link TRACKER_LIMITS}.maxScrapeInfohashes infohashes of 20 bytes. */
  readonly infohashes: readonly Uint8Array[]
}

/** Any request a UDP tracker reads. */
export type UdpRequest = UdpConnectRequest | UdpAnnounceRequest | UdpScrapeRequest

/** A connect response. */
export interface UdpConnectResponse {
  readonly action: 'connect'
  readonly transactionId: number
  readonly connectionId: Uint8Array
}

/** An announce response as a tracker writes it: the peers as compact bytes of the request's family. */
export interface UdpAnnounceResponseFields {
  readonly transactionId: number
  readonly interval: number
  readonly leechers: number
  readonly seeders: number
  /** 6 bytes per peer for a request that came over IPv4, 18 over IPv6. */
  readonly peers: Uint8Array
}

/** An announce response as a client reads it. */
export interface UdpAnnounceResponse {
  readonly action: 'announce'
  readonly transactionId: number
  readonly interval: number
  readonly leechers: number
  readonly seeders: number
  readonly peers: TrackerPeer[]
}

/** A scrape response: one set of counts per infohash asked, in the order asked. */
export interface UdpScrapeResponse {
  readonly action: 'scrape'
  readonly transactionId: number
  readonly files: SwarmCounts[]
}

/** An error response. */
export interface UdpErrorResponse {
  readonly action: 'error'
  readonly transactionId: number
  /** The tracker's text, cut to {@link TRACKER_LIMITS}.maxMessageLength characters. */
  readonly message: string
}

/** Any response a UDP tracker client reads. */
export type UdpResponse = UdpConnectResponse | UdpAnnounceResponse | UdpScrapeResponse | UdpErrorResponse

const utf8Encoder = new TextEncoder()
const lenientUtf8 = new TextDecoder('utf-8', { fatal: false })

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function malformed(message: string): WireError {
  return new WireError('TRACKER_MALFORMED', message)
}

const U32 = { max: 0xffff_ffff }
const PORT = { max: 0xffff }

function checkPacket(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  if (bytes.length > TRACKER_LIMITS.maxPacketBytes) {
    throw new WireError(
      'TRACKER_TOO_LARGE',
      `a packet of ${bytes.length} bytes is over the limit of ${TRACKER_LIMITS.maxPacketBytes}`,
    )
  }
  if (bytes.length < HEADER_LENGTH) throw malformed(`a packet of ${bytes.length} bytes is shorter than 16`)
}

/**
 * The transaction id of a request (bytes 12..15), to address an error
 * response to a packet {@link decodeUdpRequest} refused.
 *
 * @param bytes - a packet
 * @returns the id, or `undefined` for a packet shorter than 16 bytes
 */
export function udpTransactionId(bytes: Uint8Array): number | undefined {
  return bytes.length < HEADER_LENGTH ? undefined : viewOf(bytes).getUint32(12)
}

/** A signed 64-bit counter, clamped to the safe integers. */
function readCounter(view: DataView, at: number): number {
  const value = view.getBigInt64(at)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER
  if (value < -BigInt(Number.MAX_SAFE_INTEGER)) return -Number.MAX_SAFE_INTEGER
  return Number(value)
}

/** The URL data of BEP 41 options after an announce. */
function readOptions(bytes: Uint8Array, start: number): string | undefined {
  let urlData: string | undefined
  let at = start
  while (at < bytes.length) {
    const type = bytes[at] as number
    if (type === OPTION_END) break
    if (type === OPTION_NOP) {
      at++
      continue
    }
    if (at + 1 >= bytes.length) throw malformed('a BEP 41 option without its length')
    const length = bytes[at + 1] as number
    const end = at + 2 + length
    if (end > bytes.length) throw malformed('a BEP 41 option runs past the packet')
    if (type === OPTION_URL_DATA) {
      urlData = (urlData ?? '') + String.fromCharCode(...bytes.subarray(at + 2, end))
      if (urlData.length > TRACKER_LIMITS.maxUrlDataBytes) {
        throw new WireError('TRACKER_TOO_LARGE', `URL data over ${TRACKER_LIMITS.maxUrlDataBytes} bytes`)
      }
    }
    // Unknown option types carry a length too (BEP 41) and are skipped.
    at = end
  }
  return urlData
}

function decodeAnnounce(bytes: Uint8Array, view: DataView): UdpAnnounceRequest {
  if (bytes.length < UDP_ANNOUNCE_LENGTH) {
    throw malformed(`an announce of ${bytes.length} bytes is shorter than ${UDP_ANNOUNCE_LENGTH}`)
  }
  const downloaded = readCounter(view, 56)
  const left = readCounter(view, 64)
  const uploaded = readCounter(view, 72)
  if (downloaded < 0 || uploaded < 0) {
    throw new WireError('TRACKER_INVALID_FIELD', 'downloaded and uploaded must not be negative')
  }
  const eventCode = view.getUint32(80)
  if (eventCode >= EVENT_CODES.length) throw new WireError('TRACKER_INVALID_FIELD', `unknown event ${eventCode}`)
  const event = EVENT_CODES[eventCode]
  const ip = view.getUint32(84)
  const numwant = view.getInt32(92)
  const urlData = readOptions(bytes, UDP_ANNOUNCE_LENGTH)
  return {
    action: 'announce',
    connectionId: bytes.slice(0, 8),
    transactionId: view.getUint32(12),
    infohash: bytes.slice(16, 36),
    peerId: bytes.slice(36, 56),
    downloaded,
    uploaded,
    ...(left >= 0 ? { left } : {}),
    ...(event !== undefined ? { event } : {}),
    ...(ip !== 0 ? { ip: formatIp(bytes.subarray(84, 88)) } : {}),
    key: bytes.slice(88, 92),
    ...(numwant >= 0 ? { numwant } : {}),
    port: view.getUint16(96),
    ...(urlData !== undefined ? { urlData } : {}),
  }
}

/**
 * Reads a UDP tracker request.
 *
 * A connect request is recognised by its protocol id; any other packet
 * starts with a connection id (which the tracker must check: this only
 * reads it). An announce is at least 98 bytes, followed by BEP 41 options;
 * a negative `left` reads as unknown, `num_want` -1 as absent, `ip` 0 as
 * absent, event 4 as `paused`. A scrape carries 1 to 74 infohashes.
 *
 * @param bytes - the packet
 * @returns the request
 * @throws {@link WireError} `TRACKER_MALFORMED` for a short or ill-sized packet or an
 *   unknown action, `TRACKER_INVALID_FIELD` for an unknown event or a negative
 *   counter, `TRACKER_TOO_LARGE` for a packet over {@link TRACKER_LIMITS}.maxPacketBytes
 *   or too many infohashes
 *
 * @example
 * ```ts
 * const request = decodeUdpRequest(packet)
 * if (request.action === 'connect') reply(encodeUdpConnectResponse({ transactionId: request.transactionId, connectionId }))
 * ```
 */
export function decodeUdpRequest(bytes: Uint8Array): UdpRequest {
  checkPacket(bytes)
  const view = viewOf(bytes)
  const action = view.getUint32(8)
  const transactionId = view.getUint32(12)
  if (view.getBigUint64(0) === UDP_PROTOCOL_ID) {
    if (action !== ACTION_CONNECT) throw malformed(`the protocol id comes with action ${action}, not connect`)
    return { action: 'connect', transactionId }
  }
  if (action === ACTION_ANNOUNCE) return decodeAnnounce(bytes, view)
  if (action === ACTION_SCRAPE) {
    const length = bytes.length - HEADER_LENGTH
    if (length === 0 || length % TRACKER_INFOHASH_LENGTH !== 0) {
      throw malformed(`a scrape carries whole 20-byte infohashes, got ${length} bytes`)
    }
    const count = length / TRACKER_INFOHASH_LENGTH
    if (count > TRACKER_LIMITS.maxScrapeInfohashes) {
      throw new WireError(
        'TRACKER_TOO_LARGE',
        `${count} infohashes is over the limit of ${TRACKER_LIMITS.maxScrapeInfohashes}`,
      )
    }
    const infohashes: Uint8Array[] = []
    for (let at = HEADER_LENGTH; at < bytes.length; at += TRACKER_INFOHASH_LENGTH) {
      infohashes.push(bytes.slice(at, at + TRACKER_INFOHASH_LENGTH))
    }
    return { action: 'scrape', connectionId: bytes.slice(0, 8), transactionId, infohashes }
  }
  if (action === ACTION_CONNECT) throw malformed('a connect request without the protocol id')
  throw malformed(`unknown action ${action}`)
}

/**
 * Writes a connect request.
 *
 * @param transactionId - a random unsigned 32-bit id
 * @returns 16 bytes
 */
export function encodeUdpConnectRequest(transactionId: number): Uint8Array {
  assertInteger(transactionId, 'transactionId', U32)
  const out = new Uint8Array(HEADER_LENGTH)
  const view = viewOf(out)
  view.setBigUint64(0, UDP_PROTOCOL_ID)
  view.setUint32(8, ACTION_CONNECT)
  view.setUint32(12, transactionId)
  return out
}

/**
 * Writes an announce request (98 bytes, plus BEP 41 URL data when given).
 *
 * @param request - the announce; `key`, when given, is 4 bytes; `ip` an IPv4 literal
 * @returns the packet
 * @throws TypeError or RangeError for a field out of its range
 */
export function encodeUdpAnnounceRequest(request: Omit<UdpAnnounceRequest, 'action'>): Uint8Array {
  assertBytes(request.connectionId, 'connectionId', UDP_CONNECTION_ID_LENGTH)
  assertInteger(request.transactionId, 'transactionId', U32)
  assertBytes(request.infohash, 'infohash', TRACKER_INFOHASH_LENGTH)
  assertBytes(request.peerId, 'peerId', PEER_ID_LENGTH)
  if (request.key !== undefined) assertBytes(request.key, 'key', 4)
  assertInteger(request.port, 'port', PORT)
  const ip = request.ip === undefined ? undefined : parseIpv4(request.ip)
  if (request.ip !== undefined && ip === undefined) throw new RangeError('ip must be an IPv4 literal over UDP')
  const urlData = request.urlData === undefined || request.urlData === '' ? [] : urlDataOptions(request.urlData)
  const out = new Uint8Array(UDP_ANNOUNCE_LENGTH + urlData.length)
  const view = viewOf(out)
  out.set(request.connectionId, 0)
  view.setUint32(8, ACTION_ANNOUNCE)
  view.setUint32(12, request.transactionId)
  out.set(request.infohash, 16)
  out.set(request.peerId, 36)
  view.setBigInt64(56, counterBits(request.downloaded, 'downloaded'))
  view.setBigInt64(64, request.left === undefined ? -1n : counterBits(request.left, 'left'))
  view.setBigInt64(72, counterBits(request.uploaded, 'uploaded'))
  view.setUint32(80, request.event === undefined ? 0 : EVENT_CODES.indexOf(request.event))
  if (ip !== undefined) out.set(ip, 84)
  if (request.key !== undefined) out.set(request.key, 88)
  if (request.numwant !== undefined) assertInteger(request.numwant, 'numwant', U32)
  view.setInt32(92, request.numwant === undefined ? -1 : Math.min(request.numwant, 0x7fff_ffff))
  view.setUint16(96, request.port)
  out.set(urlData, UDP_ANNOUNCE_LENGTH)
  return out
}

function counterBits(value: number, field: string): bigint {
  return BigInt(assertInteger(value, field))
}

/** BEP 41 URLData options (255 bytes each at most), then EndOfOptions. */
function urlDataOptions(text: string): number[] {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code > 0xff) throw new RangeError('urlData must hold one byte per character')
    bytes.push(code)
  }
  if (bytes.length > TRACKER_LIMITS.maxUrlDataBytes) {
    throw new RangeError(`urlData is longer than ${TRACKER_LIMITS.maxUrlDataBytes} bytes`)
  }
  const out: number[] = []
  for (let at = 0; at < bytes.length; at += 255) {
    const part = bytes.slice(at, at + 255)
    out.push(OPTION_URL_DATA, part.length, ...part)
  }
  out.push(OPTION_END)
  return out
}

/**
 * Writes a scrape request.
 *
 * @param request - the connection id, a transaction id and 1 to 74 infohashes
 * @returns the packet
 * @throws TypeError or RangeError for a field out of its range
 */
export function encodeUdpScrapeRequest(request: Omit<UdpScrapeRequest, 'action'>): Uint8Array {
  assertBytes(request.connectionId, 'connectionId', UDP_CONNECTION_ID_LENGTH)
  assertInteger(request.transactionId, 'transactionId', U32)
  const count = request.infohashes.length
  if (count === 0 || count > TRACKER_LIMITS.maxScrapeInfohashes) {
    throw new RangeError(`a scrape carries 1 to ${TRACKER_LIMITS.maxScrapeInfohashes} infohashes`)
  }
  const out = new Uint8Array(HEADER_LENGTH + count * TRACKER_INFOHASH_LENGTH)
  const view = viewOf(out)
  out.set(request.connectionId, 0)
  view.setUint32(8, ACTION_SCRAPE)
  view.setUint32(12, request.transactionId)
  request.infohashes.forEach((infohash, i) => {
    assertBytes(infohash, 'infohash', TRACKER_INFOHASH_LENGTH)
    out.set(infohash, HEADER_LENGTH + i * TRACKER_INFOHASH_LENGTH)
  })
  return out
}

/**
 * Writes a connect response.
 *
 * @param response - the request's transaction id and the connection id given out
 * @returns 16 bytes
 */
export function encodeUdpConnectResponse(response: Omit<UdpConnectResponse, 'action'>): Uint8Array {
  assertInteger(response.transactionId, 'transactionId', U32)
  assertBytes(response.connectionId, 'connectionId', UDP_CONNECTION_ID_LENGTH)
  const out = new Uint8Array(HEADER_LENGTH)
  const view = viewOf(out)
  view.setUint32(0, ACTION_CONNECT)
  view.setUint32(4, response.transactionId)
  out.set(response.connectionId, 8)
  return out
}

/**
 * Writes an announce response.
 *
 * @param response - counts, interval and the compact peers (6 or 18 bytes each, by the request's family)
 * @returns the packet
 * @throws RangeError for a count out of the unsigned 32-bit range or a peer string of a wrong length
 */
export function encodeUdpAnnounceResponse(response: UdpAnnounceResponseFields): Uint8Array {
  assertInteger(response.transactionId, 'transactionId', U32)
  assertInteger(response.interval, 'interval', U32)
  const peers = response.peers
  // A list of 18-byte IPv6 peers is also a multiple of 6.
  if (peers.length % COMPACT_IPV4_LENGTH !== 0) throw new RangeError('peers must be 6 or 18 bytes per peer')
  const out = new Uint8Array(20 + peers.length)
  const view = viewOf(out)
  view.setUint32(0, ACTION_ANNOUNCE)
  view.setUint32(4, response.transactionId)
  view.setUint32(8, response.interval)
  view.setUint32(12, Math.min(response.leechers, 0xffff_ffff))
  view.setUint32(16, Math.min(response.seeders, 0xffff_ffff))
  out.set(peers, 20)
  return out
}

/**
 * Writes a scrape response.
 *
 * @param response - the transaction id and the counts of each infohash asked, in the order asked
 * @returns the packet
 */
export function encodeUdpScrapeResponse(response: Omit<UdpScrapeResponse, 'action'>): Uint8Array {
  assertInteger(response.transactionId, 'transactionId', U32)
  const out = new Uint8Array(8 + response.files.length * SCRAPE_COUNTS_LENGTH)
  const view = viewOf(out)
  view.setUint32(0, ACTION_SCRAPE)
  view.setUint32(4, response.transactionId)
  response.files.forEach((file, i) => {
    const at = 8 + i * SCRAPE_COUNTS_LENGTH
    view.setUint32(at, Math.min(file.complete, 0xffff_ffff))
    view.setUint32(at + 4, Math.min(file.downloaded, 0xffff_ffff))
    view.setUint32(at + 8, Math.min(file.incomplete, 0xffff_ffff))
  })
  return out
}

/**
 * Writes an error response.
 *
 * @param response - the transaction id of the refused request and a text, cut to
 *   {@link TRACKER_LIMITS}.maxMessageLength characters
 * @returns the packet
 */
export function encodeUdpError(response: Omit<UdpErrorResponse, 'action'>): Uint8Array {
  assertInteger(response.transactionId, 'transactionId', U32)
  const text = utf8Encoder.encode(response.message.slice(0, TRACKER_LIMITS.maxMessageLength))
  const out = new Uint8Array(8 + text.length)
  const view = viewOf(out)
  view.setUint32(0, ACTION_ERROR)
  view.setUint32(4, response.transactionId)
  out.set(text, 8)
  return out
}

/** Options of {@link decodeUdpResponse}. */
export interface UdpResponseOptions {
  /** The address family the request went over: peers are 6 bytes for 4, 18 for 6. */
  family: 4 | 6
  /** Most peers read. Default {@link TRACKER_LIMITS}.maxPeers. */
  maxPeers?: number
}

/**
 * Reads a UDP tracker response.
 *
 * @param bytes - the packet
 * @param options - the family the request went over, the peer limit
 * @returns the response
 * @throws {@link WireError} `TRACKER_MALFORMED` for a packet too short for its action,
 *   an announce whose peers are not whole, a scrape whose counts are not whole, or
 *   an unknown action; `TRACKER_TOO_LARGE` over a limit
 *
 * @example
 * ```ts
 * const response = decodeUdpResponse(packet, { family: 4 })
 * if (response.action === 'error') console.warn(response.message)
 * ```
 */
export function decodeUdpResponse(bytes: Uint8Array, options: UdpResponseOptions): UdpResponse {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  if (bytes.length > 65_535) throw new WireError('TRACKER_TOO_LARGE', 'a UDP packet is at most 65,535 bytes')
  if (bytes.length < 8) throw malformed(`a response of ${bytes.length} bytes is shorter than 8`)
  const view = viewOf(bytes)
  const action = view.getUint32(0)
  const transactionId = view.getUint32(4)
  if (action === ACTION_CONNECT) {
    if (bytes.length < HEADER_LENGTH) throw malformed('a connect response is 16 bytes')
    return { action: 'connect', transactionId, connectionId: bytes.slice(8, 16) }
  }
  if (action === ACTION_ANNOUNCE) {
    if (bytes.length < 20) throw malformed('an announce response is at least 20 bytes')
    return {
      action: 'announce',
      transactionId,
      interval: view.getUint32(8),
      leechers: view.getUint32(12),
      seeders: view.getUint32(16),
      peers: decodeTrackerPeers(bytes.subarray(20), options.family, options.maxPeers ?? TRACKER_LIMITS.maxPeers),
    }
  }
  if (action === ACTION_SCRAPE) {
    const length = bytes.length - 8
    if (length % SCRAPE_COUNTS_LENGTH !== 0) throw malformed('a scrape response carries whole 12-byte counts')
    const files: SwarmCounts[] = []
    for (let at = 8; at < bytes.length; at += SCRAPE_COUNTS_LENGTH) {
      files.push({
        complete: view.getUint32(at),
        downloaded: view.getUint32(at + 4),
        incomplete: view.getUint32(at + 8),
      })
    }
    return { action: 'scrape', transactionId, files }
  }
  if (action === ACTION_ERROR) {
    const text = lenientUtf8.decode(bytes.subarray(8, 8 + TRACKER_LIMITS.maxMessageLength * 4))
    return { action: 'error', transactionId, message: text.slice(0, TRACKER_LIMITS.maxMessageLength) }
  }
  throw malformed(`unknown action ${action}`)
}
