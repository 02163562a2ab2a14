/**
 * Bencoded HTTP tracker responses: announce (BEP 3, compact peers BEP 23,
 * `peers6` BEP 7, `external ip` BEP 24), scrape (BEP 48), and `failure
 * reason` (with BEP 31's `retry in`).
 * @module
 */

import { assertInteger } from '../assert.js'
import { decodeBencode, decodeBencodeEntries } from '../bencode/decode.js'
import { encodeBencode } from '../bencode/encode.js'
import type { BencodeDict, BencodeInput, BencodeValue } from '../bencode/types.js'
import { WireError } from '../errors.js'
import { formatIp, parseIp } from '../ip.js'
import { COMPACT_IPV4_LENGTH, COMPACT_IPV6_LENGTH, decodeTrackerPeers, tooManyPeers } from './compact.js'
import { isOnionHost } from './http-request.js'
import { PEER_ID_LENGTH, TRACKER_INFOHASH_LENGTH, TRACKER_LIMITS } from './limits.js'
import type { SwarmCounts, TrackerPeer } from './types.js'

/** What a tracker answers to an announce; the peers as the compact bytes it keeps. */
export interface AnnounceResponseFields {
  /** Seconds the client should wait before its next regular announce. */
  readonly interval: number
  /** Seconds it must wait at least (`min interval`). */
  readonly minInterval?: number
  /** Seeders in the swarm. */
  readonly complete?: number
  /** Leechers in the swarm. */
  readonly incomplete?: number
  /** Completed downloads of the swarm. */
  readonly downloaded?: number
  /** IPv4 peers, 6 bytes each (BEP 23). */
  readonly peers: Uint8Array
  /**
   * Peers as a BEP 3 list of dictionaries (`ip`, `port`) in place of the
   * compact strings: for a client that asked `compact=0`, and the only form
   * that can hold an onion host. When given, `peers` and `peers6` are not
   * written.
   */
  readonly peerList?: readonly TrackerPeer[]
  /** IPv6 peers, 18 bytes each (BEP 7); left out when absent or empty. */
  readonly peers6?: Uint8Array
  /** An id the client sends back as `trackerid`. */
  readonly trackerId?: Uint8Array
  /** A message the client shows; the announce still counts. */
  readonly warning?: string
  /** The address the tracker saw the request come from, 4 or 16 bytes (BEP 24). */
  readonly externalIp?: Uint8Array
}

/** A tracker's refusal: its `failure reason`. */
export interface TrackerFailure {
  readonly kind: 'failure'
  /** The text, cut to {@link TRACKER_LIMITS}.maxMessageLength characters. */
  readonly reason: string
  /** BEP 31: minutes before trying again, or `'never'`. */
  readonly retryIn?: number | 'never'
}

/** An announce response as a client reads it. */
export interface AnnounceReply {
  readonly kind: 'announce'
  readonly interval: number
  readonly minInterval?: number
  readonly complete?: number
  readonly incomplete?: number
  readonly downloaded?: number
  /** IPv4 and IPv6 peers, from the compact strings or from a BEP 3 list of dictionaries. */
  readonly peers: TrackerPeer[]
  readonly trackerId?: Uint8Array
  readonly warning?: string
  /** BEP 24: the client's address as the tracker saw it. */
  readonly externalIp?: string
}

/** The counts of one swarm in a scrape response. */
export interface ScrapeFile extends SwarmCounts {
  /** The 20-byte infohash. */
  readonly infohash: Uint8Array
}

/** A scrape response as a client reads it. */
export interface ScrapeReply {
  readonly kind: 'scrape'
  /** One entry per infohash the tracker knows, in byte order of the infohashes. */
  readonly files: ScrapeFile[]
  /** BEP 48 `flags.min_request_interval`: seconds before the next scrape. */
  readonly minRequestInterval?: number
}

/** Options of the response decoders. */
export interface TrackerResponseOptions {
  /** Largest response read, in bytes. Default {@link TRACKER_LIMITS}.maxResponseBytes. */
  maxBytes?: number
  /** Most peers read. Default {@link TRACKER_LIMITS}.maxPeers. */
  maxPeers?: number
}

const utf8Encoder = new TextEncoder()
const lenientUtf8 = new TextDecoder('utf-8', { fatal: false })

/** Appends bencode to one buffer; only what the fixed response layouts need. */
class ResponseWriter {
  private buffer: Uint8Array
  private pos = 0

