/**
 * Links to private shares:
 * `mycel://<64 hex digits of the ciphertext infohash>[?x.pe=<host:port>]*[#<content key>]`.
 * The key is the fragment, 43 characters of unpadded base64url: browsers
 * and mycel never send a fragment anywhere, and a link without one is what
 * a blind seeder gets.
 * @module
 */
import { fromHex, toHex } from '@mycel/wire'
import { PiecesError } from '../errors.js'
import { CONTENT_KEY_BYTES } from './limits.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const PREFIX = 'mycel://'
/** Most `x.pe` peers a link may carry (as magnet links). */
const MAX_PEERS = 50

/** A parsed private link. */
export interface PrivateLink {
  /** Infohash of the ciphertext share. */
  readonly infohash: Uint8Array
  /** The content key, when the link carries one (a reader's link); absent for a blind seeder. */
  readonly key?: Uint8Array
  /** Peers to try, `host:port`. */
  readonly peers: readonly string[]
}

/**
 * Unpadded base64url (RFC 4648 section 5).
 * @param bytes - any bytes
 * @returns the text
 */
export function toBase64Url(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6))
    for (let k = 0; k < chars; k++) out += ALPHABET[(n >> (18 - 6 * k)) & 63]
  }
  return out
}

/**
 * Decodes unpadded, canonical base64url (unused low bits zero).
 * @param text - the text
 * @returns the bytes, or undefined when it is not canonical base64url
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined
  const out = new Uint8Array(Math.floor((text.length * 6) / 8))
  let bits = 0
  let value = 0
  let at = 0
  for (const char of text) {
    const digit = ALPHABET.indexOf(char)
    if (digit < 0) return undefined
    value = (value << 6) | digit
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[at++] = (value >> bits) & 0xff
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) return undefined
  return out
}

/**
 * Writes a private link.
 * @param link - infohash, optional key, optional peers
 * @returns the link text
 */
export function formatPrivateLink(link: { infohash: Uint8Array; key?: Uint8Array; peers?: readonly string[] }): string {
  if (!(link.infohash instanceof Uint8Array) || link.infohash.length !== 32)
    throw new RangeError('infohash must be 32 bytes')
  if (link.key !== undefined && link.key.length !== CONTENT_KEY_BYTES) throw new RangeError('key must be 32 bytes')
  const query = (link.peers ?? []).map((peer) => `x.pe=${encodeURIComponent(peer)}`).join('&')
  return `${PREFIX}${toHex(link.infohash)}${query === '' ? '' : `?${query}`}${link.key === undefined ? '' : `#${toBase64Url(link.key)}`}`
}

function malformed(why: string): PiecesError {
  return new PiecesError('PRIVATE_LINK_MALFORMED', `not a private link: ${why}`)
}

/**
 * Whether text is a private link (starts with `mycel://`).
 * @param text - a link
 */
export function isPrivateLink(text: string): boolean {
  return typeof text === 'string' && text.toLowerCase().startsWith(PREFIX)
}

/**
 * Reads a private link.
 * @param text - the link
 * @returns infohash, key (when there is a fragment) and peers
 * @throws PiecesError `PRIVATE_LINK_MALFORMED` for anything else
 */
export function parsePrivateLink(text: string): PrivateLink {
  if (typeof text !== 'string' || text.length > 8192) throw malformed('not text of a link size')
  if (!isPrivateLink(text)) throw malformed('it does not start with mycel://')
  const rest = text.slice(PREFIX.length)
  const hash = rest.indexOf('#')
  const beforeFragment = hash < 0 ? rest : rest.slice(0, hash)
  const fragment = hash < 0 ? undefined : rest.slice(hash + 1)
  const question = beforeFragment.indexOf('?')
  const hex = question < 0 ? beforeFragment : beforeFragment.slice(0, question)
  const infohash = /^[0-9a-fA-F]{64}$/.test(hex) ? fromHex(hex.toLowerCase()) : undefined
  if (infohash === undefined) throw malformed('the infohash is not 64 hex digits')
  const peers: string[] = []
  if (question >= 0) {
    for (const pair of beforeFragment.slice(question + 1).split('&')) {
      if (pair === '') continue
      const equals = pair.indexOf('=')
      const name = equals < 0 ? pair : pair.slice(0, equals)
      if (name !== 'x.pe') continue
      let value: string
      try {
        value = decodeURIComponent(pair.slice(equals + 1).replace(/\+/g, ' '))
      } catch {
        throw malformed('a peer is not percent-encoded text')
      }
      if (peers.length >= MAX_PEERS) throw malformed(`more than ${MAX_PEERS} peers`)
      peers.push(value)
    }
  }
  if (fragment === undefined || fragment === '') return { infohash, peers }
  const key = fromBase64Url(fragment)
  if (key === undefined || key.length !== CONTENT_KEY_BYTES)
    throw malformed('the key is not 43 characters of base64url')
  return { infohash, key, peers }
}
