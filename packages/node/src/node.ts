import { type Manifest, parseMagnet } from '@mycel/pieces'
import { isPrivateLink, parsePrivateLink } from '@mycel/pieces/private'
import type { SearchHit, ShareFilter } from '@mycel/store'
import { getDefaultCrypto } from '@mycel/wire/crypto'
import { Channels } from './channels/channels.js'
import { every } from './clock.js'
import { baselineStamps, sourceFilesOf, stampFiles, stampsEntry } from './content-watch.js'
import * as destination from './destination.js'
import { saveRoutingTable } from './dht-table.js'
import {
  addShareTrackers,
  discoverShare,
  forgetShareDiscovery,
  restrictIfPrivate,
  type ShareDiscoveryContext,
  shareTransfer,
} from './discovery/share-discovery.js'
import { checkTrackers, loadShareTrackers, ShareTrackers } from './discovery/share-trackers.js'
import type { TrackerStatus } from './discovery/tracker/tracker-source.js'
import {
  type AnnounceKeyPolicy,
  checkAnnounceKey,
  DirectPeerSource,
  DiscoveryScheduler,
  type TrackerList,
} from './discovery.js'
import { Emitter } from './emitter.js'
import { NodeError } from './errors.js'
import type { NodeEvents, PeerInfo, ShareStats } from './events.js'
import { type Download, type HandleControl, type Share, statsOf } from './handles.js'
import { addKnownManifest } from './known-manifest.js'
import type { NodeParts } from './node-parts.js'
import type { DownloadOptions, NodeStats, ShareOptions, SignalOptions } from './options.js'
import { Gossip } from './peer/gossip.js'
import { PeerExchange } from './peer/pex.js'
import type { ConnectionPool } from './peer/pool.js'
import { ProtocolRegistry } from './peer/protocols.js'
import { PeerRegistry } from './peer/registry.js'
import type { PrivateShare, PrivateShareOptions } from './private/options.js'
import { PrivateReads, privateContent } from './private/private-content.js'
import { PrivateShares } from './private/private-shares.js'
import { forgetPrivateShare } from './private/record.js'
import { TokenBucket } from './rate-limit.js'
import { type ReadStreamOptions, readFile } from './read-stream.js'
import { ReceiptsProtocol } from './receipts/receipts-protocol.js'
import { checkFiles, saveSelection } from './saved-selection.js'
import { recordSeed } from './share/seed-record.js'
import { ShareSession } from './share/session.js'
import { peersOfShare, trackersOfShare } from './share/share-status.js'
import { infohashBytes, keyOf } from './share-key.js'
import type { Swarm, SwarmEnvironment } from './swarm/swarm.js'
import type { TypedEmitter } from './typed-emitter.js'

export type { NodeParts } from './node-parts.js'

/** How often the DHT's routing table (with the address the network sees) is saved; also at close. */
const DHT_SAVE_INTERVAL_MS = 15 * 60_000
/** How often the bytes each share moved are added to its record; also when it stops and at close. */
const TOTALS_SAVE_INTERVAL_MS = 60_000

/**
 * A mycel node: shares files, finds peers on the DHT, downloads, streams
 * and seeds. Make one with `createNode` (Node.js) or `createCoreNode`
 * (`@mycel/node/core`); close it with
 * {@link MycelNode.close}, which releases every socket, timer and file.
 *
 * The node wires its parts and keeps one share session per share it
 * runs; what happens to a share happens in its session.
 *
 * @example
 * ```ts
 * const node = await createNode({ dataDir: './.mycel', bootstrap: ['127.0.0.1:6881'] })
 * const share = await node.share('./photos')
 * console.log(share.magnet)
 * await node.close()
 * ```
 */
