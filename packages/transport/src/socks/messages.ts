/**
 * The bytes of a SOCKS5 client (RFC 1928) with username/password
 * authentication (RFC 1929): encoders of what the client sends, decoders of
 * what the proxy answers. No I/O; every decoder checks every byte it reads
 * and reads at most {@link MAX_SOCKS_REPLY_BYTES}.
 * @internal
 * @module
 */
import { TransportError } from '../errors.js'

/** SOCKS protocol version (RFC 1928). */
export const SOCKS_VERSION = 0x05
/** Version of the username/password sub-negotiation (RFC 1929). */
export const USERPASS_VERSION = 0x01
/** Authentication methods of RFC 1928. */
export const METHOD_NONE = 0x00
export const METHOD_USERPASS = 0x02
export const METHOD_NO_ACCEPTABLE = 0xff
/** The `CONNECT` command. */
export const COMMAND_CONNECT = 0x01
/** Address types of RFC 1928. */
export const ADDRESS_IPV4 = 0x01
export const ADDRESS_DOMAIN = 0x03
export const ADDRESS_IPV6 = 0x04
/** Longest reply to a `CONNECT`: 4 header bytes, a 255-byte name with its length byte, 2 port bytes. */
export const MAX_SOCKS_REPLY_BYTES = 4 + 1 + 255 + 2
/** Longest host name a `CONNECT` can carry (its length is one byte). */
export const MAX_SOCKS_DOMAIN_BYTES = 255

/** What the reply codes of a `CONNECT` mean (RFC 1928, then Tor's `ExtendedErrors`). */
export const SOCKS_REPLY_MEANINGS: Readonly<Record<number, string>> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
  240: 'Tor: onion service descriptor not found',
  241: 'Tor: onion service descriptor is invalid',
  242: 'Tor: onion service introduction failed',
  243: 'Tor: onion service rendezvous failed',
  244: 'Tor: onion service client authorization missing',
  245: 'Tor: onion service client authorization wrong',
  246: 'Tor: the onion address is not valid',
  247: 'Tor: onion service introduction timed out',
}

const utf8 = new TextEncoder()
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

function protocolError(why: string): TransportError {
  return new TransportError('PROXY_PROTOCOL', `the proxy's answer is not SOCKS5: ${why}`)
}

/**
 * The client's greeting: version 5 and the one method it offers (no
 * authentication, or username/password when it has credentials: offering
 * both would let the proxy skip credentials the user gave on purpose).
 */
export function encodeGreeting(withCredentials: boolean): Uint8Array {
  return Uint8Array.of(SOCKS_VERSION, 1, withCredentials ? METHOD_USERPASS : METHOD_NONE)
}

/** The username/password request of RFC 1929 (each 1 to 255 bytes, checked by `parseProxyUrl`). */
export function encodeCredentials(username: string, password: string): Uint8Array {
  const user = utf8.encode(username)
  const pass = utf8.encode(password)
  if (user.length < 1 || user.length > 255 || pass.length < 1 || pass.length > 255) {
    throw new RangeError('a SOCKS username and password are 1 to 255 bytes each')
  }
  const out = new Uint8Array(3 + user.length + pass.length)
  out[0] = USERPASS_VERSION
  out[1] = user.length
  out.set(user, 2)
  out[2 + user.length] = pass.length
  out.set(pass, 3 + user.length)
  return out
}

/**
 * The `CONNECT` request for `host:port`. An IPv4 or IPv6 literal goes as
 * such; anything else goes as a domain name for the proxy to resolve, so a
 * `.onion` name reaches Tor and no name is ever looked up locally.
 */
