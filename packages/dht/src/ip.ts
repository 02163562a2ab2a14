/**
 * IP address families, canonical text and network prefixes, without
 * `node:net`, so the core runs in browsers. The text/bytes conversions live
 * in `@mycel/wire` (compact peer info is a byte format); they are re-exported
 * here for the modules of this package.
 * @internal
 * @module
 */

import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '@mycel/wire'

export { formatIpv4, formatIpv6, parseIpv4, parseIpv6 }

/** `4` for dotted-quad IPv4 text, `6` for IPv6 text, `0` for anything else (a host name). */
export function ipFamily(host: string): 0 | 4 | 6 {
  if (parseIpv4(host) !== undefined) return 4
  if (parseIpv6(host) !== undefined) return 6
  return 0
}

/** The canonical text of an IP address (so `::0001` and `::1` compare equal), or the input if it is a host name. */
export function normalizeHost(host: string): string {
  const v4 = parseIpv4(host)
  if (v4 !== undefined) return host
  const v6 = parseIpv6(host)
  return v6 === undefined ? host : formatIpv6(v6)
}

/**
 * The network an address belongs to, for per-network bounds: its /24 for
 * IPv4 (`a.b.c.0/24`, also for an IPv4-mapped IPv6 address) and its /48 for
 * IPv6 (the first three groups, `2001:db8:1::/48`), the blocks one operator
 * usually holds. A host name is its own network.
 */
export function addressPrefix(host: string): string {
  const v4 = parseIpv4(host)
  if (v4 !== undefined) return `${v4[0]}.${v4[1]}.${v4[2]}.0/24`
  const v6 = parseIpv6(host)
  if (v6 === undefined) return host
  if (v6.subarray(0, 10).every((byte) => byte === 0) && v6[10] === 0xff && v6[11] === 0xff) {
    return `${v6[12]}.${v6[13]}.${v6[14]}.0/24`
  }
  const group = (i: number) => ((v6[i] as number) << 8) | (v6[i + 1] as number)
  return `${group(0).toString(16)}:${group(2).toString(16)}:${group(4).toString(16)}::/48`
}
