import { EventEmitter } from 'node:events'
import { dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import type { DhtNode } from '@mycel/dht'
import { Bitfield, formatMagnet, type Manifest, parseMagnet } from '@mycel/pieces'
import { ingestPath } from '@mycel/pieces/node'
import type { PieceStore, SearchHit, ShareFilter, ShareRecord, StateStore } from '@mycel/store'
import {
  blockingFileSystem,
  type FileHandlePool,
  type FileSystem,
  type FsPieceStore,
  nodeFileSystem,
  openDownloadStore,
  openSeedStore,
  prepareDownloadFolder,
} from '@mycel/store/fs'
import type { Identity } from '@mycel/transport'
import { describeError, type Logger } from '@mycel/wire/log'
import { baselineStamps, type FileStamp, saveCompleteStamps, watchSeed } from './content-watch.js'
import * as destination from './destination.js'
import { Discovery } from './discovery.js'
import { NodeError } from './errors.js'
import type { NodeEvents, PeerInfo, ShareStats } from './events.js'
import { Download, type HandleControl, progressOf, type Share, statsOf } from './handles.js'
import { addKnownManifest } from './known-manifest.js'
import type { DownloadOptions, NodeStats, ShareLimits, ShareOptions, SignalOptions } from './options.js'
import { PeerExchange } from './peer/pex.js'
import type { ConnectionPool } from './peer/pool.js'
import { type ConnectionProtocol, ProtocolRegistry } from './peer/protocols.js'
import { PeerRegistry } from './peer/registry.js'
import { TokenBucket } from './rate-limit.js'
import { type ReadStreamOptions, readFile } from './read-stream.js'
import { checkFiles, checkFilesOf, loadSelection, saveSelection } from './saved-selection.js'
import { forgetShare } from './share-state.js'
import { DHT_ROUTING_TABLE_KEY } from './state-keys.js'
import { Swarm, type SwarmEnvironment } from './swarm/swarm.js'
import { TransferTotals } from './transfer-totals.js'
import type { TypedEmitter } from './typed-emitter.js'

/**
 * File access of the piece stores: reads block (a seeder's 128 KiB reads
 * mostly hit the page cache and cost microseconds; a trip to libuv's thread
 * pool and back cost more than the read itself), writes go to the thread
 * pool (writing a whole piece can stall on the disk).
 */
const pieceFileSystem: FileSystem = { ...nodeFileSystem, read: blockingFileSystem.read }

/** The key of a share in the node's maps: its infohash as lower-case hex. */
function keyOf(infohash: string | Uint8Array): string {
  return typeof infohash === 'string' ? infohash.toLowerCase() : Buffer.from(infohash).toString('hex')
}

/** How often the DHT's routing table (with the address the network sees) is saved; also at close. */
const DHT_SAVE_INTERVAL_MS = 15 * 60_000
/** How often the bytes each share moved are added to its record; also when it stops and at close. */
const TOTALS_SAVE_INTERVAL_MS = 60_000

/** How {@link MycelNode.seed} seeds a share. */
interface Seeding {
  /** The files as the node last verified them. */
  stamps: readonly FileStamp[]
  limits?: ShareLimits
  /** Look at every file at once (a share resumed at start). */
  lookNow?: boolean
}

interface Entry {
  swarm: Swarm
  /** All-time bytes sent and received. */
  totals: TransferTotals
  name: string
  contentPath: string | undefined
  /** Where a download writes (its content path is inside). */
  downloadDir?: string
  /** Files the caller asked for when it started the download (merged with a saved selection). */
  requestedFiles?: readonly string[]
  /** What the download does with files it finds at its destination. */
  existingFiles?: destination.ExistingFiles
  download?: Download
  share?: Share
}

/** What {@link createNode} hands a node. @internal */
export interface NodeParts {
  identity: Identity
  state: StateStore
  ownsState: boolean
  dht: DhtNode | undefined
  files: FileHandlePool
  downloadDir: string
  directWrites: boolean
  /** Milliseconds a shared file's last look stays good for serving from it. */
  changeCheckInterval: number
  limits: Required<import('./options.js').NodeLimits>
  createPool: (registry: PeerRegistry, protocols: ProtocolRegistry) => ConnectionPool
  /** Optional protocols an app runs on every connection (besides peer exchange). */
  protocols: readonly ConnectionProtocol[]
  /** Where the node's parts log (`mycel:peer`, `mycel:swarm`, `mycel:store`, `mycel:node`). */
  logger: Logger
}

/**
 * A mycel node: shares files, finds peers on the DHT, downloads, streams
 * and seeds. Make one with {@link createNode}; close it with
 * {@link MycelNode.close}, which releases every socket, timer and file.
 *
 * @example
 * ```ts
 * const node = await createNode({ dataDir: './.mycel', bootstrap: ['127.0.0.1:6881'] })
 * const share = await node.share('./photos')
 * console.log(share.magnet)
 * await node.close()
 * ```
 */
export class MycelNode extends (EventEmitter as new () => TypedEmitter<NodeEvents>) {
  /** This node's peer id (base32). */
  readonly peerId: string
  private readonly entries = new Map<string, Entry>()
  private readonly pool: ConnectionPool
  private readonly registry: PeerRegistry
  private readonly discovery: Discovery
  private readonly uploadLimit: TokenBucket
  private readonly downloadLimit: TokenBucket
  private readonly environment: SwarmEnvironment
  private readonly control: HandleControl
  /** The optional protocols this node speaks on its connections (peer exchange, and any an app adds). */
  private readonly protocols = new ProtocolRegistry()
  private readonly pex: PeerExchange
  private readonly dhtSaveTimer: ReturnType<typeof setInterval>
  private readonly totalsSaveTimer: ReturnType<typeof setInterval>
  private closing: Promise<void> | undefined

  /** @internal */
  constructor(private readonly parts: NodeParts) {
    super()
    this.peerId = parts.identity.toString()
    this.uploadLimit = new TokenBucket(parts.limits.uploadRate)
    this.downloadLimit = new TokenBucket(parts.limits.downloadRate)
    this.registry = new PeerRegistry(this, parts.state, {
      maxPeersPerShare: parts.limits.maxPeersPerShare,
      swarmOf: (infohashHex) => this.entries.get(infohashHex)?.swarm,
      swarms: () => [...this.entries.values()].map((entry) => entry.swarm),
      logger: parts.logger,
    })
    this.pex = new PeerExchange({
      log: parts.logger.forComponent('mycel:peer'),
      swarmOf: (infohashHex) => this.entries.get(infohashHex)?.swarm,
      swarms: () => [...this.entries.values()].map((entry) => entry.swarm),
      found: (swarm, addresses) => {
        if (!swarm.complete && swarm.memberCount < parts.limits.maxPeersPerShare)
          this.registry.connect(addresses, swarm)
      },
    })
    this.protocols.register(this.pex)
    for (const protocol of parts.protocols) this.protocols.register(protocol)
    this.pool = parts.createPool(this.registry, this.protocols)
    this.registry.attach(this.pool)
    this.discovery = new Discovery(parts.dht, {
      port: () => this.tcpPort(),
      wantsPeers: (swarm) => !swarm.complete && swarm.memberCount < parts.limits.maxPeersPerShare,
      found: (swarm, addresses) => this.registry.connect(addresses, swarm),
    })
    this.environment = {
      state: parts.state,
      uploadLimit: this.uploadLimit,
      downloadLimit: this.downloadLimit,
      openStore: (manifest) => this.openDestination(manifest),
      serveBlock: (peer, request, share) => this.registry.serveBlock(peer, request, share),
      serveMetadata: (peer, request, share) => this.registry.serveMetadata(peer, request, share),
      ban: (peer, reason) => this.registry.ban(peer, reason),
      score: (peer, delta, reason) => this.registry.score(peer, delta, reason),
      fault: (peer, reason) => this.registry.fault(peer, reason),
      membersChanged: (swarm) => this.pex.membersChanged(swarm),
      log: parts.logger.forComponent('mycel:swarm'),
    }
    // A process that is killed keeps the table of its last save, not none.
    this.dhtSaveTimer = setInterval(() => void this.saveDht(), DHT_SAVE_INTERVAL_MS)
    this.dhtSaveTimer.unref?.()
    this.totalsSaveTimer = setInterval(() => void this.saveTotals(), TOTALS_SAVE_INTERVAL_MS)
    this.totalsSaveTimer.unref?.()
    this.control = {
      remove: (infohash, options) => this.stopShare(infohash, options),
      contentPath: (infohash) => this.entries.get(keyOf(infohash))?.contentPath,
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
    const contentPath = resolve(path)
    const manifest = await ingestPath(contentPath, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.pieceLength ? { pieceLength: options.pieceLength } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.v1 ? { v1: true } : {}),
    })
    const existing = this.entries.get(manifest.infohashHex)
    if (existing?.share !== undefined) return existing.share
    if (existing !== undefined) throw new NodeError('SHARE_EXISTS', `${manifest.name} is being downloaded`)
    const store = await openSeedStore(manifest, contentPath, { pool: this.parts.files, fileSystem: pieceFileSystem })
    const { state } = this.parts
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
    const stamps = await baselineStamps(state, store, true)
    return this.seed(manifest, store, record, { stamps, ...(options.limits ? { limits: options.limits } : {}) })
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
    const infohashHex = keyOf(magnet.infohash)
    const existing = this.entries.get(infohashHex)
    if (existing?.download !== undefined) {
      if (options.files !== undefined) {
        existing.swarm.addFiles(checkFiles(options.files))
        // Before the manifest, the paths are unchecked: they are saved once it confirms them.
        if (existing.swarm.manifest !== undefined) void saveSelection(this.parts.state, existing.swarm)
      }
      this.registry.connect(this.peerAddresses(magnet.peers, options.peers), existing.swarm, { direct: true })
      return existing.download
    }
    if (existing !== undefined) throw new NodeError('SHARE_EXISTS', `${existing.name} is already shared here`)
    const name = magnet.name ?? infohashHex
    const entry = this.addEntry(magnet.infohash, name, undefined, options.limits)
    const download = new Download(entry.swarm, name, this.control, entry.totals)
    entry.download = download
    if (options.files !== undefined) entry.requestedFiles = checkFiles(options.files)
    if (options.existingFiles !== undefined) entry.existingFiles = destination.checkExisting(options.existingFiles)
    const peers = this.peerAddresses(magnet.peers, options.peers)
    this.startDownload(entry, resolve(options.dir ?? this.parts.downloadDir), peers).catch((error) => {
      entry.swarm.fail(error)
    })
    return download
  }

  /**
   * Reads one file of a share as a stream of verified bytes. Pieces not yet
   * downloaded are fetched first, with Merkle proofs, so bytes flow before
   * their whole pieces arrive.
   *
   * @param infohash - the share (hex or bytes); it must be shared or downloading here
   * @param path - the file's path inside the share, components joined with `/`
   * @param options - `start`/`end` (inclusive) byte range, read-ahead, abort signal
   * @returns a Node readable stream
   * @throws `SHARE_NOT_FOUND` (at once); the stream fails with `FILE_NOT_FOUND` or `RANGE_INVALID`
   */
  createReadStream(infohash: string | Uint8Array, path: string, options: ReadStreamOptions = {}): Readable {
    const entry = this.entries.get(keyOf(infohash))
    if (entry === undefined) throw new NodeError('SHARE_NOT_FOUND', 'no such share on this node')
    return Readable.from(readFile(entry.swarm, path, options), {
      objectMode: false,
      ...(options.signal ? { signal: options.signal } : {}),
    })
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
    for (const { swarm } of this.entries.values()) if (!swarm.complete) this.registry.invite(swarm, peer)
    return this.registry.info(peer)
  }

  /**
   * Announces a share on the DHT now (it is also re-announced every 15 minutes).
   * @returns how many DHT nodes stored the announcement
   */
  async announce(infohash: string | Uint8Array, options: SignalOptions = {}): Promise<number> {
    const entry = this.entries.get(keyOf(infohash))
    if (entry === undefined) throw new NodeError('SHARE_NOT_FOUND', 'no such share on this node')
    return this.discovery.announce(entry.swarm, options.signal)
  }

  /**
   * The shares and downloads this node knows (also those stopped or in
   * error), in the order they were added, from its state store.
   */
  async list(filter: ShareFilter = {}): Promise<ShareRecord[]> {
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
    const bytes = typeof infohash === 'string' ? Uint8Array.from(Buffer.from(infohash, 'hex')) : infohash
    if (bytes.length !== 32) throw new NodeError('SHARE_NOT_FOUND', 'an infohash is 32 bytes (64 hex digits)')
    return this.parts.state.getManifest(bytes)
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
    this.entries.get(manifest.infohashHex)?.swarm.useManifest(manifest)
  }

  /**
   * Transfer figures of a share this node runs (seeded or downloaded):
   * rates, bytes in this run, and all-time totals kept across restarts.
   * Undefined when the node does not run it (see {@link MycelNode.list} for
   * the stored totals of every share).
   */
  shareStats(infohash: string | Uint8Array): ShareStats | undefined {
    const entry = this.entries.get(keyOf(infohash))
    return entry === undefined ? undefined : statsOf(entry.swarm, entry.name, entry.totals)
  }

  /** A share this node seeds (also one resumed after a restart), if any. */
  getShare(infohash: string | Uint8Array): Share | undefined {
    return this.entries.get(keyOf(infohash))?.share
  }

  /**
   * Stops sharing or downloading a share. Its files stay on disk; with
   * `deleteState` the node also forgets it (a later start does not resume
   * it). Removing a share the node does not run is a no-op.
   *
   * @param infohash - the share (hex or bytes)
   * @param options - whether to forget the share in the state store
   */
  async remove(infohash: string | Uint8Array, options: { deleteState?: boolean } = {}): Promise<void> {
    const bytes = typeof infohash === 'string' ? Uint8Array.from(Buffer.from(infohash, 'hex')) : infohash
    await this.stopShare(bytes, { deleteState: options.deleteState ?? false })
  }

  /** The download of a share, if this node downloads it. */
  getDownload(infohash: string | Uint8Array): Download | undefined {
    return this.entries.get(keyOf(infohash))?.download
  }

  /** Figures of the whole node. */
  stats(): NodeStats {
    const swarms = [...this.entries.values()].map((entry) => entry.swarm)
    const sum = (f: (swarm: Swarm) => number) => swarms.reduce((total, swarm) => total + f(swarm), 0)
    return {
      peerId: this.peerId,
      addresses: this.addresses,
      connections: this.pool.connections.length,
      shares: this.entries.size,
      bytesUploaded: sum((swarm) => swarm.uploaded.total),
      bytesDownloaded: sum((swarm) => swarm.downloaded.total),
      uploadRate: sum((swarm) => swarm.uploaded.bytesPerSecond),
      downloadRate: sum((swarm) => swarm.downloaded.bytesPerSecond),
      dht: this.parts.dht?.stats(),
      refusedConnections: this.pool.refusals,
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
    await resumeShares(this.parts.state, {
      seed: async (manifest, record) => {
        const store = await openSeedStore(manifest, record.contentPath, {
          pool: this.parts.files,
          fileSystem: pieceFileSystem,
        })
        this.seed(manifest, store, record, {
          stamps: await baselineStamps(this.parts.state, store, false),
          lookNow: true,
        })
      },
      download: (infohash, name, contentPath) => {
        const entry = this.addEntry(infohash, name, undefined)
        entry.download = new Download(entry.swarm, name, this.control, entry.totals)
        this.startDownload(entry, dirname(contentPath), []).catch((error) => entry.swarm.fail(error))
      },
    })
  }

  /** Seeds a share from its files, looked at before serving from them (all at once with `lookNow`, at start). */
  private seed(manifest: Manifest, store: FsPieceStore, record: ShareRecord, seeding: Seeding): Share {
    const { contentPath } = record
    const entry = this.addEntry(manifest.infohash, manifest.name, contentPath, seeding.limits)
    entry.totals.load(record)
    void entry.swarm.open(manifest, store, Bitfield.full(manifest.pieceCount))
    const interval = this.parts.changeCheckInterval
    const watch = watchSeed(entry.swarm, store, seeding.stamps, {
      interval,
      onChange: (change) => this.emit('share-changed', change),
    })
    if (seeding.lookNow) void watch.lookAtAll().catch(() => {})
    if (record.role === 'download') {
      // A download completed earlier: download() of it again returns this, done (adding files is a no-op).
      entry.download = new Download(entry.swarm, manifest.name, this.control, entry.totals)
      entry.download.complete()
    }
    this.registry.answerAsks(entry.swarm)
    const share: Share = {
      infohash: manifest.infohash,
      infohashHex: manifest.infohashHex,
      name: manifest.name,
      magnet: formatMagnet({ infohash: manifest.infohash, name: manifest.name }),
      manifest,
      contentPath,
      stats: () => statsOf(entry.swarm, entry.name, entry.totals),
      stop: (options) => this.stopShare(manifest.infohash, { deleteState: options?.deleteState ?? false }),
    }
    entry.share = share
    return share
  }

  private addEntry(infohash: Uint8Array, name: string, contentPath: string | undefined, limits?: ShareLimits): Entry {
    const infohashHex = keyOf(infohash)
    const entry: Entry = { name, contentPath } as Entry
    entry.swarm = new Swarm(
      infohash,
      this.environment,
      {
        onManifest: (manifest) => void this.onManifest(entry, manifest).catch((error) => entry.swarm.fail(error)),
        onProgress: () => entry.download?.onProgress(),
        onComplete: () => void this.onComplete(entry).catch((error) => entry.swarm.fail(error)),
        onIncomplete: () => {
          entry.download?.reopen()
          for (const peer of this.pool.connections) this.registry.invite(entry.swarm, peer)
          void this.parts.state.updateShare(infohash, { status: 'active' }).catch(() => {})
        },
        onError: (error) => void this.onError(entry, error),
      },
      { upload: new TokenBucket(limits?.uploadRate ?? 0), download: new TokenBucket(limits?.downloadRate ?? 0) },
    )
    entry.totals = new TransferTotals(entry.swarm, this.parts.state)
    this.entries.set(infohashHex, entry)
    this.discovery.add(entry.swarm)
    this.emit('share-added', infohashHex, name)
    return entry
  }

  private async startDownload(entry: Entry, dir: string, peers: readonly string[]): Promise<void> {
    const { state } = this.parts
    const { swarm } = entry
    const saved = await loadSelection(state, swarm.infohashHex)
    const requested = entry.requestedFiles
    swarm.selectFiles(requested === undefined ? saved : [...new Set([...(saved ?? []), ...requested])])
    // A download that wrote before resumes where its files are; a new one checks its folder before any peer.
    const claimed = await destination.claimedDestination(state, swarm.infohashHex)
    entry.downloadDir = claimed === undefined ? dir : dirname(claimed)
    await prepareDownloadFolder(entry.downloadDir, { fileSystem: pieceFileSystem })
    const manifest = await state.getManifest(swarm.infohash)
    if (manifest !== undefined) {
      const { store, have } = await this.openDestination(manifest)
      await this.record(entry, manifest.name, entry.contentPath as string)
      await swarm.open(manifest, store, have)
      if (swarm.complete) await this.onComplete(entry)
    } else {
      await this.record(entry, entry.name, join(entry.downloadDir, entry.name))
      swarm.fetchMetadata()
    }
    this.registry.answerAsks(swarm)
    for (const peer of this.pool.connections) this.registry.invite(swarm, peer)
    this.registry.connect(peers, swarm, { direct: true })
  }

  /** Records a download in the state store, unless it is there already. */
  private async record(entry: Entry, name: string, contentPath: string): Promise<void> {
    const { state } = this.parts
    const infohash = entry.swarm.infohash
    const record =
      (await state.getShare(infohash)) === undefined
        ? await state.addShare({ infohash, name, role: 'download', contentPath, status: 'active' })
        : await state.updateShare(infohash, { status: 'active', contentPath })
    entry.totals.load(record)
  }

  /** Opens a download's store once the manifest is known: checks (then saves) its files, and its destination. */
  private async openDestination(manifest: Manifest): Promise<{ store: PieceStore; have: Bitfield }> {
    const entry = this.entries.get(manifest.infohashHex)
    if (entry === undefined) throw NodeError.closed('the download')
    const { state } = this.parts
    checkFilesOf(manifest, entry.swarm.selectedFiles)
    const dir = entry.downloadDir ?? this.parts.downloadDir
    const storeOptions = { pool: this.parts.files, fileSystem: pieceFileSystem, directWrites: this.parts.directWrites }
    const open = (existingFiles: 'refuse' | 'adopt') =>
      openDownloadStore(manifest, dir, { ...storeOptions, existingFiles })
    const opened = await destination.openDestination(manifest, dir, {
      state,
      existing: entry.existingFiles ?? 'refuse',
      open,
    })
    entry.contentPath = opened.contentPath
    await saveSelection(state, entry.swarm)
    return opened
  }

  private async onManifest(entry: Entry, manifest: Manifest): Promise<void> {
    entry.name = manifest.name
    entry.download?.onManifest(manifest)
    if (entry.contentPath !== undefined) {
      await this.parts.state.updateShare(manifest.infohash, { name: manifest.name, contentPath: entry.contentPath })
    }
  }

  private async onComplete(entry: Entry): Promise<void> {
    const { state } = this.parts
    const { infohash } = entry.swarm
    await state.flush()
    await state.updateShare(infohash, { status: 'complete', completedAt: Date.now() })
    await entry.totals.save()
    await saveCompleteStamps(state, entry.swarm) // a restart that seeds the files sees changes made since
    const progress = progressOf(entry.swarm, entry.name)
    entry.download?.complete()
    this.emit('download-done', progress)
  }

  private async onError(entry: Entry, error: unknown): Promise<void> {
    entry.download?.fail(error)
    this.emit('download-error', entry.swarm.infohashHex, error)
    const message = error instanceof Error ? error.message : String(error)
    await this.parts.state.updateShare(entry.swarm.infohash, { status: 'error', lastError: message }).catch(() => {})
    await destination.releaseClaimAfter(this.parts.state, entry.swarm.infohashHex, error)
  }

  private async stopShare(infohash: Uint8Array, options: { deleteState: boolean }): Promise<void> {
    const infohashHex = keyOf(infohash)
    const entry = this.entries.get(infohashHex)
    if (entry === undefined) return
    this.entries.delete(infohashHex)
    this.discovery.remove(entry.swarm)
    entry.swarm.stop()
    await entry.swarm.store?.close()
    const { state } = this.parts
    if (options.deleteState) {
      await forgetShare(state, infohash)
    } else {
      await entry.totals.save()
      if (!entry.swarm.complete) await state.updateShare(infohash, { status: 'paused' }).catch(() => {})
    }
    this.emit('share-removed', infohashHex)
  }

  /** Transport addresses of a magnet link's `x.pe` hints (`host:port`, dialled over TCP) and of the caller's list. */
  private peerAddresses(hints: readonly string[], peers: readonly string[] = []): string[] {
    return [...hints.map((hostPort) => `tcp://${hostPort}`), ...peers]
  }

  private tcpPort(): number | undefined {
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
    await Promise.all([...this.entries.values()].map((entry) => entry.totals.save()))
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
    clearInterval(this.dhtSaveTimer)
    clearInterval(this.totalsSaveTimer)
    this.discovery.close()
    for (const entry of this.entries.values()) {
      entry.swarm.stop()
      entry.download?.fail(NodeError.closed())
    }
    this.registry.close()
    await this.pool.close()
    await Promise.allSettled([...this.entries.values()].map((entry) => entry.swarm.store?.close()))
    await this.saveTotals()
    this.entries.clear()
    const { dht, state, ownsState, files } = this.parts
    if (dht !== undefined) {
      await this.saveDht()
      await dht.close()
    }
    await this.registry.flushScores()
    if (ownsState) await state.close()
    else await state.flush()
    await files.close()
  }
}
