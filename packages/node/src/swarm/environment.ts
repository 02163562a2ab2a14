/**
 * What a swarm is given by the node around it and what it reports back:
 * the seams of `Swarm` toward the node (see swarm.ts).
 * @module
 */

import type { Bitfield, Manifest } from '@mycel/pieces'
import type { PieceStore, StateStore } from '@mycel/store'
import type { ComponentLogger } from '@mycel/wire/log'
import type { TokenBucket } from '../rate-limit.js'
import type { TransferAccounting } from '../receipts/receipts-protocol.js'
import type { BlockRequest, MetadataRequest, PeerLink, SwarmPeer } from './peer.js'
import type { Swarm } from './swarm.js'
import type { ServedShare } from './uploader.js'

/** What a swarm needs from the node around it. @internal */
export interface SwarmEnvironment {
  readonly state: StateStore
  /** Global limits, used together with the swarm's own. */
  readonly uploadLimit: TokenBucket
  readonly downloadLimit: TokenBucket
  /** Opens the piece store of a download once its manifest is known, with the pieces already held there. */
  openStore(manifest: Manifest): Promise<{ store: PieceStore; have: Bitfield }>
  /** Hands a block request to the uploader of the peer's link (`share` undefined: refused `NOT_AVAILABLE`). */
  serveBlock(peer: SwarmPeer, request: BlockRequest, share: ServedShare | undefined): void
  /** Hands a metadata request to the uploader of the peer's link (`share` undefined: refused `NOT_AVAILABLE`). */
  serveMetadata(peer: SwarmPeer, request: MetadataRequest, share: ServedShare | undefined): void
  /** A peer sent corrupt data or metadata of `share` (its infohash): ban it (it may have disconnected since). */
  ban(peer: PeerLink, reason: string, share: Uint8Array): void
  /** Lowers (or raises) a peer's score; a loss with a `reason` is reported (`peer-penalised`). */
  score(peer: PeerLink, delta: number, reason?: string): void
  /** Closes a peer that broke the protocol or stopped answering (in `share`, its infohash, when one is concerned). */
  fault(peer: PeerLink, reason: string, share?: Uint8Array): void
  /** Peers joined or left the share (peer exchange tells the others). */
  membersChanged(swarm: Swarm): void
  /** Where corrupt pieces, faults and bad metadata are logged, with why (`mycel:swarm`). */
  readonly log?: ComponentLogger
  /** Receipts (`receipts/1`), when the node runs them: told of verified and sent bytes, asked whom to serve. */
  readonly transfers?: TransferAccounting
}

/** Changes a swarm reports to its owner (the Download or Share handle). @internal */
export interface SwarmEvents {
  onManifest(manifest: Manifest): void
  onProgress(): void
  onComplete(): void
  /** A complete download wants more pieces (files added, or a reader outside the selection). */
  onIncomplete(): void
  onError(error: unknown): void
}

/** What one streaming reader wants next: a window of a file, by path. @internal */
export interface ReadWindow {
  /** The file's path inside the share, components joined with `/`. */
  readonly path: string
  /** Next byte the reader needs. */
  position: number
  /** Last byte it wants (inclusive). */
  readonly end: number
  /** Bytes ahead of `position` to fetch first. */
  readonly readAhead: number
}

/**
 * Checks the files of a seeded share before pieces are read to be served
 * (a file changed on disk is re-verified first; see content-watch.ts).
 * @internal
 */
export interface ContentGuard {
  /**
   * Called before a piece is read for a peer: undefined when it may be read
   * at once, else a promise that settles once its file was checked (pieces
   * that no longer match are dropped by then).
   */
  beforeRead(piece: number): Promise<void> | undefined
  /** The share stopped. */
  stop(): void
}
