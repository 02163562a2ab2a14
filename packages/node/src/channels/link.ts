/**
 * Links to channels: `mycel://channel/<64 hex digits of the public key>`
 * and, for a private channel, `...#<read key>` (43 characters of unpadded
 * base64url, as private share links carry their key: a fragment is never
 * sent to peers or the DHT). `x.pe=<host:port>` parameters name peers to
 * try, as in magnet and private links.
 * @module
 */
import { CONTENT_KEY_BYTES, fromBase64Url, toBase64Url } from '@mycel/pieces/private'
import { fromHex, toHex } from '@mycel/wire'
import { NodeError } from '../errors.js'

const PREFIX = 'mycel://channel/'
/** Most `x.pe` peers a channel link may carry (as magnet and private links). */
const MAX_PEERS = 50

/** A parsed channel link. */
export interface ChannelLink {
  /** The channel's Ed25519 public key (32 bytes). */
  readonly publicKey: Uint8Array
  /** The read key of a private channel, when the link carries one. */
  readonly readKey?: Uint8Array
  /** Peers to try, `host:port`. */
  readonly peers: readonly string[]
}

/**
 * Whether text is a channel link (starts with `mycel://channel/`).
 * @param text - a link
 * @returns whether it is one (not whether it is well formed)
 */
export function isChannelLink(text: unknown): text is string {
  return typeof text === 'string' && text.toLowerCase().startsWith(PREFIX)
}

/**
 * Writes a channel link.
 * @param link - public key, optional read key, optional peers
 * @returns the link text
 * @throws RangeError for a key of the wrong length
 */
export function formatChannelLink(link: {
  publicKey: Uint8Array
  readKey?: Uint8Array | undefined
  peers?: readonly string[]
}): string {
  if (!(link.publicKey instanceof Uint8Array) || link.publicKey.length !== 32) {
    throw new RangeError('publicKey must be 32 bytes')
  }
  if (link.readKey !== undefined && link.readKey.length !== CONTENT_KEY_BYTES) {
    throw new RangeError('readKey must be 32 bytes')
  }
  const query = (link.peers ?? []).map((peer) => `x.pe=${encodeURIComponent(peer)}`).join('&')
  const fragment = link.readKey === undefined ? '' : `#${toBase64Url(link.readKey)}`
  return `${PREFIX}${toHex(link.publicKey)}${query === '' ? '' : `?${query}`}${fragment}`
}

function malformed(why: string): NodeError {
  return new NodeError('CHANNEL_LINK_MALFORMED', `not a channel link: ${why}`)
}

/**
 * Reads a channel link.
 * @param text - the link
 * @returns public key, read key (when there is a fragment) and peers
 * @throws NodeError `CHANNEL_LINK_MALFORMED` for anything else
 */
export function parseChannelLink(text: string): ChannelLink {
  if (typeof text !== 'string' || text.length > 8192) throw malformed('not text of a link size')
  if (!isChannelLink(text)) throw malformed('it does not start with mycel://channel/')
  const rest = text.slice(PREFIX.length)
  const hash = rest.indexOf('#')
  const beforeFragment = hash < 0 ? rest : rest.slice(0, hash)
  const fragment = hash < 0 ? undefined : rest.slice(hash + 1)
  const question = beforeFragment.indexOf('?')
  const hex = question < 0 ? beforeFragment : beforeFragment.slice(0, question)
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw malformed('the public key is not 64 hex digits')
  const publicKey = fromHex(hex.toLowerCase()) as Uint8Array // 64 hex digits, checked
  const peers: string[] = []
  if (question >= 0) {
    for (const pair of beforeFragment.slice(question + 1).split('&')) {
      const equals = pair.indexOf('=')
      if (pair === '' || (equals < 0 ? pair : pair.slice(0, equals)) !== 'x.pe') continue
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
  if (fragment === undefined || fragment === '') return { publicKey, peers }
  const readKey = fromBase64Url(fragment)
  if (readKey === undefined || readKey.length !== CONTENT_KEY_BYTES) {
    throw malformed('the read key is not 43 characters of base64url')
  }
  return { publicKey, readKey, peers }
}
