import { Bitfield, formatMagnet, type Manifest, parseMagnet } from '@mycel/pieces'
import type { ShareRecord, StateStore } from '@mycel/store'
import type { ContentStorage, ContentStore, FileStamp } from '../content.js'
import { type ContentWatch, saveCompleteStamps, watchSeed } from '../content-watch.js'
import * as destination from '../destination.js'
import type { DownloadProgress, ShareChange } from '../events.js'
import { Download, type HandleControl, progressOf, type Share, statsOf } from '../handles.js'
import type { ShareLimits } from '../options.js'
import { TokenBucket } from '../rate-limit.js'
import { checkFilesOf, loadSelection, saveSelection } from '../saved-selection.js'
import { forgetShare } from '../share-state.js'
import { Swarm, type SwarmEnvironment } from '../swarm/swarm.js'
import { TransferTotals } from '../transfer-totals.js'

/** What a share session needs from the node around it. @internal */
export interface SessionContext {
  readonly state: StateStore
  readonly storage: ContentStorage
  /** What every swarm is given (peers, limits, bans). */
  readonly environment: SwarmEnvironment
  /** What the handles (Download, Share) ask of the node. */
  readonly control: HandleControl
  /** Milliseconds a shared file's last look stays good for serving from it. */
  readonly changeCheckInterval: number
  /** Offers the share to every connected peer (a download starts, or wants more). */
  inviteAll(swarm: Swarm): void
  /** Answers the connected peers that asked for this share before we had it. */
  answerAsks(swarm: Swarm): void
  /** Dials addresses the user gave (magnet hints, `peers`) for the share. */
  connect(swarm: Swarm, addresses: readonly string[]): void
  /** Starts finding peers for the share and announcing it. */
  discover(swarm: Swarm): void
  /** Stops that. */
  forget(swarm: Swarm): void
  /** The share's manifest is known now (fetched from peers, or given): a private torrent is found otherwise. */
  manifestKnown(swarm: Swarm, manifest: Manifest): void
  /** The node's events about shares. */
  downloadDone(progress: DownloadProgress): void
  downloadError(infohashHex: string, error: unknown): void
  shareChanged(change: ShareChange): void
}

/** How a share is seeded. @internal */
export interface Seeding {
  /** The files as the node last verified them. */
  readonly stamps: readonly FileStamp[]
  readonly limits?: ShareLimits
  /** Look at every file at once (a share resumed at start: its files may have changed meanwhile). */
  readonly lookNow?: boolean
  /** The share's trackers, written in its magnet link. */
  readonly trackers?: readonly string[]
}

/** How a download starts. @internal */
export interface DownloadStart {
  /** The folder to write into (a download that wrote before resumes where its files are). */
  readonly folder: string
  /** Addresses the user gave. */
  readonly peers: readonly string[]
  /** Files the caller asked for (merged with a saved selection). */
  readonly files?: readonly string[]
  /** What to do with files found at the destination. */
  readonly existingFiles?: destination.ExistingFiles
}

/**
 * One share this node runs, seeded or downloaded: its swarm, its piece
 * store, its records in the state store, its all-time totals, the watch
 * on its seeded files, and the handles the app holds (`Share`, `Download`).
 * The node creates sessions and looks them up; everything that happens to
 * one share happens here.
 * @internal
 */
export class ShareSession {
  readonly swarm: Swarm
  /** All-time bytes sent and received. */
  readonly totals: TransferTotals
  name: string
  /** The share's file or folder, once known. */
  contentPath: string | undefined
  download: Download | undefined
  share: Share | undefined
  private store: ContentStore | undefined
  private watch: ContentWatch | undefined
  /** The start of a download in flight: a stop waits for it, so that nothing it writes outlives the stop. */
  private starting: Promise<void> | undefined
  /** Where a download writes (its content path is inside). */
  private folder: string | undefined
  private existingFiles: destination.ExistingFiles = 'refuse'