export class MycelNode extends (Emitter as new () => TypedEmitter<NodeEvents>) {
  /** This node's peer id (base32). */
  readonly peerId: string
  /**
   * Pushed updates on topics to and from connected peers (`gossip/1`): what
   * features such as channels build on.
   */
  readonly gossip = new Gossip()
  /** Channels: keys that publish updatable lists of shares, followed by subscribers (see `docs/channels.md`). */
  readonly channels: Channels
  private readonly sessions = new Map<string, ShareSession>()
  /**
   * Private shares: download and decrypt, read as plaintext, change readers
   * (a private share is made with {@link MycelNode.share} and `private`).
   */
  readonly private: PrivateShares
  private readonly pool: ConnectionPool
  private readonly registry: PeerRegistry
  private readonly discovery: DiscoveryScheduler<Swarm>
  /** What a share's discovery needs: the scheduler, its own trackers, the private-torrent rule. */
  private readonly shareDiscovery: ShareDiscoveryContext
  /** The addresses the user gave for downloads (magnet `x.pe`, `DownloadOptions.peers`), as a peer source. */
  private readonly directPeers = new DirectPeerSource()
  private readonly uploadLimit: TokenBucket
  private readonly downloadLimit: TokenBucket
  private readonly environment: SwarmEnvironment
  private readonly control: HandleControl
  /** The optional protocols this node speaks on its connections (peer exchange, gossip, and any an app adds). */
  private readonly protocols = new ProtocolRegistry()
  private readonly pex: PeerExchange
  private readonly stopDhtSaves: () => void
  private readonly stopTotalsSaves: () => void
  /** What the node tells its tracker accounts (receipts, bans), if it has any. */
  private readonly accounts: { close(): Promise<void> } | undefined
  private closing: Promise<void> | undefined

