import { Bitfield, encodeMetadata, type Manifest, PiecesError } from '@mycel/pieces'
import type { PieceStore } from '@mycel/store'
import { toHex } from '@mycel/wire'
import { type TokenBucket, takeFromAll } from '../rate-limit.js'
import { RateMeter } from '../rate-meter.js'
import { Downloader } from './downloader.js'
import type { ReadWindow, SwarmEnvironment, SwarmEvents } from './environment.js'
import { MetadataFetcher } from './metadata-fetcher.js'
import type { BlockRequest, MetadataRequest, PeerLink, ShareHandler, SwarmPeer } from './peer.js'
import { Changes, windowRanges } from './read-windows.js'
import { Selection } from './selection.js'
import { RECEIPT_KEY_BYTES, ServedPieces } from './served-pieces.js'

export type { ContentGuard, ReadWindow, SwarmEnvironment, SwarmEvents } from './environment.js'

interface Member {
  /** The member's pieces, once we know the piece count. */
  bits?: Bitfield
  /** A bitfield received before we had the manifest. */
  rawBits?: Uint8Array
}

/** A peer that did not join after our bitfield is sent it again when invited again, at most this often. */
const REINVITE_MS = 10_000

/**
 * Everything about one share on this node: its members (peers that sent a
 * `bitfield` for it), what we hold, the downloader while pieces are
 * missing, and serving pieces and metadata to members. It knows peers only
 * through the {@link SwarmPeer} seam: any wire that implements it can take
 * part, and drives the swarm through {@link ShareHandler}.
 * @internal
 */
export class Swarm implements ShareHandler {
  readonly infohashHex: string
  readonly uploaded = new RateMeter()
  readonly downloaded = new RateMeter()
  readonly uploadLimit: TokenBucket
  readonly downloadLimit: TokenBucket
  manifest: Manifest | undefined
  store: PieceStore | undefined
  have: Bitfield | undefined
  /** The share's metadata (info dictionary and piece layers) as `meta-get` serves it, once known. */
  metadata: Uint8Array | undefined
  private readonly members = new Map<SwarmPeer, Member>()
  private downloader: Downloader | undefined
  private fetcher: MetadataFetcher | undefined
  /** A manifest handed over (useManifest) before the metadata fetch started. */
  private givenManifest: Manifest | undefined
  /** When our bitfield last went to each peer. */
  private readonly sentBitfield = new WeakMap<SwarmPeer, number>()
  private readonly changes = new Changes()
  private readonly readers = new Set<ReadWindow>()
  /** The pieces this download wants: every one, or those of some files. */
  private selection = new Selection()
  private failure: unknown
  private stopped = false
  /** What the uploader reads of this share (pieces, proofs, upload limits), handed to it for members only. */
  readonly served: ServedPieces

  constructor(
    readonly infohash: Uint8Array,
    private readonly environment: SwarmEnvironment,
    readonly events: SwarmEvents,
    limits: { upload: TokenBucket; download: TokenBucket },
  ) {
    this.infohashHex = toHex(infohash)
    this.uploadLimit = limits.upload
    this.downloadLimit = limits.download
    this.served = new ServedPieces(this, [environment.uploadLimit, limits.upload], this.uploaded, environment.transfers)
  }

  /** Peers taking part in this share. */
  get memberCount(): number {
    return this.members.size
  }

  /** Connected peers of the swarm. */
  get peers(): SwarmPeer[] {
    return [...this.members.keys()]
  }

  /** Whether a peer is a member (it sent a bitfield we took). */
  isMember(peer: SwarmPeer): boolean {
    return this.members.has(peer)
  }

  /** Whether every wanted piece is held (every piece, unless some files were selected). */
  get complete(): boolean {
    return this.have !== undefined && this.selection.complete(this.have)
  }

  /** The selected files' paths; undefined when every file is wanted. */
  get selectedFiles(): string[] | undefined {
    return this.selection.paths
  }

  /**
   * Bytes and pieces wanted, and wanted pieces held (the figures of a
   * download's progress). Counters kept as pieces are stored and wanted:
   * cheap to ask on every event.
   */
  get wanted(): { bytes: number; pieces: number; held: number } {
    const have = this.have
    return {
      bytes: this.selection.wantedBytes,
      pieces: this.selection.wantedCount,
      held: have === undefined ? 0 : this.selection.held(have),
    }
  }

  /**
   * Downloads only these files (paths inside the share); undefined for
   * every file. Call before the download starts.
   */
  selectFiles(files: readonly string[] | undefined): void {
    this.selection = new Selection(files)
  }

