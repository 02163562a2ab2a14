import { type Bitfield, type Manifest, PieceTree } from '@mycel/pieces'
import type { PieceStore } from '@mycel/store'
import { NodeError } from '../errors.js'
import { type TokenBucket, takeFromAll } from '../rate-limit.js'
import type { RateMeter } from '../rate-meter.js'
import type { TransferAccounting } from '../receipts/receipts-protocol.js'
import type { ContentGuard } from './environment.js'
import type { SwarmPeer } from './peer.js'
import type { ServedShare } from './uploader.js'

/** Pieces kept ready in memory with their Merkle trees, for proofs. */
const PROOF_TREE_CACHE = 8

/** Bytes of the peer keys receipts name (mycel's Ed25519 peer ids); peers of another wire are not counted. */
export const RECEIPT_KEY_BYTES = 32

/** What a share holds, as its swarm knows it (undefined while the manifest is not known). @internal */
export interface HeldContent {
  readonly infohash: Uint8Array
  readonly manifest: Manifest | undefined
  readonly metadata: Uint8Array | undefined
  readonly store: PieceStore | undefined
  readonly have: Bitfield | undefined
}

/**
 * What the uploader reads of one share: its verified pieces, the Merkle
 * proofs of ranges of them (from a small cache of piece trees), and its
 * upload limits. A swarm hands it to the uploader only for its members.
 * @internal
 */
export class ServedPieces implements ServedShare {
  /** Checks a seeded share's files before serving from them (content-watch.ts). */
  guard: ContentGuard | undefined
  private readonly proofTrees = new Map<number, Promise<PieceTree>>()

  /**
   * @param held - the share's manifest, metadata, store and verified pieces (read at each call)
   * @param limits - the upload limits a send waits for (the node's and the share's)
   * @param uploaded - counts the bytes sent
   * @param transfers - receipts (`receipts/1`), when the node runs them: told of bytes sent, asked whom to serve
   */
  constructor(
    private readonly held: HeldContent,
    private readonly limits: readonly TokenBucket[],
    private readonly uploaded: RateMeter,
    private readonly transfers?: TransferAccounting,
  ) {}

  get manifest(): Manifest | undefined {
    return this.held.manifest
  }

  get metadata(): Uint8Array | undefined {
    return this.held.metadata
  }

  has(piece: number): boolean {
    return this.held.have?.get(piece) ?? false
  }

  readInto(piece: number, offset: number, target: Uint8Array): Promise<Uint8Array> {
    const guard = this.guard
    if (guard === undefined) return this.readHeld(piece, offset, target)
    // A piece may have been dropped since the request was queued (its file changed): checked again here.
    const held = () => {
      if (!this.has(piece)) throw new NodeError('CONTENT_CHANGED', `piece ${piece} no longer matches the share`)
      return this.readHeld(piece, offset, target)
    }
    const checked = guard.beforeRead(piece)
    return checked === undefined ? Promise.resolve().then(held) : checked.then(held)
  }

  async proof(piece: number, offset: number, length: number): Promise<Uint8Array> {
    let tree = this.proofTrees.get(piece)
    if (tree === undefined) {
      const manifest = this.held.manifest as Manifest
      tree = (this.held.store as PieceStore).readPiece(piece).then((bytes) => new PieceTree(manifest, piece, bytes))
      this.proofTrees.set(piece, tree)
      if (this.proofTrees.size > PROOF_TREE_CACHE) this.proofTrees.delete(this.proofTrees.keys().next().value as number)
    }
    return (await tree).proof(offset, length)
  }

  /** Forgets the cached tree of a piece that no longer matches the share. */
  forget(piece: number): void {
    this.proofTrees.delete(piece)
  }

  takeTokens(bytes: number): Promise<void> | undefined {
    return takeFromAll(this.limits, bytes)
  }

  onUploaded(peer: SwarmPeer, bytes: number): void {
    this.uploaded.add(bytes)
    if (peer.link.keyBytes.length === RECEIPT_KEY_BYTES) {
      this.transfers?.sentTo(peer.link.keyBytes, this.held.infohash, bytes)
    }
  }

  mayServe(peer: SwarmPeer): boolean {
    if (peer.link.keyBytes.length !== RECEIPT_KEY_BYTES) return true
    return this.transfers?.mayServe(peer.link.keyBytes, this.held.infohash) ?? true
  }

  whenServable(peer: SwarmPeer): Promise<void> {
    return this.transfers?.whenServable(peer.link.keyBytes, this.held.infohash) ?? Promise.resolve()
  }

  private readHeld(piece: number, offset: number, target: Uint8Array): Promise<Uint8Array> {
    const location = (this.held.manifest as Manifest).locatePiece(piece)
    return (this.held.store as PieceStore).readInto(location.fileIndex, location.offset + offset, target)
  }
}
