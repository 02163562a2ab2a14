import { assertInteger } from '../assert.js'
import { WireError } from '../errors.js'
import { formatIp, parseIp } from '../ip.js'
import type { TrackerPeer } from './types.js'

/** Bytes of one compact IPv4 peer (BEP 23): 4 address bytes, then the port big-endian. */
export const COMPACT_IPV4_LENGTH = 6
/** Bytes of one compact IPv6 peer (BEP 7): 16 address bytes, then the port big-endian. */
export const COMPACT_IPV6_LENGTH = 18

/**
 * Compact peers as trackers send them (BEP 23, BEP 7), strictly: unlike the
 * generic `decodeCompactPeers` of this package (which a DHT answer uses, and
 * which gives `undefined` for input that does not fit), these throw
 * `TRACKER_MALFORMED`, so a bad tracker answer fails as one.
 * @internal
 * @module
 */

/**
 * The compact form of one peer: 6 bytes for an IPv4 address, 18 for IPv6.
 *
 * @param peer - an IP literal (not a host name) and a port
 * @returns 6 or 18 bytes
 * @throws RangeError if `peer.host` is not an IP literal or `peer.port` is not an integer in 0..65535
 *
 * @example
 * ```ts
 * encodeTrackerPeer({ host: '192.0.2.7', port: 6881 }) // c0 00 02 07 1a e1
 * ```
 */
export function encodeTrackerPeer(peer: TrackerPeer): Uint8Array {
  const address = parseIp(peer.host)
  if (address === undefined) throw new RangeError(`peer.host must be an IP literal, got ${JSON.stringify(peer.host)}`)
  assertInteger(peer.port, 'peer.port', { max: 0xffff })
  const out = new Uint8Array(address.length + 2)
  out.set(address)
  out[address.length] = peer.port >> 8
  out[address.length + 1] = peer.port & 0xff
  return out
}

/**
 * The compact form of a list of peers of one address family, concatenated:
 * the value of `peers` (IPv4) or `peers6` (IPv6) in a tracker response.
 *
 * @param peers - peers whose hosts are all IPv4 (`family` 4) or all IPv6 (`family` 6)
 * @param family - 4 or 6
 * @returns 6 or 18 bytes per peer
 * @throws RangeError if a peer is not of `family` or is not valid for {@link encodeTrackerPeer}
 */
export function encodeTrackerPeers(peers: readonly TrackerPeer[], family: 4 | 6): Uint8Array {
  const size = family === 4 ? COMPACT_IPV4_LENGTH : COMPACT_IPV6_LENGTH
  const out = new Uint8Array(peers.length * size)
  peers.forEach((peer, i) => {
    const one = encodeTrackerPeer(peer)
    if (one.length !== size) throw new RangeError(`peer ${peer.host} is not an IPv${family} address`)
    out.set(one, i * size)
  })
  return out
}

/**
 * Reads one compact peer.
 *
 * @param bytes - exactly 6 (IPv4) or 18 (IPv6) bytes
 * @returns the peer, its host as text
 * @throws {@link WireError} `TRACKER_MALFORMED` for any other length
 */
export function decodeTrackerPeer(bytes: Uint8Array): TrackerPeer {
  if (bytes.length !== COMPACT_IPV4_LENGTH && bytes.length !== COMPACT_IPV6_LENGTH) {
    throw new WireError('TRACKER_MALFORMED', `a compact peer is 6 or 18 bytes, got ${bytes.length}`)
  }
  const portAt = bytes.length - 2
  return {
    host: formatIp(bytes.subarray(0, portAt)),
    port: ((bytes[portAt] as number) << 8) | (bytes[portAt + 1] as number),
  }
}

/**
 * Reads a compact peer list of one address family (`peers` or `peers6` of a
 * tracker response, the peers of a UDP announce response).
 *
 * @param bytes - 6 (IPv4) or 18 (IPv6) bytes per peer
 * @param family - 4 or 6
 * @param maxPeers - most peers accepted; default unlimited
 * @returns the peers in the order given
 * @throws {@link WireError} `TRACKER_MALFORMED` if the length is not a multiple of the
 *   peer size, `TRACKER_TOO_LARGE` for more than `maxPeers` peers
 *
 * @example
 * ```ts
 * decodeTrackerPeers(response.peers, 4) // [{ host: '192.0.2.7', port: 6881 }, ...]
 * ```
 */
export function decodeTrackerPeers(
  bytes: Uint8Array,
  family: 4 | 6,
  maxPeers = Number.POSITIVE_INFINITY,
): TrackerPeer[] {
  const size = family === 4 ? COMPACT_IPV4_LENGTH : COMPACT_IPV6_LENGTH
  if (bytes.length % size !== 0) {
    throw new WireError(
      'TRACKER_MALFORMED',
      `a compact IPv${family} peer list is a multiple of ${size} bytes, got ${bytes.length}`,
    )
  }
  const count = bytes.length / size
  if (count > maxPeers) throw tooManyPeers(count, maxPeers)
  const peers: TrackerPeer[] = []
  for (let at = 0; at < bytes.length; at += size) peers.push(decodeTrackerPeer(bytes.subarray(at, at + size)))
  return peers
}

/** @internal */
export function tooManyPeers(count: number, limit: number): WireError {
  return new WireError('TRACKER_TOO_LARGE', `${count} peers is over the limit of ${limit}`)
}
