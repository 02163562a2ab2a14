import type { PeerAddress } from './address.js'
import { ID_LENGTH } from './id.js'
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './ip.js'

/** A DHT node: its 20-byte id and the UDP address it answers on. */
export interface NodeContact extends PeerAddress {
  /** The node's 20-byte id. */
  readonly id: Uint8Array
}

/** IP family of a DHT: `4` (BEP 5 `nodes`, 26-byte node info) or `6` (BEP 32 `nodes6`, 38 bytes). */
export type IpFamily = 4 | 6

/** Bytes of compact peer info: 6 for IPv4, 18 for IPv6 (address then big-endian port). */
export function compactPeerLength(family: IpFamily): number {
  return family === 4 ? 6 : 18
}

/** Bytes of compact node info: 26 for IPv4, 38 for IPv6 (id, address, port). */
export function compactNodeLength(family: IpFamily): number {
  return ID_LENGTH + compactPeerLength(family)
}

/**
 * Encodes an address as BEP 5 "compact IP-address/port info" (6 bytes for
 * IPv4, 18 for IPv6).
 *
 * @param peer - an address whose host is an IP address
 * @returns the compact bytes
 * @throws TypeError if the host is not an IP address, RangeError for a bad port
 *
 * @example
 * ```ts
 * encodeCompactPeer({ host: '127.0.0.1', port: 6881 }) // 7f 00 00 01 1a e1
 * ```
 */
export function encodeCompactPeer(peer: PeerAddress): Uint8Array {
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
 * Decodes compact peer info. A port of 0 is not a usable peer.
 *
 * @param bytes - 6 or 18 bytes
 * @returns the address, or undefined if the length is neither or the port is 0
 *
 * @example
 * ```ts
 * decodeCompactPeer(new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1])) // { host: '127.0.0.1', port: 6881 }
 * ```
 */
export function decodeCompactPeer(bytes: Uint8Array): PeerAddress | undefined {
  if (bytes.length !== 6 && bytes.length !== 18) return undefined
  const ipLength = bytes.length - 2
  const port = ((bytes[ipLength] as number) << 8) | (bytes[ipLength + 1] as number)
  if (port === 0) return undefined
  return { host: ipLength === 4 ? formatIpv4(bytes) : formatIpv6(bytes), port }
}

/**
 * Encodes nodes as BEP 5 compact node info (`nodes`, 26 bytes each) or BEP 32
 * `nodes6` (38 bytes each). Nodes of the other family are left out.
 *
 * @param nodes - contacts with IP hosts
 * @param family - which family to write
 * @returns the concatenated entries
 *
 * @example
 * ```ts
 * encodeCompactNodes([{ id, host: '10.0.0.1', port: 6881 }], 4).length // 26
 * ```
 */
export function encodeCompactNodes(nodes: readonly NodeContact[], family: IpFamily): Uint8Array {
  const size = compactNodeLength(family)
  const out = new Uint8Array(nodes.length * size)
  let offset = 0
  for (const node of nodes) {
    const ip = family === 4 ? parseIpv4(node.host) : parseIpv6(node.host)
    if (ip === undefined || node.id.length !== ID_LENGTH) continue
    out.set(node.id, offset)
    out.set(ip, offset + ID_LENGTH)
    out[offset + size - 2] = node.port >> 8
    out[offset + size - 1] = node.port & 0xff
    offset += size
  }
  return offset === out.length ? out : out.slice(0, offset)
}

/**
 * Decodes compact node info. A field whose length is not a whole number of
 * entries is refused as a whole (it is not what any correct node sends);
 * entries with port 0 are skipped. Ids are copied, so the result does not
 * keep the packet alive.
 *
 * @param bytes - the `nodes` or `nodes6` value
 * @param family - `4` for 26-byte entries, `6` for 38-byte entries
 * @returns the contacts, or undefined if the length is not a multiple of the entry size
 *
 * @example
 * ```ts
 * decodeCompactNodes(encodeCompactNodes(nodes, 4), 4)
 * ```
 */
export function decodeCompactNodes(bytes: Uint8Array, family: IpFamily): NodeContact[] | undefined {
  const size = compactNodeLength(family)
  if (bytes.length % size !== 0) return undefined
  const nodes: NodeContact[] = []
  for (let offset = 0; offset < bytes.length; offset += size) {
    const port = ((bytes[offset + size - 2] as number) << 8) | (bytes[offset + size - 1] as number)
    if (port === 0) continue
    const id = bytes.slice(offset, offset + ID_LENGTH)
    const host = family === 4 ? formatIpv4(bytes, offset + ID_LENGTH) : formatIpv6(bytes, offset + ID_LENGTH)
    nodes.push({ id, host, port })
  }
  return nodes
}
