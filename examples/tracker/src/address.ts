import { formatIp, isIpv4Mapped, parseIp } from '@mycel/wire'

/** Where a request came from, as the tracker keeps and counts it. */
export interface PeerAddress {
  /** 4 bytes for IPv4 (IPv4-mapped IPv6 addresses are read as IPv4), 16 for IPv6. */
  readonly ip: Uint8Array
  /** The address family. */
  readonly family: 4 | 6
  /** The text form, for logs. */
  readonly text: string
  /**
   * What rate limits count under: the IPv4 address, or the /64 prefix of an
   * IPv6 address (one subscriber usually holds a whole /64).
   */
  readonly limitKey: string
}

/**
 * Reads the address a socket reports (`127.0.0.1`, `::ffff:127.0.0.1`,
 * `2001:db8::1`, `fe80::1%eth0`): a zone id is dropped, an IPv4-mapped
 * address becomes IPv4.
 *
 * @param text - the socket's remote address
 * @returns the address, or `undefined` if `text` is not an IP literal
 */
export function peerAddress(text: string): PeerAddress | undefined {
  const zone = text.indexOf('%')
  const bytes = parseIp(zone < 0 ? text : text.slice(0, zone))
  if (bytes === undefined) return undefined
  const ip = isIpv4Mapped(bytes) ? bytes.slice(12) : bytes
  if (ip.length === 4) {
    const v4 = formatIp(ip)
    return { ip, family: 4, text: v4, limitKey: v4 }
  }
  const prefix = new Uint8Array(16)
  prefix.set(ip.subarray(0, 8))
  return { ip, family: 6, text: formatIp(ip), limitKey: `${formatIp(prefix)}/64` }
}

/**
 * The client behind a reverse proxy: the last `X-Forwarded-For` entry (the one the proxy added).
 *
 * @param header - the header's value, if the request has one
 * @returns the address, or `undefined` without a header or with one that does not end in an IP literal
 */
export function forwardedAddress(header: string | undefined): PeerAddress | undefined {
  if (header === undefined) return undefined
  return peerAddress(header.slice(header.lastIndexOf(',') + 1).trim())
}

/** Connections open per address (`PeerAddress.limitKey`), each address up to a bound. */
export class OpenPerAddress {
  private readonly counts = new Map<string, number>()

  /** @param max - connections one address may hold at once */
  constructor(private readonly max: number) {}

  /**
   * Counts a new connection of `key`.
   *
   * @param key - the address's `limitKey`
   * @returns false (and counts nothing) when `key` holds `max` already
   */
  open(key: string): boolean {
    const count = this.counts.get(key) ?? 0
    if (count >= this.max) return false
    this.counts.set(key, count + 1)
    return true
  }

  /**
   * A connection {@link open} counted has closed.
   *
   * @param key - the address's `limitKey`
   */
  closed(key: string): void {
    const left = (this.counts.get(key) ?? 1) - 1
    if (left <= 0) this.counts.delete(key)
    else this.counts.set(key, left)
  }
}

/**
 * The compact form of a peer (BEP 23: 6 bytes; BEP 7: 18 bytes) as a string
 * of one character per byte: the key of the peer in its swarm, and the text
 * that is copied into responses as it is.
 *
 * @param ip - 4 or 16 bytes
 * @param port - 1..65535
 * @returns 6 or 18 characters
 */
export function compactKey(ip: Uint8Array, port: number): string {
  return String.fromCharCode(...ip, port >> 8, port & 0xff)
}
