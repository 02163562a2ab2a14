import { DhtError } from './errors.js'
import { ipFamily, normalizeHost } from './ip.js'

/**
 * Where a UDP datagram comes from or goes to, and what `lookup` yields: a
 * peer's IP address (canonical text) and port.
 */
export interface PeerAddress {
  /** IPv4 dotted-quad or IPv6 text (a host name only in a bootstrap list). */
  readonly host: string
  /** Port, 1-65535. */
  readonly port: number
}

/**
 * Parses `host:port` or `[ipv6]:port` as given in a bootstrap list (IPv6
 * without brackets is refused: its last colon is ambiguous). IP addresses are normalised (`[::0001]:80` gives host `::1`);
 * host names are kept for the socket to resolve.
 *
 * @param text - e.g. `127.0.0.1:6881`, `[::1]:6881`, `router.example.org:6881`
 * @returns the host and port
 * @throws {@link DhtError} `INVALID_ADDRESS` if there is no port, the port is
 *   not 1-65535, or the host is empty or malformed
 *
 * @example
 * ```ts
 * parseHostPort('[::1]:6881') // { host: '::1', port: 6881 }
 * ```
 */
export function parseHostPort(text: string): PeerAddress {
  if (typeof text !== 'string') throw new TypeError('address must be a string')
  let host: string
  let portText: string
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close < 0 || text[close + 1] !== ':') throw invalid(text)
    host = text.slice(1, close)
    portText = text.slice(close + 2)
    if (ipFamily(host) !== 6) throw invalid(text)
  } else {
    const colon = text.lastIndexOf(':')
    if (colon <= 0 || text.indexOf(':') !== colon) throw invalid(text)
    host = text.slice(0, colon)
    portText = text.slice(colon + 1)
    if (ipFamily(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(host)) throw invalid(text)
  }
  if (!/^[1-9][0-9]{0,4}$/.test(portText) || Number(portText) > 65535) throw invalid(text)
  return { host: normalizeHost(host), port: Number(portText) }
}

/**
 * The text form of an address, as {@link parseHostPort} reads it.
 *
 * @param address - host and port
 * @returns `host:port`, or `[host]:port` for IPv6
 *
 * @example
 * ```ts
 * formatHostPort({ host: '::1', port: 6881 }) // '[::1]:6881'
 * ```
 */
export function formatHostPort(address: PeerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}

function invalid(text: string): DhtError {
  return new DhtError('INVALID_ADDRESS', `not a host:port address: ${JSON.stringify(text.slice(0, 300))}`)
}