  /**
   * Adds files to the selection of a running download.
   * @throws `NodeError` `FILE_NOT_FOUND` for a path the share does not have (once its manifest is known)
   */
  addFiles(files: readonly string[]): void {
    this.wantMore(this.selection.addFiles(files, this.have))
  }

  /** Bytes of verified pieces held, counted as {@link Swarm.wanted} is (a counter, not a walk over the pieces). */
  get verifiedBytes(): number {
    return this.have === undefined ? 0 : this.selection.heldBytes
  }

  /** The error that stopped the download, if any. */
  get error(): unknown {
    return this.failure
  }

  /**
   * Starts with a known manifest (a share we seed, or a download resumed
   * after a restart) and the pieces already verified.
   */
  async open(manifest: Manifest, store: PieceStore, have: Bitfield): Promise<void> {
    this.metadata = encodeMetadata(manifest)
    this.adopt(manifest, store, have)
  }

  /** Starts a download that knows only the infohash: the metadata comes from members. */
  fetchMetadata(): void {
    if (this.manifest !== undefined || this.fetcher !== undefined) return
    const given = this.givenManifest
    if (given !== undefined) {
      this.givenManifest = undefined
      void this.onMetadata(given, encodeMetadata(given))
      return
    }
    this.fetcher = new MetadataFetcher(this.infohash, {
      log: this.environment.log,
      onManifest: (manifest, metadata) => void this.onMetadata(manifest, metadata),
      onBadMetadata: (peer, error) =>
        this.environment.ban(peer.link, `sent bad metadata: ${error.code}`, this.infohash),
    })
    for (const [peer, member] of this.members) if ((member.rawBits?.length ?? 0) > 0) this.fetcher.addPeer(peer)
  }

  /**
   * Takes a manifest known from elsewhere (a `.torrent` file) in place of
   * fetching the metadata from members: a fetch in progress stops and the
   * download starts; one not started yet never starts. Does nothing once the
   * manifest is known.
   */
  useManifest(manifest: Manifest): void {
    if (this.manifest !== undefined || manifest.infohashHex !== this.infohashHex) return
    if (this.fetcher === undefined) {
      this.givenManifest = manifest // fetchMetadata() takes it
      return
    }
    this.fetcher.stop()
    void this.onMetadata(manifest, encodeMetadata(manifest))
  }

  /**
   * Sends our bitfield to a connected peer, asking it to join. A peer that
   * did not join after an earlier invitation (it did not have the share
   * then) is asked again, at most every 10 s.
   */
  invite(peer: SwarmPeer): void {
    if (this.stopped || this.members.has(peer)) return
    const sentAt = this.sentBitfield.get(peer)
    this.greet(peer, sentAt !== undefined && Date.now() - sentAt >= REINVITE_MS)
  }

  // ShareHandler: what the peers' wire tells this share

  /** The peer sent which pieces it holds: it joins (a later bitfield replaces the earlier). */
  onBitfield(peer: SwarmPeer, bits: Uint8Array): void {
    if (this.stopped) return
    const member: Member = this.members.get(peer) ?? {}
    const joining = !this.members.has(peer)
    this.members.set(peer, member)
    if (joining) {
      this.greet(peer, false)
      this.environment.membersChanged(this)
    }
    if (this.manifest === undefined) {
      member.rawBits = bits.slice() // messages are transient: keep a copy
      if (bits.length > 0) this.fetcher?.addPeer(peer)
      return
    }
    this.acceptBits(peer, member, bits)
  }

  /** The peer now holds a piece. */
  onHave(peer: SwarmPeer, piece: number): void {
    if (this.stopped) return
    const member = this.members.get(peer)
    if (member === undefined) return
    if (member.bits === undefined) {
      if (this.manifest === undefined) return // counted once its bitfield can be read
      member.bits = new Bitfield(this.manifest.pieceCount)
      this.downloader?.addPeer(peer, member.bits)
    }
    if (piece >= member.bits.size) {
      this.environment.fault(peer.link, `announced piece ${piece} of ${member.bits.size}`)
      return
    }
    if (member.bits.set(piece)) this.downloader?.peerHas(peer, piece)
  }

  /** Pieces go only to members, once we hold some (the uploader checks which). */
  onRequest(peer: SwarmPeer, request: BlockRequest): void {
    const served = !this.stopped && this.members.has(peer) && this.have !== undefined
    this.environment.serveBlock(peer, request, served ? this.served : undefined)
  }