  /** @internal */
  constructor(private readonly parts: NodeParts) {
    super()
    // Private versions this node made are encrypted on read; private downloads decrypt the pieces they store.
    const reads = new PrivateReads()
    parts.storage = privateContent(parts.storage, parts.state, reads, getDefaultCrypto())
    this.peerId = parts.identity.toString()
    this.uploadLimit = new TokenBucket(parts.limits.uploadRate)
    this.downloadLimit = new TokenBucket(parts.limits.downloadRate)
    const swarmOf = (infohashHex: string) => this.sessions.get(infohashHex)?.swarm
    const swarms = () => [...this.sessions.values()].map((session) => session.swarm)
    this.registry = new PeerRegistry(this, parts.state, {
      maxPeersPerShare: parts.limits.maxPeersPerShare,
      swarmOf,
      swarms,
      logger: parts.logger,
      clock: parts.clock,
    })
    this.pex = new PeerExchange({
      clock: parts.clock,
      log: parts.logger.forComponent('mycel:peer'),
      swarmOf,
      swarms,
      found: (swarm, addresses) => this.discovery.offer(swarm, addresses, this.pex),
      exchanges: (swarm) => !this.discovery.isRestricted(swarm),
    })
    this.protocols.register(this.pex)
    this.protocols.register(this.gossip)
    for (const protocol of parts.protocols) this.protocols.register(protocol)
    this.pool = parts.createPool(this.registry, this.protocols)
    this.registry.attach(this.pool)
    this.discovery = new DiscoveryScheduler<Swarm>(
      [this.directPeers, ...parts.sources],
      {
        port: () => this.tcpPort(),
        wantsPeers: (swarm) => this.wantsPeers(swarm),
        // Peers the user named are dialled first, even while an earlier failure's backoff runs.
        found: (swarm, addresses, origin, rank) =>
          this.registry.connect(addresses, swarm, origin === this.directPeers ? { direct: true } : { rank }),
        transfer: shareTransfer,
      },
      { clock: parts.clock },
    )
    this.shareDiscovery = {
      scheduler: this.discovery,
      state: parts.state,
      trackers: new ShareTrackers({
        state: parts.state,
        client: parts.trackerClient,
        log: parts.logger.forComponent('mycel:tracker'),
        ws: parts.wsTrackers,
      }),
      announceKey: parts.announceKey,
      keepForPrivate: (source) => source === this.directPeers,
    }
    this.environment = {
      state: parts.state,
      uploadLimit: this.uploadLimit,
      downloadLimit: this.downloadLimit,
      openStore: (manifest) => {
        const session = this.sessions.get(manifest.infohashHex)
        if (session === undefined) return Promise.reject(NodeError.closed('the download'))
        return session.openDestination(manifest)
      },
      serveBlock: (peer, request, share) => this.registry.serveBlock(peer, request, share),
      serveMetadata: (peer, request, share) => this.registry.serveMetadata(peer, request, share),
      ban: (peer, reason, share) => this.registry.ban(peer, reason, share),
      score: (peer, delta, reason) => this.registry.score(peer, delta, reason),
      fault: (peer, reason, share) => this.registry.fault(peer, reason, share),
      membersChanged: (swarm) => this.pex.membersChanged(swarm),
      log: parts.logger.forComponent('mycel:swarm'),
      transfers: parts.protocols.find((protocol) => protocol instanceof ReceiptsProtocol),
    }
    const { wallNow, dht: channelDht, ...timings } = parts.channels
    this.channels = new Channels({
      state: parts.state,
      gossip: this.gossip,
      dht: channelDht ?? parts.dht,
      crypto: getDefaultCrypto(),
      clock: parts.clock,
      timings,
      ...(wallNow === undefined ? {} : { wallNow }),
      log: parts.logger.forComponent('mycel:channel'),
      score: (peer, delta, reason) => this.registry.score(peer, delta, reason),
      fault: (peer, reason) => this.registry.fault(peer, reason),
      connect: (address) => this.connect(address),
      port: () => this.tcpPort(),
      download: (entry) => this.download(entry.infohash),
    })
    // A process that is killed keeps the table of its last save, not none.
    this.stopDhtSaves = every(parts.clock, DHT_SAVE_INTERVAL_MS, () => void this.saveDht())
    this.stopTotalsSaves = every(parts.clock, TOTALS_SAVE_INTERVAL_MS, () => void this.saveTotals())
    this.accounts = parts.attachAccounts?.(this)
    this.control = {
      remove: (infohash, options) => this.stopShare(infohash, options),
      contentPath: (infohash) => this.sessions.get(keyOf(infohash))?.contentPath,
      progress: (progress) => this.emit('download-progress', progress), // throttled by the Download
    }
    this.private = new PrivateShares({
      context: {
        identity: parts.identity,
        state: parts.state,
        storage: parts.storage,
        privateStorage: parts.privateStorage,
        downloadDir: parts.storage.resolve(parts.downloadDir),
        crypto: getDefaultCrypto(),
        reads,
        seed: (manifest, contentPath, options) => this.seedManifest(manifest, contentPath, options),
        download: (link, options) => this.download(link, options),
        read: (infohashHex, path, options) => this.read(infohashHex, path, options),
        manifestOf: (infohashHex) => this.sessions.get(infohashHex)?.swarm.manifest,
        remove: (infohashHex) => this.remove(infohashHex),
        forget: (infohashHex) => this.remove(infohashHex, { deleteState: true }),
      },
      assertOpen: () => this.assertOpen(),
      runs: (infohashHex) => this.sessions.has(infohashHex),
      getShare: (infohashHex) => this.getShare(infohashHex),
    })
  }

  /** The addresses peers can reach this node at (listen addresses, ports resolved). */
  get addresses(): string[] {
    return this.pool.addresses
  }

  /** Connected peers. */
  peers(): PeerInfo[] {
    return this.pool.connections.map((peer) => this.registry.info(peer))
  }