  constructor(
    readonly infohash: Uint8Array,
    name: string,
    private readonly context: SessionContext,
    limits?: ShareLimits,
  ) {
    this.name = name
    this.swarm = new Swarm(
      infohash,
      context.environment,
      {
        onManifest: (manifest) => void this.onManifest(manifest).catch((error) => this.swarm.fail(error)),
        onProgress: () => this.download?.onProgress(),
        onComplete: () => void this.onComplete().catch((error) => this.swarm.fail(error)),
        onIncomplete: () => {
          this.download?.reopen()
          context.inviteAll(this.swarm)
          void context.state.updateShare(infohash, { status: 'active' }).catch(() => {})
        },
        onError: (error) => void this.onError(error),
      },
      { upload: new TokenBucket(limits?.uploadRate ?? 0), download: new TokenBucket(limits?.downloadRate ?? 0) },
    )
    this.totals = new TransferTotals(this.swarm, context.state)
    context.discover(this.swarm)
  }

  /** The share's infohash as hex. */
  get infohashHex(): string {
    return this.swarm.infohashHex
  }

  /**
   * Seeds the share from its files (served where they are), looked at
   * before serving from them.
   */
  seed(manifest: Manifest, store: ContentStore, record: ShareRecord, seeding: Seeding): Share {
    const { context } = this
    this.contentPath = record.contentPath
    this.store = store
    this.totals.load(record)
    void this.swarm.open(manifest, store, Bitfield.full(manifest.pieceCount))
    this.watch = watchSeed(this.swarm, store, context.storage, seeding.stamps, {
      interval: context.changeCheckInterval,
      onChange: (change) => context.shareChanged(change),
    })
    if (seeding.lookNow) void this.watch.lookAtAll().catch(() => {})
    if (record.role === 'download') {
      // A download completed earlier: download() of it again returns this, done (adding files is a no-op).
      this.download = new Download(this.swarm, manifest.name, context.control, this.totals)
      this.download.complete()
    }
    context.answerAsks(this.swarm)
    const contentPath = record.contentPath
    this.share = {
      infohash: manifest.infohash,
      infohashHex: manifest.infohashHex,
      name: manifest.name,
      magnet: formatMagnet({ infohash: manifest.infohash, name: manifest.name, trackers: seeding.trackers ?? [] }),
      manifest,
      contentPath,
      stats: () => statsOf(this.swarm, this.name, this.totals),
      stop: (options) => context.control.remove(manifest.infohash, { deleteState: options?.deleteState ?? false }),
    }
    return this.share
  }

  /**
   * Names more trackers in the magnet link of the seed (a later `share()` of
   * the same files gave them): the share returned from then on has the new
   * link; handles returned earlier keep theirs.
   *
   * @param trackers - tracker URLs, checked
   * @returns the share, undefined when this session seeds nothing
   */
  withTrackers(trackers: readonly string[]): Share | undefined {
    const share = this.share
    if (share === undefined) return undefined
    const known = parseMagnet(share.magnet).trackers
    const all = [...new Set([...known, ...trackers])]
    if (all.length === known.length) return share
    this.share = { ...share, magnet: formatMagnet({ infohash: share.infohash, name: share.name, trackers: all }) }
    return this.share
  }

  /** Makes this session a download; {@link ShareSession.startDownload} starts it. */
  asDownload(existingFiles?: destination.ExistingFiles): Download {
    if (existingFiles !== undefined) this.existingFiles = existingFiles
    this.download = new Download(this.swarm, this.name, this.context.control, this.totals)
    return this.download
  }

  /**
   * Starts (or resumes) the download: its selection, its folder (checked
   * before any peer is looked for), its manifest if known (else fetched from
   * peers), then its peers.
   */
  startDownload(start: DownloadStart): Promise<void> {
    this.starting = this.runStart(start)
    return this.starting
  }