  /**
   * Metadata goes only to members (a download sends its `bitfield` before
   * it asks), through the peer's uploader: queued behind its other
   * requests, within its metadata budget, and sent only as fast as the peer
   * reads.
   */
  onMetadataRequest(peer: SwarmPeer, request: MetadataRequest): void {
    const served = !this.stopped && this.members.has(peer) && this.metadata !== undefined
    this.environment.serveMetadata(peer, request, served ? this.served : undefined)
  }

  /**
   * The peer disconnected (or was banned).
   * @returns whether it was a member
   */
  leave(peer: SwarmPeer): boolean {
    if (!this.members.delete(peer)) return false
    this.environment.membersChanged(this)
    this.downloader?.removePeer(peer)
    this.fetcher?.removePeer(peer)
    this.events.onProgress()
    return true
  }

  /**
   * A streaming reader says what it wants (before the manifest is known, too):
   * the pieces under every reader's window are fetched first, with proofs.
   * Call again after moving `window.position`; `remove` when done.
   */
  want(window: ReadWindow, remove = false): void {
    if (remove) this.readers.delete(window)
    else this.readers.add(window)
    this.updatePriority()
  }

  /** Bytes already received and proven of a range of a piece not yet stored. */
  provenRange(piece: number, offset: number): Uint8Array | undefined {
    return this.downloader?.receivedRange(piece, offset)
  }

  /** Resolves at the next change that a waiting reader may care about. */
  changed(signal?: AbortSignal): Promise<void> {
    return this.changes.next(signal)
  }

  /** Stops downloading and serving; members are forgotten. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.downloader?.stop()
    this.fetcher?.stop()
    this.served.guard?.stop()
    this.members.clear()
    this.wakeAll()
  }

  /**
   * Stops serving pieces that no longer match the share (a seeded file
   * changed on disk): requests for them are refused `NOT_AVAILABLE`, and
   * members get a fresh bitfield without them.
   */
  dropPieces(pieces: readonly number[]): void {
    const have = this.have
    if (have === undefined) return
    let dropped = false
    for (const piece of pieces) {
      this.served.forget(piece)
      if (!have.set(piece, false)) continue
      this.selection.dropped(piece)
      dropped = true
    }
    if (dropped && !this.stopped) for (const peer of this.members.keys()) this.greet(peer, true)
  }

  /** Serves again pieces that verified after their file changed; members lacking them hear `have`. */
  restorePieces(pieces: readonly number[]): void {
    const have = this.have
    if (have === undefined || this.stopped) return
    for (const piece of pieces) {
      if (!have.set(piece)) continue
      this.selection.stored(piece)
      for (const [peer, member] of this.members) {
        if (!member.bits?.get(piece)) peer.sendHave(piece)
      }
    }
  }

  /** Whether we hold a piece, verified. */
  has(piece: number): boolean {
    return this.have?.get(piece) ?? false
  }

  /** Tells the receipts how many verified bytes of a stored piece each contributor sent (an even split). */
  private creditContributors(piece: number, contributors: readonly PeerLink[]): void {
    const transfers = this.environment.transfers
    if (transfers === undefined || contributors.length === 0) return
    const size = (this.manifest as Manifest).pieceSize(piece)
    const share = Math.floor(size / contributors.length)
    contributors.forEach((peer, i) => {
      // Receipts name mycel peers by their 32-byte key; peers of another wire are not counted.
      if (peer.keyBytes.length !== RECEIPT_KEY_BYTES) return
      transfers.verified(peer.keyBytes, this.infohash, i === 0 ? size - share * (contributors.length - 1) : share)
    })
  }

  private greet(peer: SwarmPeer, again: boolean): void {
    if (this.sentBitfield.has(peer) && !again) return
    this.sentBitfield.set(peer, Date.now())
    peer.sendBitfield(this.have?.toBytes() ?? new Uint8Array(0))
  }

  private acceptBits(peer: SwarmPeer, member: Member, bits: Uint8Array): void {
    const count = (this.manifest as Manifest).pieceCount
    const known = member.bits !== undefined
    try {
      member.bits = bits.length === 0 ? new Bitfield(count) : Bitfield.fromBytes(bits, count)
    } catch (error) {
      if (!(error instanceof PiecesError)) throw error
      this.environment.fault(peer.link, `sent a bad bitfield: ${error.message}`)
      return
    }
    member.rawBits = undefined
    // A later bitfield replaces the earlier (a seeder whose files changed no longer has some pieces).
    if (known) this.downloader?.removePeer(peer)
    this.downloader?.addPeer(peer, member.bits)
    this.events.onProgress()
  }

