/**
 * The peer seam: everything `swarm/` knows about a remote peer. The
 * msgpack-over-Noise peer of `wire/` is one implementation; another (the
 * BitTorrent peer wire, a WebRTC peer, a test double) implements the same
 * two interfaces and drives a {@link ShareHandler}, without a change here.
 *
 * A {@link PeerLink} is the remote as a whole (one connection): its identity,
 * counters, backpressure and close. A {@link SwarmPeer} is that remote as one
 * share sees it: the verbs of the swarm protocol. A link that carries several
 * shares (mycel's wire does) has one `SwarmPeer` per share; a link bound to
 * one share (BitTorrent's wire) has one in all.
 *
 * @module
 */

import type { RejectCode } from '../errors.js'

/**
 * One remote peer over one connection, as peer management sees it: scores
 * and bans are kept under its {@link PeerLink.key}, whatever the wire.
 * Optional protocols see the peer at the other end of their channel as one.
 */
export interface PeerLink {
  /**
   * Stable, opaque identity of the remote: scores and bans are kept under
   * it. For a mycel peer, its peer id (base32); another wire chooses its own
   * form, prefixed so that keys of different wires never meet.
   */
  readonly key: string
  /** The key as bytes, as the state store keeps peers (1 to 64 bytes). */
  readonly keyBytes: Uint8Array
  /** The transport address of the connection, when known. */
  readonly address: string | undefined
  /** Where others can dial this peer (for peer exchange), when it said. */
  readonly listenAddress: string | undefined
  /** Whether we dialled. */
  readonly outbound: boolean
  /** The software the peer reported, when it did. */
  readonly agent: string | undefined
  /** Whether the connection is closed or closing. */
  readonly isClosed: boolean
  /** Whether our outgoing buffer is over its high-water mark (wait for {@link PeerLink.drained}). */
  readonly congested: boolean
  /** Better peers are asked first; kept by peer management, read by the downloader. */
  score: number
  /** Payload bytes received from the peer (pieces), and sent to it. */
  bytesReceived: number
  bytesSent: number
  /** Notes that payload moved either way (the connection is useful, not idle). */
  transferred(): void
  /** Resolves when more may be sent; rejects when the connection closes. */
  drained(signal?: AbortSignal): Promise<void>
  /** Closes the connection (idempotent); `error` says why when it is not a clean close. */
  close(error?: Error): Promise<void>
}

/** A range of a piece to fetch. */
export interface BlockRange {
  readonly piece: number
  readonly offset: number
  readonly length: number
  /** Whether the answer must carry the range's Merkle proof (for streaming readers). */
  readonly proof: boolean
}

/** A remote's request for a range of a piece, with the id its answer carries. */
export interface BlockRequest extends BlockRange {
  readonly id: number
}

/** A remote's request for a slice of a share's metadata. */
export interface MetadataRequest {
  readonly id: number
  readonly offset: number
}

/**
 * The answer to one of our block requests. `bytes` (and `proof`) may be
 * views of a buffer the wire reuses once the callback returns: copy what
 * you keep.
 */
export type BlockAnswer =
  | { readonly type: 'data'; readonly bytes: Uint8Array; readonly proof?: Uint8Array }
  | { readonly type: 'reject'; readonly code: RejectCode }

/** The answer to one of our metadata requests (views, as {@link BlockAnswer}). */
export type MetadataAnswer =
  | { readonly type: 'meta'; readonly total: number; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly type: 'reject'; readonly code: RejectCode }

/**
 * A remote peer as one share's swarm sees it. Requests carry ids chosen by
 * the implementation; their answers (or a timeout) come back through the
 * callbacks given, once.
 * @internal
 */
export interface SwarmPeer {
  /** The connection this peer of the share is on. */
  readonly link: PeerLink
  /** Sends which pieces we hold (empty before we know the share's size). */
  sendBitfield(bits: Uint8Array): void
  /** Says we now hold a piece. */
  sendHave(piece: number): void
  /**
   * Asks for a range of a piece.
   * @returns the request's id, for {@link SwarmPeer.cancel}
   */
  requestBlock(
    range: BlockRange,
    timeoutMs: number,
    onAnswer: (answer: BlockAnswer) => void,
    onTimeout: () => void,
  ): number
  /**
   * Asks for a slice of the share's metadata from `offset`.
   * @returns the request's id
   */
  requestMetadata(
    offset: number,
    timeoutMs: number,
    onAnswer: (answer: MetadataAnswer) => void,
    onTimeout: () => void,
  ): number
  /** Forgets one of our requests and tells the remote not to bother. */
  cancel(id: number): void
  /**
   * Answers a block request.
   * @returns false when the connection is backed up (wait for `link.drained()`)
   */
  sendBlock(id: number, bytes: Uint8Array, proof?: Uint8Array): boolean
  /**
   * Answers a metadata request with a slice of it.
   * @returns false when the connection is backed up
   */
  sendMetadata(id: number, total: number, offset: number, bytes: Uint8Array): boolean
  /** Refuses a request. */
  reject(id: number, code: RejectCode): void
}

/**
 * What a peer implementation tells one share's swarm. Messages that do not
 * fit the wire never get here: the implementation closes the connection.
 * @internal
 */
export interface ShareHandler {
  /** The peer sent which pieces it holds: it joins the share (or its bits are replaced). */
  onBitfield(peer: SwarmPeer, bits: Uint8Array): void
  /** The peer now holds a piece. */
  onHave(peer: SwarmPeer, piece: number): void
  /** The peer asks for a range of a piece. */
  onRequest(peer: SwarmPeer, request: BlockRequest): void
  /** The peer asks for a slice of the share's metadata. */
  onMetadataRequest(peer: SwarmPeer, request: MetadataRequest): void
  /**
   * The peer left the share (its connection closed, or it was banned).
   * @returns whether it was a member
   */
  leave(peer: SwarmPeer): boolean
}