  private async runStart(start: DownloadStart): Promise<void> {
    const { state, storage } = this.context
    const { swarm } = this
    const saved = await loadSelection(state, swarm.infohashHex)
    const requested = start.files
    swarm.selectFiles(requested === undefined ? saved : [...new Set([...(saved ?? []), ...requested])])
    if (start.existingFiles !== undefined) this.existingFiles = start.existingFiles
    // A download that wrote before resumes where its files are; a new one checks its folder before any peer.
    const claimed = await destination.claimedDestination(state, swarm.infohashHex)
    this.folder = claimed === undefined ? start.folder : storage.folderOf(claimed)
    await storage.prepareFolder(this.folder)
    const manifest = await state.getManifest(swarm.infohash)
    if (manifest !== undefined) {
      const { store, have } = await this.openDestination(manifest)
      await this.record(manifest.name, this.contentPath as string)
      await swarm.open(manifest, store, have)
      if (swarm.complete) await this.onComplete()
    } else {
      await this.record(this.name, storage.join(this.folder, this.name))
      swarm.fetchMetadata()
    }
    this.context.answerAsks(swarm)
    this.context.inviteAll(swarm)
    this.context.connect(swarm, start.peers)
  }

  /** Opens a download's store once the manifest is known: checks (then saves) its files, and its destination. */
  async openDestination(manifest: Manifest): Promise<{ store: ContentStore; have: Bitfield }> {
    const { state, storage } = this.context
    checkFilesOf(manifest, this.swarm.selectedFiles)
    const opened = await destination.openDestination(manifest, this.folder as string, {
      state,
      storage,
      existing: this.existingFiles,
    })
    this.contentPath = opened.contentPath
    this.store = opened.store
    await saveSelection(state, this.swarm)
    return opened
  }

  /**
   * Stops the share: its swarm, watch and store. Its files stay; with
   * `deleteState` the node forgets it, else its totals are saved and an
   * unfinished download is marked paused.
   */
  async stop(options: { deleteState: boolean }): Promise<void> {
    // A start in flight would record the share (again) after a removal forgot it.
    await this.starting?.catch(() => {})
    this.context.forget(this.swarm)
    this.swarm.stop()
    await this.swarm.store?.close()
    const { state } = this.context
    if (options.deleteState) {
      await forgetShare(state, this.infohash)
    } else {
      await this.totals.save()
      if (!this.swarm.complete) await state.updateShare(this.infohash, { status: 'paused' }).catch(() => {})
    }
  }

  /** Records a download in the state store, unless it is there already. */
  private async record(name: string, contentPath: string): Promise<void> {
    const { state } = this.context
    const { infohash } = this
    const record =
      (await state.getShare(infohash)) === undefined
        ? await state.addShare({ infohash, name, role: 'download', contentPath, status: 'active' })
        : await state.updateShare(infohash, { status: 'active', contentPath })
    this.totals.load(record)
  }

  private async onManifest(manifest: Manifest): Promise<void> {
    this.name = manifest.name
    this.context.manifestKnown(this.swarm, manifest)
    this.download?.onManifest(manifest)
    if (this.contentPath !== undefined) {
      await this.context.state.updateShare(manifest.infohash, { name: manifest.name, contentPath: this.contentPath })
    }
  }

  private async onComplete(): Promise<void> {
    const { state, storage } = this.context
    await state.flush()
    await state.updateShare(this.infohash, { status: 'complete', completedAt: Date.now() })
    await this.totals.save()
    // A restart that seeds the files sees the changes made since.
    if (this.store !== undefined) await saveCompleteStamps(state, this.swarm, this.store, storage)
    const progress = progressOf(this.swarm, this.name)
    this.download?.complete()
    this.context.downloadDone(progress)
  }

  private async onError(error: unknown): Promise<void> {
    this.download?.fail(error)
    this.context.downloadError(this.infohashHex, error)
    const message = error instanceof Error ? error.message : String(error)
    await this.context.state.updateShare(this.infohash, { status: 'error', lastError: message }).catch(() => {})
    await destination.releaseClaimAfter(this.context.state, this.infohashHex, error)
  }
}