  private async onMetadata(manifest: Manifest, metadata: Uint8Array): Promise<void> {
    this.fetcher = undefined
    try {
      await this.environment.state.putManifest(manifest)
      const { store, have } = await this.environment.openStore(manifest)
      if (this.stopped) {
        await store.close()
        return
      }
      this.metadata = metadata
      this.events.onManifest(manifest)
      this.adopt(manifest, store, have)
      // every wanted piece was already there (verified in place): done without a downloader
      if (this.complete && this.failure === undefined) this.events.onComplete()
    } catch (error) {
      this.fail(error)
    }
  }

  /**
   * Takes the manifest and the pieces held: starts downloading what is
   * missing, and reads the bitfields members sent before we could.
   */
  private adopt(manifest: Manifest, store: PieceStore, have: Bitfield): void {
    this.manifest = manifest
    this.store = store
    this.have = have
    try {
      this.selection.resolve(manifest, have)
    } catch (error) {
      this.fail(error) // a selected file the share does not have
      return
    }
    if (!this.complete) this.startDownloader()
    for (const [peer, member] of this.members) {
      this.greet(peer, true)
      if (member.bits === undefined) this.acceptBits(peer, member, member.rawBits ?? new Uint8Array(0))
    }
    this.wakeAll()
    this.events.onProgress()
  }

  private updatePriority(): void {
    const manifest = this.manifest
    if (manifest === undefined) return
    const ranges = windowRanges(manifest, this.readers)
    // A reader outside the selection: what it reads is fetched, and kept.
    const have = this.have
    if (have !== undefined)
      for (const { start, end } of ranges) this.wantMore(this.selection.addPieces(start, end, have))
    this.downloader?.setPriority(ranges)
  }

  /** Fetches newly wanted missing pieces, starting a downloader again if the download was complete. */
  private wantMore(pieces: readonly number[]): void {
    if (pieces.length === 0) return
    if (this.downloader !== undefined) {
      this.downloader.want(pieces)
    } else if (this.store !== undefined && !this.stopped && this.failure === undefined) {
      this.startDownloader()
      this.events.onIncomplete()
    }
    this.events.onProgress()
  }

  private startDownloader(): void {
    const manifest = this.manifest as Manifest
    const have = this.have as Bitfield
    this.downloader = new Downloader(
      manifest,
      have,
      {
        storePiece: async (piece, bytes) => {
          await (this.store as PieceStore).writePiece(piece, bytes)
          this.environment.state.markVerified(this.infohash, piece)
        },
        onPieceStored: (piece, contributors) => {
          for (const peer of contributors) this.environment.score(peer, 1)
          this.creditContributors(piece, contributors)
          this.onPieceStored(piece)
        },
        onCorrupt: (piece, contributors) => this.onCorrupt(piece, contributors),
        onPeerFault: (peer, reason) => this.environment.fault(peer.link, `request ${reason}`, this.infohash),
        onProvenBytes: () => this.wakeAll(),
        onStoreError: (error) => this.fail(error),
        onComplete: () => this.onDownloaderComplete(),
        takeTokens: (bytes) => takeFromAll([this.environment.downloadLimit, this.downloadLimit], bytes),
        log: this.environment.log,
      },
      this.selection.pieces,
    )
    this.updatePriority()
    for (const [peer, member] of this.members) if (member.bits) this.downloader.addPeer(peer, member.bits)
  }

  private onPieceStored(piece: number): void {
    const have = this.have as Bitfield
    if (have.set(piece)) this.selection.stored(piece)
    this.downloaded.add((this.manifest as Manifest).pieceSize(piece))
    for (const [peer, member] of this.members) {
      if (!member.bits?.get(piece)) peer.sendHave(piece)
    }
    this.wakeAll()
    this.events.onProgress()
  }

  private onCorrupt(piece: number, contributors: PeerLink[]): void {
    if (contributors.length === 1) {
      this.environment.ban(contributors[0] as PeerLink, `sent a corrupt piece ${piece}`, this.infohash)
      return
    }
    for (const peer of contributors) this.environment.score(peer, -5, `sent part of corrupt piece ${piece}`)
  }

  private onDownloaderComplete(): void {
    this.downloader?.stop()
    this.downloader = undefined
    this.wakeAll()
    this.events.onComplete()
  }

  /** Stops the download on an error (reported through `events.onError`); the first error counts. */
  fail(error: unknown): void {
    if (this.failure !== undefined) return
    this.failure = error
    this.downloader?.stop()
    this.downloader = undefined
    this.wakeAll()
    this.events.onError(error)
  }

  private wakeAll(): void {
    this.changes.wakeAll()
  }
}
