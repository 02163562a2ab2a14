import { fromHex, MESSAGE_LIMITS, toHex } from '@mycel/wire'
import { assertBytes } from '@mycel/wire/assert'
import { PiecesError } from './errors.js'
import { type HashProvider, resolveHashProvider } from './hash/provider.js'
import { HASH_SIZE } from './limits.js'

/** What a magnet link says: the share's infohash, and optionally a name and peers to try. */
export interface MagnetLink {
  /** The v2 infohash (32 bytes). */
  readonly infohash: Uint8Array
  /** Display name (`dn`). */
  readonly name?: string
  /** Peer addresses (`x.pe`): `host:port`, IPv6 as `[addr]:port`. */
  readonly peers: readonly string[]
  /**
   * Tracker URLs (`tr`), in the order given, without duplicates. They are
   * kept as text: which of them a client can announce to (`http:`, `https:`,
   * `udp:`) is the client's to decide.
   */
  readonly trackers: readonly string[]
}

/** Bounds on magnet links read by {@link parseMagnet}. */
export const MAGNET_LIMITS = Object.freeze({
  /** Longest magnet link, in characters. */
  maxLength: 16 * 1024,
  /** Longest display name, in UTF-16 code units. */
  maxNameLength: 1024,
  /** Most `x.pe` peer addresses. */
  maxPeers: MESSAGE_LIMITS.maxAddresses,
  /** Longest peer address. */
  maxPeerLength: MESSAGE_LIMITS.maxAddressLength,
  /** Most `tr` tracker URLs kept (later ones are ignored). */
  maxTrackers: 64,
  /** Longest `tr` tracker URL kept (a longer one is ignored). */
  maxTrackerLength: 2048,
})

/** `urn:btmh:` + multihash prefix of SHA-256 (code 0x12, 32 bytes). */
const BTMH_PREFIX = 'urn:btmh:1220'
const HEX_INFOHASH = /^[0-9a-fA-F]{64}$/
/** A BitTorrent v1 infohash: SHA-1, as 40 hex digits (or 32 base32 characters in a `urn:btih:`). */
const V1_INFOHASH = /^(?:[0-9a-fA-F]{40}|[A-Za-z2-7]{32})$/

function malformed(why: string): PiecesError {
  return new PiecesError('MAGNET_MALFORMED', `not a valid mycel magnet link: ${why}`)
}

/** Why a BitTorrent v1 link cannot be fetched, and what can. */
const V1_REASON =
  'mycel addresses a share by its BitTorrent v2 infohash, the SHA-256 of an info dictionary that holds each ' +
  "file's SHA-256 Merkle root; a v1 infohash is the SHA-1 of a different dictionary (SHA-1 piece hashes), so " +
  'the v2 one cannot be derived from it. Use a v2 magnet link (xt=urn:btmh:1220...), a v2 infohash of 64 hex ' +
  'digits, or the .torrent file of a v2 or hybrid torrent'

function v1Only(what: string): PiecesError {
  return new PiecesError('MAGNET_V1_ONLY', `${what} is BitTorrent v1 only: ${V1_REASON}`)
}

/** Whether a query key names an exact topic: `xt`, or `xt.1`, `xt.2`, ... (BEP 9 lists several so). */
function isExactTopic(key: string): boolean {
  return key === 'xt' || /^xt\.\d{1,3}$/.test(key)
}

/**
 * Checks a `host:port` peer address and returns it in canonical form: a DNS
 * name or IPv4 address, or an IPv6 address in brackets, then a port from 1
 * to 65535.
 */
function canonicalPeer(text: string): string | undefined {
  if (text.length > MAGNET_LIMITS.maxPeerLength) return undefined
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(text)
  if (match === null) return undefined
  const port = Number(match[3])
  if (port < 1 || port > 65535 || (match[3] as string).startsWith('0')) return undefined
  const ipv6 = match[1]
  if (ipv6 !== undefined) return isIpv6(ipv6) ? `[${ipv6.toLowerCase()}]:${port}` : undefined
  const host = match[2] as string
  if (host.length > 253 || !host.split('.').every((label) => /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/.test(label))) {
    return undefined
  }
  return `${host.toLowerCase()}:${port}`
}