  constructor(size: number) {
    this.buffer = new Uint8Array(size)
  }

  private reserve(length: number): void {
    if (this.pos + length <= this.buffer.length) return
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.pos + length))
    grown.set(this.buffer.subarray(0, this.pos))
    this.buffer = grown
  }

  ascii(text: string): this {
    this.reserve(text.length)
    for (let i = 0; i < text.length; i++) this.buffer[this.pos++] = text.charCodeAt(i)
    return this
  }

  key(name: string): this {
    return this.ascii(`${name.length}:${name}`)
  }

  integer(name: string, value: number | undefined): this {
    if (value === undefined) return this
    if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer, got ${String(value)}`)
    return this.key(name).ascii(`i${value}e`)
  }

  bytes(name: string, value: Uint8Array | undefined): this {
    if (value === undefined) return this
    this.key(name).ascii(`${value.length}:`)
    this.reserve(value.length)
    this.buffer.set(value, this.pos)
    this.pos += value.length
    return this
  }

  text(name: string, value: string | undefined): this {
    return value === undefined ? this : this.bytes(name, utf8Encoder.encode(value))
  }

  finish(): Uint8Array {
    return this.pos === this.buffer.length ? this.buffer : this.buffer.slice(0, this.pos)
  }
}

function assertCompact(bytes: Uint8Array | undefined, size: number, field: string): void {
  if (bytes !== undefined && bytes.length % size !== 0) {
    throw new RangeError(`${field} must be a multiple of ${size} bytes, got ${bytes.length}`)
  }
}

/**
 * Writes an announce response, the keys in bencode order; `peers` is always
 * compact (BEP 23 lets a tracker answer compact whatever the client asked).
 *
 * @param fields - the counts, intervals and compact peer strings
 * @returns the bencoded body
 * @throws RangeError for a count that is not a safe integer or a peer string of the wrong length
 *
 * @example
 * ```ts
 * encodeAnnounceResponse({ interval: 1800, complete: 1, incomplete: 0, peers: encodeTrackerPeers(peers, 4) })
 * ```
 */
export function encodeAnnounceResponse(fields: AnnounceResponseFields): Uint8Array {
  assertCompact(fields.peers, COMPACT_IPV4_LENGTH, 'peers')
  assertCompact(fields.peers6, COMPACT_IPV6_LENGTH, 'peers6')
  if (fields.externalIp !== undefined && fields.externalIp.length !== 4 && fields.externalIp.length !== 16) {
    throw new RangeError('externalIp must be 4 or 16 bytes')
  }
  const list = fields.peerList
  const peers6 =
    list === undefined && fields.peers6 !== undefined && fields.peers6.length > 0 ? fields.peers6 : undefined
  const writer = new ResponseWriter(160 + fields.peers.length + (peers6?.length ?? 0) + (list?.length ?? 0) * 100)
  writer.ascii('d')
  writer.integer('complete', fields.complete)
  writer.integer('downloaded', fields.downloaded)
  writer.bytes('external ip', fields.externalIp)
  writer.integer('incomplete', fields.incomplete)
  writer.integer('interval', fields.interval)
  writer.integer('min interval', fields.minInterval)
  if (list === undefined) writer.bytes('peers', fields.peers)
  else {
    writer.key('peers').ascii('l')
    for (const peer of list) {
      if (parseIp(peer.host) === undefined && !isOnionHost(peer.host)) {
        throw new RangeError(`a peer's host must be an IP literal or an onion host, got ${JSON.stringify(peer.host)}`)
      }
      assertInteger(peer.port, 'port', { min: 1, max: 0xffff })
      writer.ascii('d').text('ip', peer.host).ascii('4:port').ascii(`i${peer.port}e`).ascii('e')
    }
    writer.ascii('e')
  }
  writer.bytes('peers6', peers6)
  writer.bytes('tracker id', fields.trackerId)
  writer.text('warning message', fields.warning)
  return writer.ascii('e').finish()
}

/**
 * Writes a tracker's refusal (`failure reason`), the answer to a request it
 * will not serve (HTTP 200 with this body, as BEP 3 clients expect).
 *
 * @param reason - text for the user
 * @param options - BEP 31 `retryIn` (minutes, or `'never'`)
 * @returns the bencoded body
 *
 * @example
 * ```ts
 * encodeTrackerFailure('unregistered torrent') // d14:failure reason20:unregistered torrente
 * ```
 */
