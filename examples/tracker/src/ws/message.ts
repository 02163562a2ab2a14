/**
 * The JSON messages of WebTorrent-style WebSocket tracker signalling, and
 * their decoder. Infohashes and peer ids are 20-character strings whose
 * characters are bytes (`latin1`), as WebTorrent sends them; offers and
 * answers are passed on unread but bounded.
 * @module
 */
import { MycelError } from '@mycel/wire'

/** One offer of an announce: an SDP offer and the id its answer will carry. */
export interface WsOffer {
  readonly offer: { readonly type: 'offer'; readonly sdp: string }
  readonly offerId: string
}

/** An announce: joins the swarm, carries offers, or carries an answer to one peer. */
export interface WsAnnounce {
  readonly action: 'announce'
  readonly infoHash: string
  readonly peerId: string
  readonly numwant: number
  /** Bytes the peer still lacks, when it says (0: a seeder). */
  readonly left: number | undefined
  readonly event: 'started' | 'stopped' | 'completed' | 'update' | undefined
  readonly offers: readonly WsOffer[]
  /** Set together with `toPeerId` and `offerId` when the message answers an offer. */
  readonly answer: { readonly type: 'answer'; readonly sdp: string } | undefined
  readonly toPeerId: string | undefined
  readonly offerId: string | undefined
}

/** A scrape of one or more swarms. */
export interface WsScrape {
  readonly action: 'scrape'
  readonly infoHashes: readonly string[]
}

/** A decoded client message. */
export type WsMessage = WsAnnounce | WsScrape

/** The decoder's bounds. */
export interface WsMessageLimits {
  /** Most offers in one announce. */
  readonly maxOffers: number
  /** Longest SDP, in characters. */
  readonly maxSdpChars: number
  /** Most infohashes in one scrape. */
  readonly maxScrapeHashes: number
}

/** Why a message was not understood (the socket that sent it is closed). */
export class WsMessageError extends MycelError<'WS_MESSAGE_MALFORMED'> {
  /** @param message - what was wrong */
  constructor(message: string) {
    super('WS_MESSAGE_MALFORMED', message)
    this.name = 'WsMessageError'
  }
}

const ID_CHARS = 20
const EVENTS = new Set(['started', 'stopped', 'completed', 'update'])

function fail(message: string): never {
  throw new WsMessageError(message)
}

/** A 20-character string of byte-valued characters (WebTorrent's binary string). */
function binaryId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length !== ID_CHARS) fail(`${name} must be a 20-byte string`)
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) fail(`${name} must be a 20-byte string`)
  return value
}

function offerIdOf(value: unknown): string {
  return binaryId(value, 'offer_id')
}

function sdpOf(value: unknown, type: 'offer' | 'answer', limits: WsMessageLimits): { type: typeof type; sdp: string } {
  if (typeof value !== 'object' || value === null) fail(`${type} must be an object`)
  const { type: given, sdp } = value as { type?: unknown; sdp?: unknown }
  if (given !== type) fail(`${type}.type must be "${type}"`)
  if (typeof sdp !== 'string' || sdp.length === 0 || sdp.length > limits.maxSdpChars) {
    fail(`${type}.sdp must be a string of 1 to ${limits.maxSdpChars} characters`)
  }
  return { type, sdp }
}

function wholeNumber(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`${name} must be a whole number`)
  return value
}

/**
 * Decodes one client message.
 *
 * @param text - the message, as received
 * @param limits - the decoder's bounds
 * @returns the message
 * @throws {@link WsMessageError} when it is not JSON, not a known action, or out of bounds
 */
export function decodeWsMessage(text: string, limits: WsMessageLimits): WsMessage {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    fail('not JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('not a JSON object')
  const message = parsed as Record<string, unknown>
  if (message.action === 'scrape') {
    const given = message.info_hash
    const list = given === undefined ? [] : Array.isArray(given) ? given : [given]
    if (list.length === 0) fail('scrape needs info_hash')
    if (list.length > limits.maxScrapeHashes) fail(`scrape of more than ${limits.maxScrapeHashes} infohashes`)
    return { action: 'scrape', infoHashes: list.map((hash) => binaryId(hash, 'info_hash')) }
  }
  if (message.action !== 'announce') fail('action must be "announce" or "scrape"')
  const infoHash = binaryId(message.info_hash, 'info_hash')
  const peerId = binaryId(message.peer_id, 'peer_id')
  const event = message.event
  if (event !== undefined && (typeof event !== 'string' || !EVENTS.has(event))) fail('unknown event')
  let offers: WsOffer[] = []
  if (message.offers !== undefined) {
    if (!Array.isArray(message.offers)) fail('offers must be a list')
    if (message.offers.length > limits.maxOffers) fail(`more than ${limits.maxOffers} offers`)
    offers = message.offers.map((item: unknown) => {
      if (typeof item !== 'object' || item === null) fail('an offer must be an object')
      const { offer, offer_id } = item as { offer?: unknown; offer_id?: unknown }
      return { offer: sdpOf(offer, 'offer', limits) as WsOffer['offer'], offerId: offerIdOf(offer_id) }
    })
  }
  const isAnswer = message.answer !== undefined
  return {
    action: 'announce',
    infoHash,
    peerId,
    numwant: wholeNumber(message.numwant, 'numwant') ?? 0,
    left: wholeNumber(message.left, 'left'),
    event: event as WsAnnounce['event'],
    offers,
    answer: isAnswer ? (sdpOf(message.answer, 'answer', limits) as WsAnnounce['answer']) : undefined,
    toPeerId: isAnswer ? binaryId(message.to_peer_id, 'to_peer_id') : undefined,
    offerId: isAnswer ? offerIdOf(message.offer_id) : undefined,
  }
}