  /**
   * Shares a file or folder: hashes it where it is (never copied), then
   * seeds it and announces it on the DHT. With `private`, encrypts it into
   * a new ciphertext version instead (streamed, in the node's private
   * folder), seeds that, and returns a {@link PrivateShare} with its links.
   *
   * @param path - a file or folder
   * @param options - piece length, progress callback, abort signal, `private`
   * @returns the share, with its magnet link
   * @throws `PiecesError` (`INGEST_*`) or a file-system error when the path cannot be hashed; `ABORTED`;
   *   for a private share also `PRIVATE_TOO_MANY_READERS`, `TransportError` `PEER_ID_INVALID` for a
   *   reader, `NodeError` `PRIVATE_UNSUPPORTED` on a node without private storage
   */
  share(path: string, options: ShareOptions & { private: PrivateShareOptions }): Promise<PrivateShare>
  share(path: string, options?: ShareOptions): Promise<Share>
  async share(path: string, options: ShareOptions = {}): Promise<Share | PrivateShare> {
    this.assertOpen()
    checkAnnounceKey(options.announceKey) // before any file is read
    checkTrackers(options.trackers)
    if (options.private !== undefined) {
      return this.private.share(path, { ...options, private: options.private })
    }
    const contentPath = this.parts.storage.resolve(path)
    const manifest = await this.parts.storage.ingest(contentPath, options)
    return this.seedManifest(manifest, contentPath, options)
  }

  /** Seeds a share whose files at `contentPath` were just hashed into `manifest`. */
  private async seedManifest(manifest: Manifest, contentPath: string, options: ShareOptions): Promise<Share> {
    const announceKey = checkAnnounceKey(options.announceKey)
    const trackers = checkTrackers(options.trackers)
    const { state, storage } = this.parts
    const existing = this.sessions.get(manifest.infohashHex)
    if (existing?.share !== undefined) {
      await addShareTrackers(this.shareDiscovery, existing.swarm, trackers ?? [])
      return existing.withTrackers((trackers ?? []).flat()) ?? existing.share
    }
    if (existing !== undefined) throw new NodeError('SHARE_EXISTS', `${manifest.name} is being downloaded`)
    const store = await storage.openSeed(manifest, contentPath)
    // The files as just hashed: saved with the record, in the same write.
    const stamps = await stampFiles({ files: sourceFilesOf(manifest, store), stamp: (path) => storage.stamp(path) })
    const record = await recordSeed(state, manifest, contentPath, new Map([stampsEntry(manifest.infohashHex, stamps)]))
    const magnetTrackers = [
      ...(await loadShareTrackers(state, manifest.infohashHex)).flat(),
      ...(trackers ?? []).flat(),
    ]
    const session = this.addSession(manifest.infohash, manifest.name, options.limits, announceKey, trackers)
    return session.seed(manifest, store, record, {
      stamps,
      trackers: [...new Set(magnetTrackers)],
      ...(options.limits ? { limits: options.limits } : {}),
    })
  }