export function encodeTrackerFailure(reason: string, options: { retryIn?: number | 'never' } = {}): Uint8Array {
  const writer = new ResponseWriter(32 + reason.length * 3)
  writer.ascii('d').text('failure reason', reason)
  if (options.retryIn === 'never') writer.text('retry in', 'never')
  else writer.integer('retry in', options.retryIn)
  return writer.ascii('e').finish()
}

/**
 * Writes a scrape response (BEP 48): `files` keyed by the raw infohashes.
 *
 * @param files - the counts of each swarm asked about that the tracker knows
 * @param options - `minRequestInterval`, sent as `flags.min_request_interval`
 * @returns the bencoded body
 * @throws RangeError for an infohash that is not 20 bytes or a count that is not a non-negative safe integer
 */
export function encodeScrapeResponse(
  files: readonly ScrapeFile[],
  options: { minRequestInterval?: number } = {},
): Uint8Array {
  const entries = new Map<Uint8Array, BencodeInput>()
  const seen = new Set<string>()
  for (const file of files) {
    if (file.infohash.length !== TRACKER_INFOHASH_LENGTH) throw new RangeError('a scrape infohash is 20 bytes')
    const key = String.fromCharCode(...file.infohash)
    if (seen.has(key)) continue
    seen.add(key)
    for (const count of [file.complete, file.incomplete, file.downloaded]) {
      if (!Number.isSafeInteger(count) || count < 0) throw new RangeError('scrape counts are non-negative integers')
    }
    entries.set(file.infohash, { complete: file.complete, downloaded: file.downloaded, incomplete: file.incomplete })
  }
  const flags =
    options.minRequestInterval === undefined ? undefined : { min_request_interval: options.minRequestInterval }
  return encodeBencode({ files: entries, flags })
}

/** Text of a message field: lenient UTF-8, cut to the limit. */
function message(value: BencodeValue | undefined, field: string): string | undefined {
  if (value === undefined) return undefined
  if (!(value instanceof Uint8Array)) throw new WireError('TRACKER_INVALID_FIELD', `${field} must be a byte string`)
  const text = lenientUtf8.decode(value.subarray(0, TRACKER_LIMITS.maxMessageLength * 4))
  return text.length > TRACKER_LIMITS.maxMessageLength ? text.slice(0, TRACKER_LIMITS.maxMessageLength) : text
}

function count(value: BencodeValue | undefined, field: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || value < 0) {
    throw new WireError('TRACKER_INVALID_FIELD', `${field} must be a non-negative integer`)
  }
  return value
}

function failureOf(dict: BencodeDict): TrackerFailure | undefined {
  const reason = message(dict['failure reason'], 'failure reason')
  if (reason === undefined) return undefined
  const retry = dict['retry in']
  let retryIn: number | 'never' | undefined
  if (typeof retry === 'number' && retry >= 0) retryIn = retry
  else if (retry instanceof Uint8Array && lenientUtf8.decode(retry) === 'never') retryIn = 'never'
  return { kind: 'failure', reason, ...(retryIn !== undefined ? { retryIn } : {}) }
}

function limitsOf(options: TrackerResponseOptions): { maxBytes: number; maxPeers: number } {
  return {
    maxBytes: options.maxBytes ?? TRACKER_LIMITS.maxResponseBytes,
    maxPeers: options.maxPeers ?? TRACKER_LIMITS.maxPeers,
  }
}

function topDict(bytes: Uint8Array, maxBytes: number, maxPeers: number): BencodeDict {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  if (bytes.length > maxBytes) {
    throw new WireError('TRACKER_TOO_LARGE', `a response of ${bytes.length} bytes is over the limit of ${maxBytes}`)
  }
  // A BEP 3 peer list holds 3 entries of 2 values per peer: room for maxPeers of them.
  const value = decodeBencode(bytes, { maxBytes, maxDepth: 4, maxItems: maxPeers * 8 + 256 })
  if (typeof value !== 'object' || value instanceof Uint8Array || Array.isArray(value)) {
    throw new WireError('TRACKER_MALFORMED', 'a tracker response must be a dictionary')
  }
  return value
}