export function encodeConnect(host: string, port: number): Uint8Array {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('port must be 1 to 65535')
  let address: Uint8Array
  const v4 = ipv4Bytes(host)
  if (v4 !== undefined) {
    address = Uint8Array.of(ADDRESS_IPV4, ...v4)
  } else if (host.includes(':')) {
    address = Uint8Array.of(ADDRESS_IPV6, ...ipv6Bytes(host))
  } else {
    const name = utf8.encode(host)
    if (name.length < 1 || name.length > MAX_SOCKS_DOMAIN_BYTES) {
      throw new TransportError('ADDRESS_INVALID', `a host name sent to a SOCKS proxy is 1 to 255 bytes: ${host}`)
    }
    address = new Uint8Array(1 + 1 + name.length)
    address[0] = ADDRESS_DOMAIN
    address[1] = name.length
    address.set(name, 2)
  }
  const out = new Uint8Array(3 + address.length + 2)
  out.set([SOCKS_VERSION, COMMAND_CONNECT, 0x00])
  out.set(address, 3)
  out[out.length - 2] = port >> 8
  out[out.length - 1] = port & 0xff
  return out
}

/** The 4 bytes of a dotted-quad IPv4 literal, or undefined for anything else. */
function ipv4Bytes(host: string): number[] | undefined {
  const parts = IPV4.exec(host)?.slice(1).map(Number) ?? []
  return parts.length === 4 && parts.every((part) => part <= 255) ? parts : undefined
}

/** The 16 bytes of an IPv6 literal (with `::`, and an IPv4 tail). */
function ipv6Bytes(host: string): Uint8Array {
  const bad = (): TransportError => new TransportError('ADDRESS_INVALID', `not an IPv6 address: ${host}`)
  let text = host
  const tail: number[] = []
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text)
  if (v4 !== null) {
    const parts = (v4[1] as string).split('.').map(Number)
    if (parts.some((part) => part > 255)) throw bad()
    tail.push(((parts[0] as number) << 8) | (parts[1] as number), ((parts[2] as number) << 8) | (parts[3] as number))
    text = `${text.slice(0, v4.index)}0:0`
  }
  const halves = text.split('::')
  if (halves.length > 2) throw bad()
  const groups = (half: string | undefined): number[] =>
    half === undefined || half === '' ? [] : half.split(':').map((group) => hexGroup(group, bad))
  const head = groups(halves[0])
  const rest = groups(halves[1])
  const fill = 8 - head.length - rest.length
  if (halves.length === 1 ? fill !== 0 : fill < 1) throw bad()
  const words = [...head, ...new Array<number>(halves.length === 1 ? 0 : fill).fill(0), ...rest]
  if (tail.length > 0) words.splice(6, 2, ...tail)
  const out = new Uint8Array(16)
  words.forEach((word, index) => {
    out[index * 2] = word >> 8
    out[index * 2 + 1] = word & 0xff
  })
  return out
}

function hexGroup(group: string, bad: () => TransportError): number {
  if (!/^[0-9a-f]{1,4}$/i.test(group)) throw bad()
  return Number.parseInt(group, 16)
}

/**
 * The method the proxy chose (2 bytes).
 * @throws {@link TransportError} `PROXY_PROTOCOL` for another version or a
 *   method that was not offered; `PROXY_AUTH_FAILED` when the proxy accepts
 *   none of those offered (it wants credentials we lack, or none of ours)
 */
export function decodeMethodChoice(bytes: Uint8Array, offered: number): void {
  if (bytes[0] !== SOCKS_VERSION) throw protocolError(`version ${bytes[0]} in the method choice`)
  const method = bytes[1] as number
  if (method === METHOD_NO_ACCEPTABLE) {
    throw new TransportError(
      'PROXY_AUTH_FAILED',
      offered === METHOD_NONE
        ? 'the proxy requires authentication: give it a user and password (socks5://user:pass@host:port)'
        : 'the proxy does not accept username/password authentication',
    )
  }
  if (method !== offered) throw protocolError(`it chose method ${method}, which was not offered`)
}