  /**
   * Downloads a share from a magnet link (or a hex infohash). Returns at
   * once; await {@link Download.done} for the result. Downloading the same
   * share again returns the download in progress; a share stopped earlier
   * resumes from the pieces already verified.
   *
   * @param link - `magnet:?xt=urn:btmh:1220...`, 64 hex digits, or a private share's `mycel://` link:
   *   that downloads and seeds its ciphertext only (blind seeding; any key in the link is not used,
   *   see {@link PrivateShares.download} of `node.private` to read it)
   * @param options - download folder, direct peer addresses, limits, files to download
   * @returns the download
   * @throws `PiecesError` `MAGNET_MALFORMED` for a bad link; `CLOSED`; `FILE_NOT_FOUND` when files are
   *   added to a download whose manifest does not have them. The download fails (`done()` rejects) at once
   *   with `StoreError` `NOT_WRITABLE` when its folder cannot be made, and with `DESTINATION_EXISTS` or
   *   `FILE_NOT_FOUND` once the manifest is known, before anything is written
   */
  download(link: string, options: DownloadOptions = {}): Download {
    this.assertOpen()
    const magnet = isPrivateLink(link)
      ? { ...parsePrivateLink(link), name: undefined, trackers: [] as TrackerList }
      : parseMagnet(link)
    const announceKey = checkAnnounceKey(options.announceKey)
    // The caller's tiers first, then the magnet's trackers, a tier each.
    const trackers: TrackerList = [...(checkTrackers(options.trackers) ?? []), ...magnet.trackers]
    const infohashHex = keyOf(magnet.infohash)
    const peers = this.peerAddresses(magnet.peers, options.peers)
    const existing = this.sessions.get(infohashHex)
    if (existing?.download !== undefined) {
      void addShareTrackers(this.shareDiscovery, existing.swarm, trackers)
      if (options.files !== undefined) {
        existing.swarm.addFiles(checkFiles(options.files))
        // Before the manifest, the paths are unchecked: they are saved once it confirms them.
        if (existing.swarm.manifest !== undefined) void saveSelection(this.parts.state, existing.swarm)
      }
      this.addDirectPeers(existing.swarm, peers)
      return existing.download
    }
    if (existing !== undefined) throw new NodeError('SHARE_EXISTS', `${existing.name} is already shared here`)
    const files = options.files === undefined ? undefined : checkFiles(options.files)
    const existingFiles =
      options.existingFiles === undefined ? undefined : destination.checkExisting(options.existingFiles)
    const session = this.addSession(magnet.infohash, magnet.name ?? infohashHex, options.limits, announceKey, trackers)
    const download = session.asDownload()
    const folder = this.parts.storage.resolve(options.dir ?? this.parts.downloadDir)
    session
      .startDownload({
        folder,
        peers,
        ...(files === undefined ? {} : { files }),
        ...(existingFiles === undefined ? {} : { existingFiles }),
      })
      .catch((error) => session.swarm.fail(error))
    return download
  }

  /**
   * Reads one file of a share as verified bytes, in order. Pieces not yet
   * downloaded are fetched first, with Merkle proofs, so bytes flow before
   * their whole pieces arrive. Runs anywhere (see `createReadStream` of the
   * Node entry for a Node stream).
   *
   * @param infohash - the share (hex or bytes); it must be shared or downloading here
   * @param path - the file's path inside the share, components joined with `/`
   * @param options - `start`/`end` (inclusive) byte range, read-ahead, abort signal
   * @returns the bytes, chunk by chunk
   * @throws `SHARE_NOT_FOUND` (at once); the iteration fails with `FILE_NOT_FOUND` or `RANGE_INVALID`
   */
  read(infohash: string | Uint8Array, path: string, options: ReadStreamOptions = {}): AsyncIterable<Uint8Array> {
    const session = this.sessions.get(keyOf(infohash))
    if (session === undefined) throw new NodeError('SHARE_NOT_FOUND', 'no such share on this node')
    return readFile(session.swarm, path, options)
  }

  /**
   * Connects to a peer by address (at once, ahead of the addresses queued
   * for downloads) and offers it the shares being downloaded. An address
   * that leads to a peer we are connected to gives that connection.
   * @returns the peer
   * @throws `TransportError` when the dial fails; `NodeError` `PEER_TIMEOUT` when the peer does not answer
   *   within 5 s, `PEER_BANNED` for a banned peer, `PEER_SELF` for ourselves
   */
  async connect(address: string, options: SignalOptions = {}): Promise<PeerInfo> {
    this.assertOpen()
    const peer = await this.registry.dial(address, options.signal)
    for (const { swarm } of this.sessions.values()) if (!swarm.complete) this.registry.invite(swarm, peer)
    return this.registry.info(peer)
  }

  /**
   * Announces a share to every peer source now: the DHT, and any source the
   * app added (it is also re-announced every 15 minutes, or at a source's
   * own interval).
   * @returns how many places took the announcement (DHT nodes that stored it, trackers that answered)
   * @throws `SHARE_NOT_FOUND`; the first failure (`ABORTED` for the signal, a `DhtError`) when no source
   *   took it and one failed
   */
  async announce(infohash: string | Uint8Array, options: SignalOptions = {}): Promise<number> {
    const session = this.sessions.get(keyOf(infohash))
    if (session === undefined) throw new NodeError('SHARE_NOT_FOUND', 'no such share on this node')
    return this.discovery.announce(session.swarm, options.signal)
  }