/** The peers of a BEP 3 list of dictionaries; entries without an IP literal (or a v3 onion host) and a port are left out. */
function dictionaryPeers(list: BencodeValue[], maxPeers: number): TrackerPeer[] {
  if (list.length > maxPeers) throw tooManyPeers(list.length, maxPeers)
  const peers: TrackerPeer[] = []
  for (const entry of list) {
    if (typeof entry !== 'object' || entry instanceof Uint8Array || Array.isArray(entry)) continue
    const ip = entry.ip
    const port = entry.port
    if (!(ip instanceof Uint8Array) || typeof port !== 'number' || port < 1 || port > 0xffff) continue
    const text = lenientUtf8.decode(ip)
    const address = parseIp(text)
    const onion = address === undefined && isOnionHost(text.toLowerCase()) ? text.toLowerCase() : undefined
    if (address === undefined && onion === undefined) continue
    const peerId = entry['peer id']
    peers.push({
      host: onion ?? formatIp(address as Uint8Array),
      port,
      ...(peerId instanceof Uint8Array && peerId.length === PEER_ID_LENGTH ? { peerId: peerId.slice() } : {}),
    })
  }
  return peers
}

/**
 * Reads an announce response: the peers of `peers` (compact, or a BEP 3
 * list of dictionaries whose entries without an IP literal (or a v3 onion
 * host, which only a proxy resolves) and a port are left out: a client
 * resolves no host names a tracker hands it) and of
 * `peers6`, the counts, intervals and messages, or the tracker's failure.
 * Texts are read as UTF-8 (bad sequences replaced) and cut to
 * {@link TRACKER_LIMITS}.maxMessageLength characters.
 *
 * @param bytes - the HTTP body
 * @param options - size and peer limits
 * @returns the reply or the failure
 * @throws {@link WireError} `BENCODE_*` for bytes that are not canonical bencode,
 *   `TRACKER_MALFORMED` for a body that is not a dictionary or a compact string of
 *   the wrong length, `TRACKER_INVALID_FIELD` for a field of the wrong type (or no
 *   `interval`), `TRACKER_TOO_LARGE` over a limit
 *
 * @example
 * ```ts
 * const reply = decodeAnnounceResponse(body)
 * if (reply.kind === 'failure') console.warn(reply.reason)
 * else for (const peer of reply.peers) dial(peer.host, peer.port)
 * ```
 */
export function decodeAnnounceResponse(
  bytes: Uint8Array,
  options: TrackerResponseOptions = {},
): AnnounceReply | TrackerFailure {
  const { maxBytes, maxPeers } = limitsOf(options)
  const dict = topDict(bytes, maxBytes, maxPeers)
  const failure = failureOf(dict)
  if (failure !== undefined) return failure
  const interval = count(dict.interval, 'interval')
  if (interval === undefined) throw new WireError('TRACKER_INVALID_FIELD', 'interval must be present')
  const peersValue = dict.peers
  let peers: TrackerPeer[]
  if (peersValue === undefined) peers = []
  else if (peersValue instanceof Uint8Array) peers = decodeTrackerPeers(peersValue, 4, maxPeers)
  else if (Array.isArray(peersValue)) peers = dictionaryPeers(peersValue, maxPeers)
  else throw new WireError('TRACKER_INVALID_FIELD', 'peers must be a byte string or a list')
  const peers6Value = dict.peers6
  if (peers6Value !== undefined) {
    if (!(peers6Value instanceof Uint8Array))
      throw new WireError('TRACKER_INVALID_FIELD', 'peers6 must be a byte string')
    const room = maxPeers - peers.length
    if (peers6Value.length / COMPACT_IPV6_LENGTH > room) {
      throw tooManyPeers(peers.length + Math.floor(peers6Value.length / COMPACT_IPV6_LENGTH), maxPeers)
    }
    peers = peers.concat(decodeTrackerPeers(peers6Value, 6))
  }
  const trackerId = dict['tracker id']
  if (trackerId !== undefined && !(trackerId instanceof Uint8Array)) {
    throw new WireError('TRACKER_INVALID_FIELD', 'tracker id must be a byte string')
  }
  if (trackerId !== undefined && trackerId.length > TRACKER_LIMITS.maxFieldBytes) {
    throw new WireError('TRACKER_TOO_LARGE', `tracker id is longer than ${TRACKER_LIMITS.maxFieldBytes} bytes`)
  }
  const externalIp = dict['external ip']
  const external =
    externalIp instanceof Uint8Array && (externalIp.length === 4 || externalIp.length === 16)
      ? formatIp(externalIp)
      : undefined
  const minInterval = count(dict['min interval'], 'min interval')
  const complete = count(dict.complete, 'complete')
  const incomplete = count(dict.incomplete, 'incomplete')
  const downloaded = count(dict.downloaded, 'downloaded')
  const warning = message(dict['warning message'], 'warning message')
  return {
    kind: 'announce',
    interval,
    peers,
    ...(minInterval !== undefined ? { minInterval } : {}),
    ...(complete !== undefined ? { complete } : {}),
    ...(incomplete !== undefined ? { incomplete } : {}),
    ...(downloaded !== undefined ? { downloaded } : {}),
    ...(trackerId !== undefined ? { trackerId: trackerId.slice() } : {}),
    ...(warning !== undefined ? { warning } : {}),
    ...(external !== undefined ? { externalIp: external } : {}),
  }
}

