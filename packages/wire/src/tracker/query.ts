/**
 * Query strings of HTTP tracker requests: binary values (infohashes, peer
 * ids) travel percent-encoded byte by byte (BEP 3), so the values here are
 * bytes, not text.
 * @module
 */
import { WireError } from '../errors.js'
import { TRACKER_LIMITS } from './limits.js'

const PERCENT = 0x25

/** Bytes BEP 3 lets a client leave unescaped: `0-9 a-z A-Z . - _ ~`. */
const UNRESERVED = new Uint8Array(256)
for (const char of '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_~') {
  UNRESERVED[char.charCodeAt(0)] = 1
}
const HEX_UPPER = '0123456789ABCDEF'

/** Options of the query parsers. */
export interface TrackerQueryOptions {
  /** Longest query accepted, in characters. Default {@link TRACKER_LIMITS}.maxQueryLength. */
  maxQueryLength?: number
  /** Most parameters accepted. Default {@link TRACKER_LIMITS}.maxQueryParameters. */
  maxParameters?: number
}

/**
 * Percent-encodes bytes for a tracker query: every byte outside
 * `0-9 a-z A-Z . - _ ~` as `%XX`.
 *
 * @param bytes - any bytes (an infohash, a peer id)
 * @returns the encoded text
 *
 * @example
 * ```ts
 * percentEncodeBytes(new Uint8Array([0x12, 0x41])) // '%12A'
 * ```
 */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) {
    if (UNRESERVED[byte] === 1) out += String.fromCharCode(byte)
    else out += `%${HEX_UPPER[byte >> 4]}${HEX_UPPER[byte & 15]}`
  }
  return out
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  const lower = code | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

/**
 * Percent-decodes `text[start, end)` into bytes. Characters other than
 * escapes stand for their own code (a raw `+` is the byte 0x2b, not a
 * space: clients escape the spaces of binary values); a character above
 * U+00FF cannot be one byte and is refused.
 */
function decodeRange(text: string, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start)
  let length = 0
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i)
    if (code === PERCENT) {
      const high = i + 2 < end ? hexValue(text.charCodeAt(i + 1)) : -1
      const low = high >= 0 ? hexValue(text.charCodeAt(i + 2)) : -1
      if (low < 0) throw new WireError('TRACKER_MALFORMED', `bad percent escape at character ${i} of the query`)
      out[length++] = (high << 4) | low
      i += 2
    } else if (code > 0xff) {
      throw new WireError('TRACKER_MALFORMED', `character ${i} of the query is not a byte`)
    } else {
      out[length++] = code
    }
  }
  return out.subarray(0, length)
}

/**
 * Percent-decodes one raw (still escaped) name or value into bytes.
 * @internal
 */
export function decodeQueryBytes(raw: string): Uint8Array {
  return decodeRange(raw, 0, raw.length)
}

/**
 * Percent-decodes one raw name or value into text of one character per
 * byte; a value without escapes is returned as it is (the common case).
 * @internal
 */
export function decodeQueryText(raw: string): string {
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i)
    if (code === PERCENT || code > 0xff) return String.fromCharCode(...decodeRange(raw, 0, raw.length))
  }
  return raw
}

/**
 * Splits a query string into its parameters: names decoded, values still
 * escaped (decoded by the caller only when it reads them).
 * @internal
 */
export function splitTrackerQuery(query: string, options: TrackerQueryOptions = {}): Map<string, string[]> {
  const maxLength = options.maxQueryLength ?? TRACKER_LIMITS.maxQueryLength
  const maxParameters = options.maxParameters ?? TRACKER_LIMITS.maxQueryParameters
  if (query.length > maxLength) {
    throw new WireError('TRACKER_TOO_LARGE', `a query of ${query.length} characters is over the limit of ${maxLength}`)
  }
  const parameters = new Map<string, string[]>()
  let count = 0
  let start = 0
  while (start <= query.length) {
    let end = query.indexOf('&', start)
    if (end < 0) end = query.length
    if (end > start) {
      if (++count > maxParameters) {
        throw new WireError('TRACKER_TOO_LARGE', `more than ${maxParameters} parameters in the query`)
      }
      let equals = query.indexOf('=', start)
      if (equals < 0 || equals > end) equals = end
      const name = decodeQueryText(query.slice(start, equals))
      const value = equals < end ? query.slice(equals + 1, end) : ''
      const values = parameters.get(name)
      if (values === undefined) parameters.set(name, [value])
      else values.push(value)
    }
    start = end + 1
  }
  return parameters
}

/**
 * Splits a query string into its parameters, percent-decoding names and
 * values. Empty segments (`a=1&&b=2`) are skipped; a segment without `=` is
 * a parameter with an empty value.
 *
 * @param query - the text after `?` (without it)
 * @param options - length and count limits
 * @returns parameter name (each byte as one character) to its values, in order
 * @throws {@link WireError} `TRACKER_TOO_LARGE` over a limit, `TRACKER_MALFORMED`
 *   for a bad escape or a character that is not a byte
 *
 * @example
 * ```ts
 * parseTrackerQuery('info_hash=%124Vx&port=6881').get('port') // [Uint8Array '6881']
 * ```
 */
export function parseTrackerQuery(query: string, options: TrackerQueryOptions = {}): Map<string, Uint8Array[]> {
  const parameters = new Map<string, Uint8Array[]>()
  for (const [name, values] of splitTrackerQuery(query, options)) parameters.set(name, values.map(decodeQueryBytes))
  return parameters
}

/**
 * Joins parameters into a query string (without the leading `?`), each
 * value percent-encoded byte by byte.
 *
 * @param parameters - name and value pairs, in order; text values are
 *   encoded as UTF-8, `undefined` ones are left out
 * @returns the query text
 */
export function formatTrackerQuery(
  parameters: ReadonlyArray<readonly [string, Uint8Array | string | undefined]>,
): string {
  const parts: string[] = []
  const utf8 = new TextEncoder()
  for (const [name, value] of parameters) {
    if (value === undefined) continue
    const bytes = typeof value === 'string' ? utf8.encode(value) : value
    parts.push(`${percentEncodeBytes(utf8.encode(name))}=${percentEncodeBytes(bytes)}`)
  }
  return parts.join('&')
}
