import { TransportError } from './errors.js'

/** A transport address split into its parts. */
export interface ParsedAddress {
  /** Lower-case scheme without `://`: `tcp`, `ws`, `wss`, `memory`, `webrtc`. */
  scheme: string
  /** Host name, IPv4 address, or IPv6 address without brackets; for `memory`, the name; for `webrtc`, the peer id. */
  host: string
  /** Port, 0 to 65535; 0 for `memory`. */
  port: number
  /** Path with its leading `/` (WebSocket only), else empty. */
  path: string
}

const SCHEMES_WITH_PORT = new Set(['tcp', 'ws', 'wss'])
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const IPV6 = /^[0-9a-f:.]{2,45}$/i
const MEMORY_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i
/** A peer id in its canonical text form (52 characters of lower-case base32). */
const PEER_ID_TEXT = /^[a-z2-7]{52}$/
/** The id of an unaddressed WebRTC offer (32 lower-case hex digits), see `webrtc-offer://`. */
const OFFER_ID_TEXT = /^[0-9a-f]{32}$/
const PATH = /^\/[\x21-\x7e]{0,255}$/

/** Longest address text accepted, the same bound as `hello` listen addresses. */
export const MAX_ADDRESS_LENGTH = 256

/**
 * Parses a transport address. The format is `scheme://host:port[/path]`:
 *
 * - `tcp://127.0.0.1:4001`, `tcp://[::1]:4001`, `tcp://example.org:4001`
 * - `ws://127.0.0.1:8080/mycel`, `wss://example.org/mycel` (port defaults to 80/443)
 * - `memory://alice` (an in-process network name; no port)
 * - `webrtc://<peer id>` (a peer reached over a WebRTC data channel, signalled
 *   through another peer; the peer id in its 52-character text form)
 * - `webrtc-offer://<offer id>` (a WebRTC connection of an offer addressed to
 *   no peer id, answered through a WebSocket tracker; 32 hex digits, valid
 *   only in the transport that made the offer, for a short while)
 *
 * @param address - the address text
 * @returns its parts
 * @throws {@link TransportError} `ADDRESS_INVALID` when it does not follow the format
 *
 * @example
 * ```ts
 * parseAddress('tcp://[::1]:4001') // { scheme: 'tcp', host: '::1', port: 4001, path: '' }
 * ```
 */
export function parseAddress(address: string): ParsedAddress {
  if (typeof address !== 'string') throw new TypeError('address must be a string')
  if (address.length > MAX_ADDRESS_LENGTH) throw TransportError.invalidAddress(address.slice(0, 40), 'too long')
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(address)
  if (match === null) throw TransportError.invalidAddress(address, 'expected scheme://host:port')
  const scheme = (match[1] as string).toLowerCase()
  let rest = match[2] as string
  if (scheme === 'memory') {
    if (!MEMORY_NAME.test(rest)) throw TransportError.invalidAddress(address, 'a memory name is 1-64 of [a-z0-9._-]')
    return { scheme, host: rest, port: 0, path: '' }
  }
  if (scheme === 'webrtc') {
    if (!PEER_ID_TEXT.test(rest)) throw TransportError.invalidAddress(address, 'a webrtc address names a peer id')
    return { scheme, host: rest, port: 0, path: '' }
  }
  if (scheme === 'webrtc-offer') {
    if (!OFFER_ID_TEXT.test(rest))
      throw TransportError.invalidAddress(address, 'a webrtc-offer address names an offer id')
    return { scheme, host: rest, port: 0, path: '' }
  }
  if (!SCHEMES_WITH_PORT.has(scheme)) {
    throw new TransportError('ADDRESS_UNSUPPORTED', `no transport for scheme ${JSON.stringify(scheme)}`)
  }
  let path = ''
  const slash = rest.indexOf('/')
  if (slash >= 0) {
    path = rest.slice(slash)
    rest = rest.slice(0, slash)
    if (scheme === 'tcp') throw TransportError.invalidAddress(address, 'tcp addresses have no path')
    if (!PATH.test(path)) throw TransportError.invalidAddress(address, 'bad path')
  }
  let host: string
  let portText: string | undefined
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']')
    if (end < 0) throw TransportError.invalidAddress(address, 'unclosed [')
    host = rest.slice(1, end)
    if (!IPV6.test(host) || !host.includes(':')) throw TransportError.invalidAddress(address, 'bad IPv6 address')
    const after = rest.slice(end + 1)
    if (after !== '' && !after.startsWith(':')) throw TransportError.invalidAddress(address, 'junk after ]')
    portText = after === '' ? undefined : after.slice(1)
  } else {
    const colon = rest.lastIndexOf(':')
    host = colon < 0 ? rest : rest.slice(0, colon)
    portText = colon < 0 ? undefined : rest.slice(colon + 1)
    if (!IPV4.test(host) && !HOST_NAME.test(host)) throw TransportError.invalidAddress(address, 'bad host')
  }
  let port: number
  if (portText === undefined) {
    if (scheme === 'tcp') throw TransportError.invalidAddress(address, 'tcp addresses need a port')
    port = scheme === 'wss' ? 443 : 80
  } else {
    if (!/^(?:0|[1-9]\d{0,4})$/.test(portText)) throw TransportError.invalidAddress(address, 'bad port')
    port = Number(portText)
    if (port > 65535) throw TransportError.invalidAddress(address, 'port over 65535')
  }
  return { scheme, host, port, path }
}

/**
 * Writes an address in the canonical form {@link parseAddress} reads
 * (IPv6 hosts in brackets, scheme in lower case).
 *
 * @param address - the parts
 * @returns the address text
 */
export function formatAddress(address: ParsedAddress): string {
  if (address.scheme === 'memory' || address.scheme === 'webrtc' || address.scheme === 'webrtc-offer')
    return `${address.scheme}://${address.host}`
  const host = address.host.includes(':') ? `[${address.host}]` : address.host
  return `${address.scheme}://${host}:${address.port}${address.path}`
}
