/**
 * Compact peer info: an IP address and a port in 6 bytes (IPv4) or 18 bytes
 * (IPv6), the port big-endian. The Mainline DHT carries peers this way
 * (BEP 5 `values`, BEP 42 `ip`), and so do trackers (BEP 23 `peers`, BEP 7
 * `peers6`, BEP 15 announce responses). This module knows nothing of either:
 * the DHT and tracker codecs build on it.
 * @module
 */

import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './ip.js'

/** A peer as compact info carries it: an IP address (canonical text) and a port. */
export interface CompactPeer {
  /** IPv4 dotted-quad or IPv6 text (RFC 5952 when decoded). */
  readonly host: string
  /** Port, 0-65535 (a decoded peer never has 0). */
  readonly port: number
}

/** An IP address family: `4` (6-byte compact peers) or `6` (18-byte compact peers). */
export type IpFamily = 4 | 6

/**
 * Bytes of one compact peer of a family.
 *
 * @param family - 4 or 6
 * @returns 6 for IPv4, 18 for IPv6 (the address, then the port big-endian)
 */
export function compactPeerLength(family: IpFamily): number {
  return family === 4 ? 6 : 18
}

/**
 * Encodes a peer as compact info (6 bytes for IPv4, 18 for IPv6).
 *
 * @param peer - an address whose host is an IP address (not a host name)
 * @returns the compact bytes
 * @throws TypeError if the host is not an IP address, RangeError for a port outside 0-65535
 *
 * @example
 * ```ts
 * encodeCompactPeer({ host: '127.0.0.1', port: 6881 }) // 7f 00 00 01 1a e1
 * ```
 */
export function encodeCompactPeer(peer: CompactPeer): Uint8Array {
  const ip = parseIpv4(peer.host) ?? parseIpv6(peer.host)
  if (ip === undefined) throw new TypeError(`not an IP address: ${peer.host}`)
  if (!Number.isInteger(peer.port) || peer.port < 0 || peer.port > 65535) throw new RangeError('port out of range')
  const out = new Uint8Array(ip.length + 2)
  out.set(ip)
  out[ip.length] = peer.port >> 8
  out[ip.length + 1] = peer.port & 0xff
  return out
}

/**
 * Decodes one compact peer. A port of 0 is not a usable peer.
 *
 * @param bytes - 6 or 18 bytes
 * @returns the peer, or undefined if the length is neither or the port is 0
 *
 * @example
 * ```ts
 * decodeCompactPeer(new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1])) // { host: '127.0.0.1', port: 6881 }
 * ```
 */
export function decodeCompactPeer(bytes: Uint8Array): CompactPeer | undefined {
  if (bytes.length !== 6 && bytes.length !== 18) return undefined
  const ipLength = bytes.length - 2
  const port = ((bytes[ipLength] as number) << 8) | (bytes[ipLength + 1] as number)
  if (port === 0) return undefined
  return { host: ipLength === 4 ? formatIpv4(bytes) : formatIpv6(bytes), port }
}

/**
 * Encodes peers of one family as one compact string (a tracker's `peers`
 * or `peers6`). Peers of the other family are left out.
 *
 * @param peers - peers whose hosts are IP addresses
 * @param family - which family to write
 * @returns 6 (IPv4) or 18 (IPv6) bytes per peer of that family
 * @throws TypeError if a host is not an IP address, RangeError for a port outside 0-65535
 *
 * @example
 * ```ts
 * encodeCompactPeers([{ host: '10.0.0.1', port: 6881 }, { host: '::1', port: 6881 }], 4).length // 6
 * ```
 */
export function encodeCompactPeers(peers: readonly CompactPeer[], family: IpFamily): Uint8Array {
  const size = compactPeerLength(family)
  const encoded = peers.map(encodeCompactPeer).filter((bytes) => bytes.length === size)
  const out = new Uint8Array(encoded.length * size)
  for (let i = 0; i < encoded.length; i++) out.set(encoded[i] as Uint8Array, i * size)
  return out
}

/**
 * Decodes a compact string of one family. A string whose length is not a
 * whole number of entries is refused as a whole (no correct sender writes
 * one); entries with port 0 are skipped.
 *
 * @param bytes - 6 (IPv4) or 18 (IPv6) bytes per peer
 * @param family - which family the string holds
 * @returns the peers in order, or undefined if the length is not a multiple of the entry size
 *
 * @example
 * ```ts
 * decodeCompactPeers(encodeCompactPeers(peers, 4), 4)
 * ```
 */
export function decodeCompactPeers(bytes: Uint8Array, family: IpFamily): CompactPeer[] | undefined {
  const size = compactPeerLength(family)
  if (bytes.length % size !== 0) return undefined
  const peers: CompactPeer[] = []
  for (let offset = 0; offset < bytes.length; offset += size) {
    const peer = decodeCompactPeer(bytes.subarray(offset, offset + size))
    if (peer !== undefined) peers.push(peer)
  }
  return peers
}
