/**
 * BEP 42: node ids tied to the node's IP address, so that one machine cannot
 * choose ids next to a key it wants to control. The first 21 bits of an id
 * are the top bits of a CRC-32C over the masked address and three random
 * bits, and those three bits are the low bits of the id's last byte.
 * @module
 */
import { randomBytes } from '@mycel/wire/crypto'
import { ID_LENGTH } from './id.js'
import { parseIpv4, parseIpv6 } from './ip.js'

/** Bits of the address kept before hashing: fewer of the high bits, so neighbours in a network share few ids. */
const V4_MASK = [0x03, 0x0f, 0x3f, 0xff]
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff]

/** CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), one table of 256 entries. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    table[n] = c
  }
  return table
})()

/** @internal */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** The 4 or 16 bytes of an IP address given as text or bytes, or undefined. */
function ipBytes(ip: string | Uint8Array): Uint8Array | undefined {
  if (ip instanceof Uint8Array) return ip.length === 4 || ip.length === 16 ? ip : undefined
  return parseIpv4(ip) ?? parseIpv6(ip)
}

/** The CRC-32C of the masked address with `r` (0 to 7) in its top bits. */
function addressHash(ip: Uint8Array, r: number): number {
  const mask = ip.length === 4 ? V4_MASK : V6_MASK
  const masked = new Uint8Array(mask.length)
  for (let i = 0; i < mask.length; i++) masked[i] = (ip[i] as number) & (mask[i] as number)
  masked[0] = (masked[0] as number) | (r << 5)
  return crc32c(masked)
}

/**
 * A random node id that follows BEP 42 for an IP address: what a node should
 * use once it knows the address the rest of the network sees (see
 * `DhtNode.externalAddress`).
 *
 * @param ip - the node's public address, IPv4 or IPv6 (text or bytes)
 * @param random - source of randomness (tests pass a fixed one)
 * @returns a 20-byte id
 * @throws TypeError if `ip` is not an IP address
 *
 * @example
 * ```ts
 * const id = secureNodeId('203.0.113.7')
 * isSecureNodeId(id, '203.0.113.7') // true
 * ```
 */
export function secureNodeId(
  ip: string | Uint8Array,
  random: (length: number) => Uint8Array = randomBytes,
): Uint8Array {
  const address = ipBytes(ip)
  if (address === undefined) throw new TypeError(`not an IP address: ${String(ip)}`)
  const id = random(ID_LENGTH).slice(0, ID_LENGTH)
  if (id.length !== ID_LENGTH) throw new RangeError(`random must return ${ID_LENGTH} bytes`)
  const crc = addressHash(address, (id[19] as number) & 7)
  id[0] = crc >>> 24
  id[1] = (crc >>> 16) & 0xff
  id[2] = ((crc >>> 8) & 0xf8) | ((id[2] as number) & 0x07)
  return id
}

/**
 * Whether a node id follows BEP 42 for the address it was seen at.
 *
 * @param id - a 20-byte node id
 * @param ip - the address the node's messages came from (text or bytes)
 * @returns true if the id's first 21 bits are those the address gives
 *
 * @example
 * ```ts
 * isSecureNodeId(randomNodeId(), '203.0.113.7') // almost always false
 * ```
 */
export function isSecureNodeId(id: Uint8Array, ip: string | Uint8Array): boolean {
  const address = ipBytes(ip)
  if (address === undefined || id.length !== ID_LENGTH) return false
  const crc = addressHash(address, (id[19] as number) & 7)
  return id[0] === crc >>> 24 && id[1] === ((crc >>> 16) & 0xff) && ((id[2] as number) & 0xf8) === ((crc >>> 8) & 0xf8)
}

/**
 * Whether BEP 42 leaves an address out: local networks, where ids cannot be
 * checked against an address everyone sees. IPv4 as BEP 42 lists them
 * (10/8, 172.16/12, 192.168/16, 169.254/16, 127/8); for IPv6, loopback,
 * unique-local (fc00::/7) and link-local (fe80::/10).
 * @internal
 */
export function isExemptAddress(ip: string | Uint8Array): boolean {
  const a = ipBytes(ip)
  if (a === undefined) return false
  const [b0, b1] = [a[0] as number, a[1] as number]
  if (a.length === 4) {
    return (
      b0 === 10 ||
      b0 === 127 ||
      (b0 === 172 && (b1 & 0xf0) === 16) ||
      (b0 === 192 && b1 === 168) ||
      (b0 === 169 && b1 === 254)
    )
  }
  const loopback = a.every((byte, i) => byte === (i === 15 ? 1 : 0))
  return loopback || (b0 & 0xfe) === 0xfc || (b0 === 0xfe && (b1 & 0xc0) === 0x80)
}