/** A loose but safe IPv6 check: 8 groups, or fewer with one `::`, an IPv4 tail allowed. */
function isIpv6(text: string): boolean {
  let rest = text
  let groups = 0
  const v4 = /(?:^|:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(rest)
  if (v4) {
    if (!(v4[1] as string).split('.').every((part) => Number(part) <= 255)) return false
    rest = rest.slice(0, rest.length - (v4[1] as string).length)
    if (rest.endsWith(':') && !rest.endsWith('::')) rest = rest.slice(0, -1)
    groups += 2
  }
  const halves = rest.split('::')
  if (halves.length > 2) return false
  for (const half of halves) {
    if (half === '') continue
    for (const group of half.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false
      groups++
    }
  }
  return halves.length === 2 ? groups < 8 : groups === 8
}

/**
 * Writes a magnet link: `magnet:?xt=urn:btmh:1220<hex>`, then `dn=<name>`,
 * one `tr=<url>` per tracker and one `x.pe=<host:port>` per peer when given.
 *
 * @param link - infohash, and optionally name, trackers and peers
 * @returns the link
 * @throws RangeError if the infohash is not 32 bytes, TypeError if a peer address is not valid
 *
 * @example
 * ```ts
 * formatMagnet({ infohash, name: 'photos', peers: ['203.0.113.5:4001'] })
 * // 'magnet:?xt=urn:btmh:1220…&dn=photos&x.pe=203.0.113.5%3A4001'
 * ```
 */
export function formatMagnet(link: {
  infohash: Uint8Array
  name?: string
  peers?: readonly string[]
  trackers?: readonly string[]
}): string {
  assertBytes(link.infohash, 'infohash', HASH_SIZE)
  const params = new URLSearchParams()
  params.append('xt', `${BTMH_PREFIX}${toHex(link.infohash)}`)
  if (link.name !== undefined) params.append('dn', link.name)
  for (const tracker of link.trackers ?? []) {
    if (typeof tracker !== 'string' || tracker.trim() === '') throw new TypeError('a tracker must be a URL')
    params.append('tr', tracker)
  }
  for (const peer of link.peers ?? []) {
    const canonical = canonicalPeer(peer)
    if (canonical === undefined) throw new TypeError(`not a host:port peer address: ${JSON.stringify(peer)}`)
    params.append('x.pe', canonical)
  }
  // URLSearchParams escapes ':' in values; the urn reads better, and stays valid, without that.
  return `magnet:?${params.toString().replace(/^xt=urn%3Abtmh%3A/, 'xt=urn:btmh:')}`
}

/**
 * Reads a magnet link, or a bare 64-digit hex infohash. The link must carry
 * exactly one `xt=urn:btmh:1220<64 hex>` (a v2 SHA-256 infohash; `xt.1`,
 * `xt.2`, ... count as `xt`); other `xt` values (such as a hybrid's
 * `urn:btih:`) and unknown parameters are ignored. `x.pe` peers must be
 * valid `host:port` addresses. `tr` trackers are kept as given (trimmed,
 * without duplicates), at most {@link MAGNET_LIMITS}.maxTrackers of them, each
 * at most {@link MAGNET_LIMITS}.maxTrackerLength characters (others are ignored).
 *
 * @param text - the link
 * @returns infohash, name, peers and trackers
 * @throws {@link PiecesError} `MAGNET_V1_ONLY` for a BitTorrent v1 infohash (40 hex digits) or a magnet
 *   link with only `xt=urn:btih:` (v1 names a share by a SHA-1 that no v2 infohash can be derived from),
 *   `MAGNET_MALFORMED` for anything else
 *
 * @example
 * ```ts
 * const { infohash, name, peers } = parseMagnet(link)
 * ```
 */
export function parseMagnet(text: string): MagnetLink {
  if (typeof text !== 'string') throw new TypeError('a magnet link must be a string')
  const trimmed = text.trim()
  if (trimmed.length > MAGNET_LIMITS.maxLength) throw malformed(`longer than ${MAGNET_LIMITS.maxLength} characters`)
  if (HEX_INFOHASH.test(trimmed)) return { infohash: fromHex(trimmed) as Uint8Array, peers: [], trackers: [] }
  if (/^[0-9a-fA-F]{40}$/.test(trimmed)) throw v1Only('a 40-hex-digit infohash (SHA-1)')
  if (!/^magnet:\?/i.test(trimmed)) {
    throw malformed('it is neither a magnet link (magnet:?xt=urn:btmh:1220...) nor an infohash of 64 hex digits')
  }
  let params: URLSearchParams
  try {
    params = new URLSearchParams(trimmed.slice('magnet:?'.length))
  } catch {
    throw malformed('bad query string')
  }
  let infohash: Uint8Array | undefined
  let v1Topic = false
  let name: string | undefined
  const peers: string[] = []
  const trackers = new Set<string>()
  for (const [key, value] of params) {
    if (isExactTopic(key) && value.toLowerCase().startsWith('urn:btih:')) {
      v1Topic ||= V1_INFOHASH.test(value.slice('urn:btih:'.length))
    } else if (isExactTopic(key) && value.toLowerCase().startsWith('urn:btmh:')) {
      const hex = value.slice(BTMH_PREFIX.length)
      if (!value.toLowerCase().startsWith(BTMH_PREFIX) || !HEX_INFOHASH.test(hex)) {
        throw malformed('xt is not a SHA-256 multihash (urn:btmh:1220 and 64 hex digits)')
      }
      if (infohash !== undefined) throw malformed('more than one urn:btmh infohash')
      infohash = fromHex(hex)
    } else if (key === 'dn') {
      if (name !== undefined) throw malformed('more than one dn')
      if (value.length > MAGNET_LIMITS.maxNameLength) throw malformed('dn is too long')
      name = value
    } else if (key === 'x.pe') {
      const peer = canonicalPeer(value)
      if (peer === undefined) throw malformed(`x.pe ${JSON.stringify(value.slice(0, 64))} is not host:port`)
      if (peers.length >= MAGNET_LIMITS.maxPeers) throw malformed(`more than ${MAGNET_LIMITS.maxPeers} peers`)
      if (!peers.includes(peer)) peers.push(peer)
    } else if (key === 'tr') {
      const tracker = value.trim()
      if (
        tracker !== '' &&
        tracker.length <= MAGNET_LIMITS.maxTrackerLength &&
        trackers.size < MAGNET_LIMITS.maxTrackers
      ) {
        trackers.add(tracker)
      }
    }
  }
  if (infohash === undefined) {
    if (v1Topic) throw v1Only('this magnet link (xt=urn:btih:, with no xt=urn:btmh:)')
    throw malformed('no xt=urn:btmh:1220<infohash>')
  }
  return { infohash, ...(name !== undefined ? { name } : {}), peers, trackers: [...trackers] }
}

const DISCOVERY_PREFIX = new TextEncoder().encode('mycel/1 discovery')

/**
 * The key a share is announced under in the DHT: the first 20 bytes of
 * SHA-256(`"mycel/1 discovery"` || infohash). Peers that do not know the
 * infohash cannot find the swarm, and the DHT never sees the infohash.
 *
 * @param infohash - the share's infohash (32 bytes)
 * @param options - hash provider
 * @returns 20 bytes
 * @throws RangeError if the infohash is not 32 bytes
 *
 * @example
 * ```ts
 * dht.announce(discoveryKey(manifest.infohash), port)
 * ```
 */
export function discoveryKey(infohash: Uint8Array, options: { hash?: HashProvider } = {}): Uint8Array {
  assertBytes(infohash, 'infohash', HASH_SIZE)
  const input = new Uint8Array(DISCOVERY_PREFIX.length + HASH_SIZE)
  input.set(DISCOVERY_PREFIX, 0)
  input.set(infohash, DISCOVERY_PREFIX.length)
  return resolveHashProvider(options.hash).sha256(input).slice(0, 20)
}
