/**
 * Compact node info (BEP 5 `nodes`, BEP 32 `nodes6`): a node's id, then its
 * compact address. Compact peer info itself is a byte format of
 * `@mycel/wire`, re-exported here as it always was.
 * @module
 */

import { compactPeerLength, type IpFamily } from '@mycel/wire'
import type { PeerAddress } from './address.js'
import { ID_LENGTH } from './id.js'
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './ip.js'

export { compactPeerLength, decodeCompactPeer, encodeCompactPeer, type IpFamily } from '@mycel/wire'

/** A DHT node: its 20-byte id and the UDP address it answers on. */
export interface NodeContact extends PeerAddress {
  /** The node's 20-byte id. */
  readonly id: Uint8Array
}

/** Bytes of compact node info: 26 for IPv4, 38 for IPv6 (id, address, port). */
export function compactNodeLength(family: IpFamily): number {
  return ID_LENGTH + compactPeerLength(family)
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