  /**
   * The shares and downloads this node knows (also those stopped or in
   * error), in the order they were added, from its state store.
   */
  async list(filter: ShareFilter = {}): Promise<import('@mycel/store').ShareRecord[]> {
    return this.parts.state.listShares(filter)
  }

  /**
   * Finds shares by name (and file paths): every term must appear,
   * case-insensitively.
   */
  async search(text: string, options: { limit?: number } = {}): Promise<SearchHit[]> {
    return this.parts.state.search(text, options)
  }

  /** The manifest of a share this node knows. */
  async getManifest(infohash: string | Uint8Array): Promise<Manifest | undefined> {
    return this.parts.state.getManifest(infohashBytes(infohash))
  }

  /**
   * Makes a share's manifest known to the node, such as one read from a
   * `.torrent` file with `decodeTorrent`, so that a download of its infohash
   * starts without fetching the metadata from peers. It is kept in the state
   * store like fetched metadata; a download of the share that is waiting
   * for its metadata takes it at once.
   *
   * @param manifest - a manifest from `decodeTorrent`, `decodeMetadata` or `ingest` (they validate it)
   * @param options - abort signal
   * @throws `CLOSED`, `ABORTED`; `TypeError` for something that is not a manifest; a `StoreError` when
   *   the state store cannot save it
   *
   * @example
   * ```ts
   * const { manifest } = decodeTorrent(await readFile('photos.torrent'))
   * await node.addManifest(manifest)
   * const download = node.download(manifest.infohashHex, { dir: './in' })
   * ```
   */
  async addManifest(manifest: Manifest, options: SignalOptions = {}): Promise<void> {
    this.assertOpen()
    await addKnownManifest(this.parts.state, manifest, options.signal)
    this.sessions.get(manifest.infohashHex)?.swarm.useManifest(manifest)
  }

  /**
   * Transfer figures of a share this node runs (seeded or downloaded):
   * rates, bytes in this run, and all-time totals kept across restarts.
   * Undefined when the node does not run it (see {@link MycelNode.list} for
   * the stored totals of every share).
   */
  shareStats(infohash: string | Uint8Array): ShareStats | undefined {
    const session = this.sessions.get(keyOf(infohash))
    return session === undefined ? undefined : statsOf(session.swarm, session.name, session.totals)
  }

  /**
   * The connected peers that take part in a share now (a subset of
   * {@link MycelNode.peers}).
   *
   * @param infohash - the share (hex or bytes)
   * @returns its peers; empty when the node does not run the share
   */
  sharePeers(infohash: string | Uint8Array): PeerInfo[] {
    const swarm = this.sessions.get(keyOf(infohash))?.swarm
    return swarm === undefined ? [] : peersOfShare(swarm, this.peers())
  }

  /**
   * The trackers a share is announced to (its own: given to `share()` or
   * `download()`, a magnet's `tr`, a `.torrent`'s tiers; and the node's
   * `trackers`), each with how its last announce of the share went in this
   * run. Asks no tracker.
   *
   * @param infohash - the share (hex or bytes)
   * @returns one status per tracker, tiers numbered across the lists (the share's own first);
   *   empty when the node does not run the share
   */
  trackerStatus(infohash: string | Uint8Array): TrackerStatus[] {
    const swarm = this.sessions.get(keyOf(infohash))?.swarm
    return swarm === undefined ? [] : trackersOfShare(this.discovery, swarm)
  }

  /** A share this node seeds (also one resumed after a restart), if any. */
  getShare(infohash: string | Uint8Array): Share | undefined {
    return this.sessions.get(keyOf(infohash))?.share
  }

