/**
 * The WebRTC transport's public types: its options, the transport itself
 * (a {@link Transport} with unaddressed offers) and an unaddressed offer.
 * @module
 */
import type { Logger } from '@mycel/wire/log'
import type { Transport } from '../transport.js'
import type { WebRtcSignaller } from './types.js'

/** Options of `webRtcTransport`. */
export interface WebRtcTransportOptions {
  /** How offers and answers reach peers (a mycel node's `signal/1` protocol). */
  signaller: WebRtcSignaller
  /**
   * STUN servers for ICE (`stun:host:port`), to find our public address
   * behind a NAT. Default none: host candidates only, which works on a LAN.
   */
  iceServers?: readonly string[]
  /** Bytes buffered for sending before `write` returns false. Default 1 MiB. */
  highWaterMark?: number
  /** Longest wait for ICE candidates before the description goes with those found. Default 5 s. */
  gatherTimeoutMs?: number
  /** Longest dial or answer, from the offer to the open data channel. Default 20 s. */
  connectTimeoutMs?: number
  /** Offers from peers being answered at once; more are refused. Default 16. */
  maxPendingAnswers?: number
  /** Where failed dials and refused offers are logged, under `mycel:transport`. Default: silent. */
  logger?: Logger
  /** Unaddressed offers (see {@link WebRtcTransport.createOffer}) held at once; more are refused. Default 32. */
  maxPendingOffers?: number
  /**
   * How long an unaddressed offer waits for its answer and then for its
   * dial, before its connection is closed. Default 60 s.
   */
  offerLifetimeMs?: number
}

/** The scheme of the address of an answered unaddressed offer: `webrtc-offer://<offer id>`. */
export const OFFER_SCHEME = 'webrtc-offer'

/** An offer addressed to no peer id (made for a WebSocket tracker, which hands it to some peer of a swarm). */
export interface UnaddressedOffer {
  /** The offer's id: 32 hex digits, the host of its `webrtc-offer://` address. */
  readonly id: string
  /** Our complete offer (ICE gathered). */
  readonly sdp: string
}

/**
 * The WebRTC transport: a {@link Transport} of `webrtc://<peer id>`
 * addresses (offers through the signaller), and of unaddressed offers and
 * answers, whose peer is whoever answers (its peer id comes from the Noise
 * handshake, as for a TCP address).
 */
export interface WebRtcTransport extends Transport {
  /**
   * Makes an offer addressed to nobody. Once {@link acceptAnswer} took an
   * answer to it, dialling `webrtc-offer://<id>` gives its connection; an
   * offer neither answered nor dialled within `offerLifetimeMs` is closed.
   *
   * @param options - aborting gives up while ICE is gathered
   * @returns the offer's id and SDP
   * @throws `TransportError` `DIAL_FAILED` when `maxPendingOffers` are pending already, `CLOSED`,
   *   `ABORTED`, `WEBRTC_UNAVAILABLE`
   */
  createOffer(options?: { signal?: AbortSignal }): Promise<UnaddressedOffer>
  /**
   * Takes the answer to an unaddressed offer: its connection starts, and
   * the address returned dials it (once, within the offer's lifetime).
   *
   * @param id - the offer's id
   * @param answerSdp - the answer, as the tracker passed it on
   * @returns `webrtc-offer://<id>`
   * @throws `TransportError` `DIAL_FAILED` when no such offer waits for an answer (unknown, answered
   *   already, expired) or the WebRTC stack refuses the answer
   */
  acceptAnswer(id: string, answerSdp: string): Promise<string>
  /**
   * Gives up an unaddressed offer (its connection is closed unless dialled already). Idempotent.
   * @param id - the offer's id
   */
  cancelOffer(id: string): void
  /**
   * Answers an offer that names no peer of ours (one a tracker passed on):
   * the connection, once open, arrives on the listener like any inbound
   * connection, and the offerer's peer id comes from its handshake.
   *
   * @param offerSdp - the offer
   * @returns our complete answer
   * @throws `TransportError` `DIAL_FAILED` when nothing listens, `maxPendingAnswers` offers are being
   *   answered, or the offer is refused; `CLOSED`
   */
  answerOffer(offerSdp: string): Promise<string>
}
