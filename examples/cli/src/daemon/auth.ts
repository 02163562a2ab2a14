import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import { credentialMatches } from './token.js'

/** Who may use the daemon: the credentials it accepts and the web origins it serves. */
export interface AccessPolicy {
  /** The token (and the `--password`, when one was given). */
  readonly credentials: readonly string[]
  /** Origins (`http://host:port`) whose pages may call the daemon; requests without an Origin are not pages. */
  readonly origins: ReadonlySet<string>
}

/**
 * Whether an address is loopback (127.0.0.0/8, ::1, localhost): the only
 * addresses the daemon listens on without `--password`.
 *
 * @param host - an address or host name
 * @returns true for loopback
 */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  if (bare === 'localhost' || bare === '::1') return true
  return isIP(bare) === 4 && bare.startsWith('127.')
}

/**
 * The origins of the daemon's own pages: its address and, on loopback,
 * `localhost`, `127.0.0.1` and `[::1]` at its port; plus `--allow-origin`s.
 *
 * @param host - the address it listens on
 * @param port - its port
 * @param extra - more origins allowed
 * @returns the set
 */
export function ownOrigins(host: string, port: number, extra: readonly string[] = []): Set<string> {
  const hostText = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  const origins = new Set([`http://${hostText}:${port}`, ...extra.map((origin) => origin.replace(/\/+$/, ''))])
  if (isLoopback(host)) {
    for (const name of ['localhost', '127.0.0.1', '[::1]']) origins.add(`http://${name}:${port}`)
  }
  return origins
}

/**
 * The credential a request carries: `Authorization: Bearer <token>`,
 * `Authorization: Basic` with the token as password (any user name: what
 * Transmission clients send), or, for a WebSocket (browsers cannot set its
 * headers), a `token` query parameter.
 *
 * @param request - the HTTP request
 * @param url - its parsed URL
 * @param allowQuery - whether the `token` query parameter counts
 * @returns the credential, if any
 */
export function presentedCredential(request: IncomingMessage, url: URL, allowQuery: boolean): string | undefined {
  const header = request.headers.authorization
  if (header !== undefined) {
    const [scheme = '', value = ''] = header.trim().split(/\s+/, 2)
    if (scheme.toLowerCase() === 'bearer') return value
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      return colon < 0 ? undefined : decoded.slice(colon + 1)
    }
    return undefined
  }
  return allowQuery ? (url.searchParams.get('token') ?? undefined) : undefined
}

/**
 * Checks a request against the policy.
 *
 * @param request - the HTTP request
 * @param url - its parsed URL
 * @param policy - credentials and origins
 * @param allowQuery - whether a `token` query parameter counts (WebSocket upgrades)
 * @returns `ok`, or why it is refused: `origin` (HTTP 403) or `credential` (HTTP 401)
 */
export function checkAccess(
  request: IncomingMessage,
  url: URL,
  policy: AccessPolicy,
  allowQuery: boolean,
): 'ok' | 'origin' | 'credential' {
  const origin = request.headers.origin
  if (origin !== undefined && !policy.origins.has(origin)) return 'origin'
  if (!credentialMatches(presentedCredential(request, url, allowQuery), policy.credentials)) return 'credential'
  return 'ok'
}