/**
 * Reads a scrape response (BEP 48), or the tracker's failure. `files` is
 * keyed by raw 20-byte infohashes; entries with another key length are
 * refused.
 *
 * @param bytes - the HTTP body
 * @param options - `maxBytes`
 * @returns the reply or the failure
 * @throws {@link WireError} `BENCODE_*` for bytes that are not canonical bencode,
 *   `TRACKER_MALFORMED` for a body that is not a dictionary,
 *   `TRACKER_INVALID_FIELD` for a wrong key or count, `TRACKER_TOO_LARGE` over a limit
 */
export function decodeScrapeResponse(
  bytes: Uint8Array,
  options: TrackerResponseOptions = {},
): ScrapeReply | TrackerFailure {
  const { maxBytes } = limitsOf(options)
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  if (bytes.length > maxBytes) {
    throw new WireError('TRACKER_TOO_LARGE', `a response of ${bytes.length} bytes is over the limit of ${maxBytes}`)
  }
  const limits = { maxBytes, maxDepth: 4, maxItems: TRACKER_LIMITS.maxScrapeInfohashes * 8 + 256 }
  let top: ReturnType<typeof decodeBencodeEntries>
  try {
    top = decodeBencodeEntries(bytes, limits)
  } catch (err) {
    if (err instanceof WireError && err.code === 'BENCODE_UNEXPECTED_BYTE' && bytes[0] !== 0x64) {
      throw new WireError('TRACKER_MALFORMED', 'a tracker response must be a dictionary')
    }
    throw err
  }
  const fields = new Map(top.map((entry) => [lenientUtf8.decode(entry.key), entry.value]))
  const reasonBytes = fields.get('failure reason')
  if (reasonBytes !== undefined) {
    const dict: BencodeDict = Object.create(null)
    dict['failure reason'] = decodeBencode(reasonBytes, limits)
    const retry = fields.get('retry in')
    if (retry !== undefined) dict['retry in'] = decodeBencode(retry, limits)
    return failureOf(dict) as TrackerFailure
  }
  const files: ScrapeFile[] = []
  const filesBytes = fields.get('files')
  if (filesBytes !== undefined) {
    if (filesBytes[0] !== 0x64) throw new WireError('TRACKER_INVALID_FIELD', 'files must be a dictionary')
    const entries = decodeBencodeEntries(filesBytes, limits)
    if (entries.length > TRACKER_LIMITS.maxScrapeInfohashes) {
      throw new WireError('TRACKER_TOO_LARGE', `more than ${TRACKER_LIMITS.maxScrapeInfohashes} files in a scrape`)
    }
    for (const { key, value } of entries) {
      if (key.length !== TRACKER_INFOHASH_LENGTH) {
        throw new WireError('TRACKER_INVALID_FIELD', `a files key must be a 20-byte infohash, not ${key.length} bytes`)
      }
      const stats = decodeBencode(value, limits)
      if (typeof stats !== 'object' || stats instanceof Uint8Array || Array.isArray(stats)) {
        throw new WireError('TRACKER_INVALID_FIELD', 'a files entry must be a dictionary')
      }
      files.push({
        infohash: key.slice(),
        complete: count(stats.complete, 'complete') ?? 0,
        incomplete: count(stats.incomplete, 'incomplete') ?? 0,
        downloaded: count(stats.downloaded, 'downloaded') ?? 0,
      })
    }
  }
  const flagsBytes = fields.get('flags')
  const flags = flagsBytes === undefined ? undefined : decodeBencode(flagsBytes, limits)
  const minRequestInterval =
    flags !== undefined && typeof flags === 'object' && !(flags instanceof Uint8Array) && !Array.isArray(flags)
      ? count(flags.min_request_interval, 'min_request_interval')
      : undefined
  return { kind: 'scrape', files, ...(minRequestInterval !== undefined ? { minRequestInterval } : {}) }
}