/**
 * The proxy's answer to the credentials (2 bytes, RFC 1929).
 * @throws {@link TransportError} `PROXY_AUTH_FAILED` when it refuses them, `PROXY_PROTOCOL` for another version
 */
export function decodeCredentialsReply(bytes: Uint8Array): void {
  // RFC 1929 says version 1; some proxies answer with the SOCKS version.
  if (bytes[0] !== USERPASS_VERSION && bytes[0] !== SOCKS_VERSION) {
    throw protocolError(`version ${bytes[0]} in the authentication reply`)
  }
  if (bytes[1] !== 0x00) {
    throw new TransportError('PROXY_AUTH_FAILED', `the proxy refused the username and password (status ${bytes[1]})`)
  }
}

/** A complete `CONNECT` reply: the address the proxy bound for us, and the bytes it took. */
export interface ConnectReply {
  /** Address the proxy connects from (often all zeros; Tor sends `0.0.0.0:0`). */
  bound: { host: string; port: number }
  /** How many bytes of the input the reply took; what follows came from the target. */
  length: number
}

/**
 * Decodes the proxy's reply to `CONNECT` from the first bytes it sent.
 * A failure is known from the first two bytes, so a proxy that closes right
 * after them still gives its reason.
 *
 * @param bytes - what the proxy sent so far (at least the reply, or part of it)
 * @returns the reply, or the number of bytes needed in all when `bytes` holds
 *   only part of it (never more than {@link MAX_SOCKS_REPLY_BYTES})
 * @throws {@link TransportError} `DIAL_FAILED` with the reply code in
 *   `proxyReply` when the proxy could not connect to the target; `PROXY_PROTOCOL` for a
 *   wrong version, reserved byte, address type or a domain of length 0
 */
export function decodeConnectReply(bytes: Uint8Array): ConnectReply | { needed: number } {
  if (bytes.length < 2) return { needed: 4 }
  if (bytes[0] !== SOCKS_VERSION) throw protocolError(`version ${bytes[0]} in the reply to CONNECT`)
  const reply = bytes[1] as number
  if (reply !== 0x00) {
    const meaning = SOCKS_REPLY_MEANINGS[reply] ?? 'unknown reply code'
    const code = `0x${reply.toString(16).padStart(2, '0')}`
    return throwConnectFailed(reply, `the proxy could not connect to the target: ${code} (${meaning})`)
  }
  if (bytes.length < 4) return { needed: 4 }
  if (bytes[2] !== 0x00) throw protocolError(`reserved byte ${bytes[2]} in the reply to CONNECT`)
  const type = bytes[3] as number
  let addressLength: number
  let start = 4
  if (type === ADDRESS_IPV4) addressLength = 4
  else if (type === ADDRESS_IPV6) addressLength = 16
  else if (type === ADDRESS_DOMAIN) {
    if (bytes.length < 5) return { needed: 5 }
    addressLength = bytes[4] as number
    if (addressLength === 0) throw protocolError('an empty domain in the reply to CONNECT')
    start = 5
  } else throw protocolError(`address type ${type} in the reply to CONNECT`)
  const length = start + addressLength + 2
  if (bytes.length < length) return { needed: length }
  const address = bytes.subarray(start, start + addressLength)
  const port = ((bytes[length - 2] as number) << 8) | (bytes[length - 1] as number)
  return { bound: { host: formatBound(type, address), port }, length }
}

function throwConnectFailed(reply: number, message: string): never {
  throw new TransportError('DIAL_FAILED', message, { proxyReply: reply })
}

function formatBound(type: number, address: Uint8Array): string {
  if (type === ADDRESS_IPV4) return [...address].join('.')
  if (type === ADDRESS_DOMAIN) return new TextDecoder('utf-8', { fatal: false }).decode(address)
  const words: string[] = []
  for (let i = 0; i < 16; i += 2) words.push((((address[i] as number) << 8) | (address[i + 1] as number)).toString(16))
  return words.join(':')
}
