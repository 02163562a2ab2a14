import type { DhtNode } from '@mycel/dht'
import { Bitfield, type Manifest, parseMagnet } from '@mycel/pieces'
import type { SearchHit, ShareFilter, StateStore } from '@mycel/store'
import type { Identity } from '@mycel/transport'
import { fromHex, toHex } from '@mycel/wire'
import { describeError, type Logger } from '@mycel/wire/log'
import { type Clock, every } from './clock.js'
import type { ContentStorage } from './content.js'
import { baselineStamps } from './content-watch.js'
import * as destination from './destination.js'
import {
  type AnnounceKeyPolicy,
  checkAnnounceKey,
  DirectPeerSource,
  DiscoveryScheduler,
  type PeerSource,
  resolveShareKey,
} from './discovery.js'
import { Emitter } from './emitter.js'
import { NodeError } from './errors.js'
import type { NodeEvents, PeerInfo, ShareStats } from './events.js'
import { type Download, type HandleControl, type Share, statsOf } from './handles.js'
import { addKnownManifest } from './known-manifest.js'
import type { DownloadOptions, NodeStats, PrivacyStatus, ShareOptions, SignalOptions } from './options.js'
import { Gossip } from './peer/gossip.js'
import { PeerExchange } from './peer/pex.js'
import type { ConnectionPool } from './peer/pool.js'
import { type ConnectionProtocol, ProtocolRegistry } from './peer/protocols.js'
import { PeerRegistry } from './peer/registry.js'
import { TokenBucket } from './rate-limit.js'
import { type ReadStreamOptions, readFile } from './read-stream.js'
import { checkFiles, saveSelection } from './saved-selection.js'
import { ShareSession } from './share/session.js'
import { DHT_ROUTING_TABLE_KEY } from './state-keys.js'
import type { Swarm, SwarmEnvironment } from './swarm/swarm.js'
import type { TypedEmitter } from './typed-emitter.js'

/** The key of a share in the node's maps: its infohash as lower-case hex. */
function keyOf(infohash: string | Uint8Array): string {
  return typeof infohash === 'string' ? infohash.toLowerCase() : toHex(infohash)
}

/** An infohash given as hex or bytes, as bytes. */
function infohashBytes(infohash: string | Uint8Array): Uint8Array {
  const bytes = typeof infohash === 'string' ? fromHex(infohash) : infohash
  if (bytes?.length !== 32) throw new NodeError('SHARE_NOT_FOUND', 'an infohash is 32 bytes (64 hex digits)')
  return bytes
}

/** How often the DHT's routing table (with the address the network sees) is saved; also at close. */
const DHT_SAVE_INTERVAL_MS = 15 * 60_000
/** How often the bytes each share moved are added to its record; also when it stops and at close. */
const TOTALS_SAVE_INTERVAL_MS = 60_000