  /**
   * Stops sharing or downloading a share. Its files stay on disk; with
   * `deleteState` the node also forgets it (a later start does not resume
   * it), and for a private share it made, its content key. Removing a share
   * the node does not run is a no-op.
   *
   * @param infohash - the share (hex or bytes)
   * @param options - whether to forget the share in the state store
   * @throws `SHARE_NOT_FOUND` for something that is not an infohash (64 hex digits or 32 bytes)
   */
  async remove(infohash: string | Uint8Array, options: { deleteState?: boolean } = {}): Promise<void> {
    await this.stopShare(infohashBytes(infohash), { deleteState: options.deleteState ?? false })
    // A private share's record holds its content key: forgetting the share forgets the key.
    if (options.deleteState === true) await forgetPrivateShare(this.parts.state, keyOf(infohash))
  }

  /** The download of a share, if this node downloads it. */
  getDownload(infohash: string | Uint8Array): Download | undefined {
    return this.sessions.get(keyOf(infohash))?.download
  }

  /** Figures of the whole node. */
  stats(): NodeStats {
    const swarms = [...this.sessions.values()].map((session) => session.swarm)
    const sum = (f: (swarm: Swarm) => number) => swarms.reduce((total, swarm) => total + f(swarm), 0)
    return {
      peerId: this.peerId,
      addresses: this.addresses,
      connections: this.pool.connections.length,
      shares: this.sessions.size,
      bytesUploaded: sum((swarm) => swarm.uploaded.total),
      bytesDownloaded: sum((swarm) => swarm.downloaded.total),
      uploadRate: sum((swarm) => swarm.uploaded.bytesPerSecond),
      downloadRate: sum((swarm) => swarm.downloaded.bytesPerSecond),
      dht: this.parts.dht?.stats(),
      refusedConnections: this.pool.refusals,
      privacy: { ...this.parts.privacy },
    }
  }

  /**
   * Closes the node: every connection, listener, timer, DHT socket and open
   * file, after saving the state. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  /** @internal Starts listening and resumes the shares recorded in the state store. */
  async start(listen: readonly string[], signal?: AbortSignal): Promise<void> {
    for (const address of listen) await this.pool.listen(address, signal)
    await this.registry.loadBans()
    await this.channels.ready()
    const { resumeShares } = await import('./resume.js')
    const { state, storage } = this.parts
    await resumeShares(state, {
      seed: async (manifest, record) => {
        const store = await storage.openSeed(manifest, record.contentPath)
        const stamps = await baselineStamps(state, manifest, store, storage)
        const trackers = (await loadShareTrackers(state, manifest.infohashHex)).flat()
        this.addSession(manifest.infohash, manifest.name).seed(manifest, store, record, {
          stamps,
          lookNow: true,
          trackers,
        })
      },
      download: (infohash, name, contentPath) => {
        const session = this.addSession(infohash, name)
        session.asDownload()
        session
          .startDownload({ folder: storage.folderOf(contentPath), peers: [] })
          .catch((error) => session.swarm.fail(error))
      },
    })
  }

  /**
   * A new session for a share, announced and offered to peers as it starts,
   * under the announce key it chose (saved for it), else the one saved for
   * it, else the node's.
   */
  private addSession(
    infohash: Uint8Array,
    name: string,
    limits?: ShareOptions['limits'],
    announceKey?: AnnounceKeyPolicy,
    trackers?: TrackerList,
  ): ShareSession {
    const session = new ShareSession(
      infohash,
      name,
      {
        state: this.parts.state,
        storage: this.parts.storage,
        environment: this.environment,
        control: this.control,
        changeCheckInterval: this.parts.changeCheckInterval,
        inviteAll: (swarm) => {
          for (const peer of this.pool.connections) this.registry.invite(swarm, peer)
        },
        answerAsks: (swarm) => this.registry.answerAsks(swarm),
        connect: (swarm, addresses) => this.addDirectPeers(swarm, addresses),
        discover: (swarm) => discoverShare(this.shareDiscovery, swarm, { announceKey, trackers }),
        forget: (swarm) => forgetShareDiscovery(this.shareDiscovery, swarm),
        manifestKnown: (swarm, manifest) => restrictIfPrivate(this.shareDiscovery, swarm, manifest),
        downloadDone: (progress) => {
          const session = this.sessions.get(progress.infohash)
          if (session !== undefined) this.discovery.completed(session.swarm)
          this.emit('download-done', progress)
        },
        downloadError: (infohashHex, error) => this.emit('download-error', infohashHex, error),
        shareChanged: (change) => this.emit('share-changed', change),
      },
      limits,
    )
    this.sessions.set(session.infohashHex, session)
    this.emit('share-added', session.infohashHex, name)
    return session
  }

