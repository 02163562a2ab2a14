/**
 * The messages a WebTorrent-style WebSocket tracker sends its clients, and
 * what we send it. Infohashes, peer ids and offer ids are 20-character
 * "binary strings" (each character one byte, `latin1`), as WebTorrent has
 * them; SDPs are passed to the WebRTC stack unread but bounded.
 * @module
 */

import { NodeError } from '../../errors.js'

/** Longest message taken from a tracker, in characters (bigger: the socket is closed). */
export const MAX_WS_TRACKER_MESSAGE_CHARS = 64 * 1024
/** Longest SDP taken from a tracker, in characters. */
export const MAX_WS_TRACKER_SDP_CHARS = 32 * 1024
/** Longest `failure reason` kept from a tracker (the rest is cut). */
const MAX_FAILURE_CHARS = 500
/** Characters of an infohash, peer id or offer id. */
export const WS_ID_CHARS = 20

/** What a tracker said, as the client acts on it. */
export type WsTrackerMessage =
  | {
      /** The tracker's reply to our announce. */
      readonly kind: 'reply'
      readonly infoHash: string
      /** Seconds to the next announce, if given. */
      readonly interval: number | undefined
      /** Why the tracker refused the announce, if it did. */
      readonly failure: string | undefined
    }
  | {
      /** Another peer's offer, for us to answer. */
      readonly kind: 'offer'
      readonly infoHash: string
      readonly peerId: string
      readonly offerId: string
      readonly sdp: string
    }
  | {
      /** A peer's answer to one of our offers. */
      readonly kind: 'answer'
      readonly infoHash: string
      readonly peerId: string
      readonly offerId: string
      readonly sdp: string
    }
  | {
      /** Something the client has no use for (a scrape reply, a warning). */
      readonly kind: 'ignored'
    }

function fail(message: string): never {
  throw new NodeError('TRACKER_INVALID_RESPONSE', `WebSocket tracker message: ${message}`)
}

/** A 20-character string of byte-valued characters. */
function binaryId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length !== WS_ID_CHARS) fail(`${name} must be a 20-byte string`)
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) fail(`${name} must be a 20-byte string`)
  return value
}

function sdpOf(value: unknown, type: 'offer' | 'answer'): string {
  if (typeof value !== 'object' || value === null) fail(`${type} must be an object`)
  const { type: given, sdp } = value as { type?: unknown; sdp?: unknown }
  if (given !== type) fail(`${type}.type must be "${type}"`)
  if (typeof sdp !== 'string' || sdp.length === 0 || sdp.length > MAX_WS_TRACKER_SDP_CHARS) {
    fail(`${type}.sdp must be a string of 1 to ${MAX_WS_TRACKER_SDP_CHARS} characters`)
  }
  return sdp
}

/**
 * Decodes one message of a WebSocket tracker.
 *
 * @param data - the message as the socket gave it (a text frame)
 * @returns what it says
 * @throws `NodeError` `TRACKER_INVALID_RESPONSE` when it is not a text frame, longer than
 *   {@link MAX_WS_TRACKER_MESSAGE_CHARS}, not a JSON object, or a malformed announce message
 */
export function decodeWsTrackerMessage(data: unknown): WsTrackerMessage {
  if (typeof data !== 'string') fail('not a text frame')
  if (data.length > MAX_WS_TRACKER_MESSAGE_CHARS) fail(`longer than ${MAX_WS_TRACKER_MESSAGE_CHARS} characters`)
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    fail('not JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('not a JSON object')
  const message = parsed as Record<string, unknown>
  if (message.action !== 'announce') {
    if (message.action === 'scrape' || message.action === undefined) return { kind: 'ignored' }
    fail('unknown action')
  }
  const infoHash = binaryId(message.info_hash, 'info_hash')
  if (message.offer !== undefined) {
    return {
      kind: 'offer',
      infoHash,
      peerId: binaryId(message.peer_id, 'peer_id'),
      offerId: binaryId(message.offer_id, 'offer_id'),
      sdp: sdpOf(message.offer, 'offer'),
    }
  }
  if (message.answer !== undefined) {
    return {
      kind: 'answer',
      infoHash,
      peerId: binaryId(message.peer_id, 'peer_id'),
      offerId: binaryId(message.offer_id, 'offer_id'),
      sdp: sdpOf(message.answer, 'answer'),
    }
  }
  const failure = message['failure reason']
  if (failure !== undefined && typeof failure !== 'string') fail('failure reason must be a string')
  const interval = message.interval
  if (interval !== undefined && (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0)) {
    fail('interval must be a number of seconds')
  }
  return {
    kind: 'reply',
    infoHash,
    interval: interval as number | undefined,
    failure: failure === undefined ? undefined : (failure as string).slice(0, MAX_FAILURE_CHARS),
  }
}

/** Bytes as a WebTorrent binary string (one character per byte). */
export function binaryString(bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return text
}

/** What one announce tells the tracker. */
export interface WsAnnounceFields {
  readonly infoHash: string
  readonly peerId: string
  readonly event?: 'started' | 'stopped' | 'completed' | undefined
  readonly uploaded?: number | undefined
  readonly downloaded?: number | undefined
  readonly left?: number | undefined
  /** Our offers, by their 20-character offer ids. */
  readonly offers?: ReadonlyArray<{ readonly offerId: string; readonly sdp: string }>
}

/** An announce, as JSON text. */
export function encodeWsAnnounce(fields: WsAnnounceFields): string {
  const offers = fields.offers ?? []
  return JSON.stringify({
    action: 'announce',
    info_hash: fields.infoHash,
    peer_id: fields.peerId,
    numwant: offers.length,
    uploaded: fields.uploaded ?? 0,
    downloaded: fields.downloaded ?? 0,
    ...(fields.left === undefined ? {} : { left: fields.left }),
    ...(fields.event === undefined ? {} : { event: fields.event }),
    ...(offers.length === 0
      ? {}
      : { offers: offers.map(({ offerId, sdp }) => ({ offer: { type: 'offer', sdp }, offer_id: offerId })) }),
  })
}

/** Our answer to an offer a tracker passed on, as JSON text. */
export function encodeWsAnswer(fields: {
  readonly infoHash: string
  readonly peerId: string
  readonly toPeerId: string
  readonly offerId: string
  readonly sdp: string
}): string {
  return JSON.stringify({
    action: 'announce',
    info_hash: fields.infoHash,
    peer_id: fields.peerId,
    to_peer_id: fields.toPeerId,
    offer_id: fields.offerId,
    answer: { type: 'answer', sdp: fields.sdp },
  })
}