/** What a node is built from: `createNode` (Node) or the core's own factory hand it over. @internal */
export interface NodeParts {
  identity: Identity
  /** Proxy, UDP, onion and anonymous mode, as `stats()` shows them. */
  privacy: PrivacyStatus
  state: StateStore
  /** Whether the node closes the state store (it opened it). */
  ownsState: boolean
  dht: DhtNode | undefined
  /** Where shares' bytes live (the file system in Node). */
  storage: ContentStorage
  /** Where downloads go when `download()` is given no folder. */
  downloadDir: string
  /** Milliseconds a shared file's last look stays good for serving from it. */
  changeCheckInterval: number
  limits: Required<import('./options.js').NodeLimits>
  createPool: (registry: PeerRegistry, protocols: ProtocolRegistry) => ConnectionPool
  /** Optional protocols an app runs on every connection (besides peer exchange and gossip). */
  protocols: readonly ConnectionProtocol[]
  /** Peer sources of every share besides the direct peers (the DHT's, an app's); the node closes them. */
  sources: readonly PeerSource[]
  /** The key shares are announced under unless they chose (see `NodeOptions.announceKey`). */
  announceKey: AnnounceKeyPolicy
  /** Where the node's parts log (`mycel:peer`, `mycel:swarm`, `mycel:store`, `mycel:node`). */
  logger: Logger
  /**
   * Time and timers of the node's scheduled work: discovery (announces,
   * lookups, retries), peer exchange, and the saves of totals, scores and
   * the DHT table. Connection timeouts (hello, requests, idle, handshakes)
   * run on real time: they are about real peers.
   */
  clock: Clock
}

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
  private readonly sessions = new Map<string, ShareSession>()
  private readonly pool: ConnectionPool
  private readonly registry: PeerRegistry
  private readonly discovery: DiscoveryScheduler<Swarm>
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
  private closing: Promise<void> | undefined

  /** @internal */
  constructor(private readonly parts: NodeParts) {
    super()
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
        found: (swarm, addresses, origin) =>
          this.registry.connect(addresses, swarm, origin === this.directPeers ? { direct: true } : {}),
      },
      { clock: parts.clock },
    )
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
      ban: (peer, reason) => this.registry.ban(peer, reason),
      score: (peer, delta, reason) => this.registry.score(peer, delta, reason),
      fault: (peer, reason) => this.registry.fault(peer, reason),
      membersChanged: (swarm) => this.pex.membersChanged(swarm),
      log: parts.logger.forComponent('mycel:swarm'),
    }
    // A process that is killed keeps the table of its last save, not none.
    this.stopDhtSaves = every(parts.clock, DHT_SAVE_INTERVAL_MS, () => void this.saveDht())
    this.stopTotalsSaves = every(parts.clock, TOTALS_SAVE_INTERVAL_MS, () => void this.saveTotals())
    this.control = {
      remove: (infohash, options) => this.stopShare(infohash, options),
      contentPath: (infohash) => this.sessions.get(keyOf(infohash))?.contentPath,
      progress: (progress) => this.emit('download-progress', progress), // throttled by the Download
    }
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
   * seeds it and announces it on the DHT.
   *
   * @param path - a file or folder
   * @param options - piece length, progress callback, abort signal
   * @returns the share, with its magnet link
   * @throws `PiecesError` (`INGEST_*`) or a file-system error when the path cannot be hashed; `ABORTED`
   */
  async share(path: string, options: ShareOptions = {}): Promise<Share> {
    this.assertOpen()
    const announceKey = checkAnnounceKey(options.announceKey)
    const { state, storage } = this.parts
    const contentPath = storage.resolve(path)
    const manifest = await storage.ingest(contentPath, options)
    const existing = this.sessions.get(manifest.infohashHex)
    if (existing?.share !== undefined) return existing.share
    if (existing !== undefined) throw new NodeError('SHARE_EXISTS', `${manifest.name} is being downloaded`)
    const store = await storage.openSeed(manifest, contentPath)
    const previous = await state.getShare(manifest.infohash)
    await state.removeShare(manifest.infohash)
    await state.putManifest(manifest)
    let record = await state.addShare({
      infohash: manifest.infohash,
      name: manifest.name,
      role: 'seed',
      contentPath,
      status: 'complete',
    })
    if (previous !== undefined && previous.bytesUploaded + previous.bytesDownloaded > 0) {
      // Sharing again what was shared or downloaded before keeps its totals.
      record = await state.updateShare(manifest.infohash, {
        addUploaded: previous.bytesUploaded,
        addDownloaded: previous.bytesDownloaded,
      })
    }
    await state.setBitfield(manifest.infohash, Bitfield.full(manifest.pieceCount))
    const stamps = await baselineStamps(state, manifest, store, storage, true)
    const session = this.addSession(manifest.infohash, manifest.name, options.limits, announceKey)
    return session.seed(manifest, store, record, { stamps, ...(options.limits ? { limits: options.limits } : {}) })
  }

  /**
   * Downloads a share from a magnet link (or a hex infohash). Returns at
   * once; await {@link Download.done} for the result. Downloading the same
   * share again returns the download in progress; a share stopped earlier
   * resumes from the pieces already verified.
   *
   * @param link - `magnet:?xt=urn:btmh:1220...` or 64 hex digits
   * @param options - download folder, direct peer addresses, limits, files to download
   * @returns the download
   * @throws `PiecesError` `MAGNET_MALFORMED` for a bad link; `CLOSED`; `FILE_NOT_FOUND` when files are
   *   added to a download whose manifest does not have them. The download fails (`done()` rejects) at once
   *   with `StoreError` `NOT_WRITABLE` when its folder cannot be made, and with `DESTINATION_EXISTS` or
   *   `FILE_NOT_FOUND` once the manifest is known, before anything is written
   */
  download(link: string, options: DownloadOptions = {}): Download {
    this.assertOpen()
    const magnet = parseMagnet(link)
    const announceKey = checkAnnounceKey(options.announceKey)
    const infohashHex = keyOf(magnet.infohash)
    const peers = this.peerAddresses(magnet.peers, options.peers)
    const existing = this.sessions.get(infohashHex)
    if (existing?.download !== undefined) {
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
    const session = this.addSession(magnet.infohash, magnet.name ?? infohashHex, options.limits, announceKey)
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

  /** A share this node seeds (also one resumed after a restart), if any. */
  getShare(infohash: string | Uint8Array): Share | undefined {
    return this.sessions.get(keyOf(infohash))?.share
  }

  /**
   * Stops sharing or downloading a share. Its files stay on disk; with
   * `deleteState` the node also forgets it (a later start does not resume
   * it). Removing a share the node does not run is a no-op.
   *
   * @param infohash - the share (hex or bytes)
   * @param options - whether to forget the share in the state store
   * @throws `SHARE_NOT_FOUND` for something that is not an infohash (64 hex digits or 32 bytes)
   */
  async remove(infohash: string | Uint8Array, options: { deleteState?: boolean } = {}): Promise<void> {
    await this.stopShare(infohashBytes(infohash), { deleteState: options.deleteState ?? false })
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
    const { resumeShares } = await import('./resume.js')
    const { state, storage } = this.parts
    await resumeShares(state, {
      seed: async (manifest, record) => {
        const store = await storage.openSeed(manifest, record.contentPath)
        const stamps = await baselineStamps(state, manifest, store, storage, false)
        this.addSession(manifest.infohash, manifest.name).seed(manifest, store, record, { stamps, lookNow: true })
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
        discover: (swarm) =>
          this.discovery.add(swarm, {
            key: resolveShareKey(this.parts.state, infohash, announceKey, this.parts.announceKey),
          }),
        forget: (swarm) => this.discovery.remove(swarm),
        downloadDone: (progress) => this.emit('download-done', progress),
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
    const { dht, state } = this.parts
    if (dht === undefined) return
    const snapshot = new TextEncoder().encode(JSON.stringify(dht.snapshot()))
    await state.setValue(DHT_ROUTING_TABLE_KEY, snapshot).catch((error) => {
      this.parts.logger.forComponent('mycel:node').warn(`saving the DHT routing table failed: ${describeError(error)}`)
    })
  }

  private async shutdown(): Promise<void> {
    this.pex.close()
    this.stopDhtSaves()
    this.stopTotalsSaves()
    await this.discovery.close()
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