  private async stopShare(infohash: Uint8Array, options: { deleteState: boolean }): Promise<void> {
    const infohashHex = keyOf(infohash)
    const session = this.sessions.get(infohashHex)
    if (session === undefined) return
    this.sessions.delete(infohashHex)
    await session.stop(options)
    this.emit('share-removed', infohashHex)
  }

  /** Addresses the user gave for a download: looked up (so dialled) now, and again while it lacks peers. */
  private addDirectPeers(swarm: Swarm, peers: readonly string[]): void {
    if (peers.length === 0) return
    this.directPeers.add(swarm.infohash, peers)
    this.discovery.refresh(swarm, this.directPeers)
  }

  /** Whether a share wants more peers: a download that is not complete nor full. */
  private wantsPeers(swarm: Swarm): boolean {
    return !swarm.complete && swarm.memberCount < this.parts.limits.maxPeersPerShare
  }

  /**
   * Transport addresses of a magnet link's `x.pe` hints (`host:port`, dialled over TCP) and of the caller's list.
   * @throws TypeError when `peers` is not an array of strings
   */
  private peerAddresses(hints: readonly string[], peers: readonly string[] = []): string[] {
    if (!Array.isArray(peers) || peers.some((peer) => typeof peer !== 'string')) {
      throw new TypeError('peers must be an array of transport addresses')
    }
    return [...hints.map((hostPort) => `tcp://${hostPort}`), ...peers]
  }

  private tcpPort(): number | undefined {
    // Behind a proxy the listeners are not reachable at the address sources see (onion addresses travel in hello).
    if (this.parts.privacy.proxy !== undefined) return undefined
    for (const address of this.pool.addresses) {
      const match = /^tcp:\/\/.*:(\d+)$/.exec(address)
      if (match) return Number(match[1])
    }
    return undefined
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw NodeError.closed()
  }

  /** Adds what every share moved since the last save to its record. */
  private async saveTotals(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => session.totals.save()))
  }

  /** Saves the DHT's routing table for the next start (a failure only costs that start a cold table). */
  private async saveDht(): Promise<void> {
    const { dht, state, logger } = this.parts
    if (dht !== undefined) await saveRoutingTable(dht, state, logger.forComponent('mycel:node'))
  }

  private async shutdown(): Promise<void> {
    this.pex.close()
    this.channels.close()
    this.stopDhtSaves()
    this.stopTotalsSaves()
    await this.discovery.close()
    await this.accounts?.close()
    await this.parts.trackerClient.close()
    for (const session of this.sessions.values()) {
      session.swarm.stop()
      session.download?.fail(NodeError.closed())
    }
    this.registry.close()
    await this.pool.close()
    await Promise.allSettled([...this.sessions.values()].map((session) => session.swarm.store?.close()))
    await this.saveTotals()
    this.sessions.clear()
    const { dht, state, ownsState, storage } = this.parts
    if (dht !== undefined) {
      await this.saveDht()
      await dht.close()
    }
    await this.registry.flushScores()
    if (ownsState) await state.close()
    else await state.flush()
    await storage.close()
  }
}
