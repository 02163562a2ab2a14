import { parseAddress } from '../address.js'
import { TransportError } from '../errors.js'

/** The port of a SOCKS proxy whose URL names none (RFC 1928). */
export const DEFAULT_SOCKS_PORT = 1080
/** Longest username or password RFC 1929 can carry, in UTF-8 bytes. */
export const MAX_SOCKS_CREDENTIAL_BYTES = 255

/** A SOCKS5 proxy: where it listens and, if it asks for them, the credentials to give it. */
export interface SocksProxy {
  /** The proxy's IP address or host name (IPv6 without brackets). */
  host: string
  /** The proxy's TCP port. */
  port: number
  /** Username and password of RFC 1929, each 1 to 255 UTF-8 bytes; absent for a proxy without authentication. */
  credentials?: { username: string; password: string }
}

const utf8 = new TextEncoder()

/**
 * Parses a proxy URL: `socks5://[user:pass@]host[:port]` (also written
 * `socks5h://`, which means the same here: mycel always lets the proxy
 * resolve names). User and password are percent-decoded; the port defaults
 * to 1080.
 *
 * @param url - the proxy URL, as given with `--proxy`
 * @returns the proxy
 * @throws {@link TransportError} `PROXY_URL_INVALID` for another scheme, a bad
 *   host or port, a path or query, or credentials that RFC 1929 cannot carry
 *
 * @example
 * ```ts
 * parseProxyUrl('socks5://alice:secret@127.0.0.1:9050')
 * // { host: '127.0.0.1', port: 9050, credentials: { username: 'alice', password: 'secret' } }
 * ```
 */
export function parseProxyUrl(url: string): SocksProxy {
  if (typeof url !== 'string') throw new TypeError('the proxy URL must be a string')
  const invalid = (why: string): TransportError =>
    new TransportError('PROXY_URL_INVALID', `invalid proxy URL ${JSON.stringify(redact(url))}: ${why}`)
  const match = /^(socks5h?):\/\/(?:([^@/?#]*)@)?([^@/?#]+)\/?$/i.exec(url)
  if (match === null) throw invalid('expected socks5://[user:pass@]host:port')
  const [, , userInfo, hostPort] = match as unknown as [string, string, string | undefined, string]
  let host: string
  let port: number
  try {
    const withPort = /:\d+$/.test(hostPort) && (!hostPort.startsWith('[') || /\]:\d+$/.test(hostPort))
    const parsed = parseAddress(`tcp://${withPort ? hostPort : `${hostPort}:${DEFAULT_SOCKS_PORT}`}`)
    host = parsed.host
    port = parsed.port
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : 'bad host')
  }
  if (port === 0) throw invalid('port 0')
  if (userInfo === undefined) return { host, port }
  const colon = userInfo.indexOf(':')
  if (colon < 0) throw invalid('credentials are user:password')
  let username: string
  let password: string
  try {
    username = decodeURIComponent(userInfo.slice(0, colon))
    password = decodeURIComponent(userInfo.slice(colon + 1))
  } catch {
    throw invalid('bad percent escape in the credentials')
  }
  for (const [name, value] of [
    ['username', username],
    ['password', password],
  ] as const) {
    const bytes = utf8.encode(value).length
    if (bytes < 1 || bytes > MAX_SOCKS_CREDENTIAL_BYTES) {
      throw invalid(`the ${name} must be 1 to ${MAX_SOCKS_CREDENTIAL_BYTES} bytes (RFC 1929)`)
    }
  }
  return { host, port, credentials: { username, password } }
}

/**
 * The proxy URL without its password, for messages and logs.
 *
 * @param url - a proxy URL
 * @returns the same URL with the password replaced by `***`
 */
export function redact(url: string): string {
  return url.replace(/^([a-z0-9+.-]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@')
}

/**
 * The proxy as a URL again, without its password (for logs and stats).
 *
 * @param proxy - a parsed proxy
 * @returns `socks5://user:***@host:port` or `socks5://host:port`
 */
export function describeProxy(proxy: SocksProxy): string {
  const host = proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host
  const user = proxy.credentials === undefined ? '' : `${encodeURIComponent(proxy.credentials.username)}:***@`
  return `socks5://${user}${host}:${proxy.port}`
}
