import type { Manifest } from '@mycel/pieces'
import { Emitter } from './emitter.js'
import { NodeError } from './errors.js'
import type { DownloadEvents, DownloadProgress, ShareStats } from './events.js'
import { ProgressThrottle } from './progress-throttle.js'
import type { Swarm } from './swarm/swarm.js'
import type { TransferTotals } from './transfer-totals.js'
import type { TypedEmitter } from './typed-emitter.js'

/** What a handle needs from the node. @internal */
export interface HandleControl {
  /** Stops the share (keeps its files and state unless asked). */
  remove(infohash: Uint8Array, options: { deleteState: boolean }): Promise<void>
  /** Where the share's files are. */
  contentPath(infohash: Uint8Array): string | undefined
  /** A download's `progress` event fired (throttled): the node emits its `download-progress`. */
  progress(progress: DownloadProgress): void
}

/** Builds the progress figures of a swarm, from counters (no walk over the pieces). @internal */
export function progressOf(swarm: Swarm, name: string): DownloadProgress {
  const manifest = swarm.manifest
  const verifiedBytes = swarm.verifiedBytes
  const downloadRate = swarm.downloaded.bytesPerSecond
  // A download of some files counts those files' bytes and pieces (and what readers fetched outside them).
  const wanted = swarm.wanted
  const left = manifest === undefined ? undefined : Math.max(0, wanted.bytes - verifiedBytes)
  return {
    infohash: swarm.infohashHex,
    name: manifest?.name ?? name,
    totalBytes: manifest === undefined ? undefined : wanted.bytes,
    verifiedBytes,
    piecesVerified: wanted.held,
    pieceCount: wanted.pieces,
    peers: swarm.memberCount,
    downloadRate,
    uploadRate: swarm.uploaded.bytesPerSecond,
    etaSeconds: left === undefined ? undefined : left === 0 ? 0 : downloadRate > 0 ? left / downloadRate : undefined,
  }
}

/** Builds the transfer figures of a swarm. @internal */
export function statsOf(swarm: Swarm, name: string, totals: TransferTotals): ShareStats {
  return {
    infohash: swarm.infohashHex,
    name: swarm.manifest?.name ?? name,
    peers: swarm.memberCount,
    uploadRate: swarm.uploaded.bytesPerSecond,
    downloadRate: swarm.downloaded.bytesPerSecond,
    bytesUploaded: swarm.uploaded.total,
    bytesDownloaded: swarm.downloaded.total,
    totalUploaded: totals.uploaded,
    totalDownloaded: totals.downloaded,
  }
}

/** Shortest time between two `progress` events of a download (and `download-progress` events of the node). */
export const PROGRESS_INTERVAL_MS = 250

/**
 * A download in progress, returned by {@link MycelNode.download}. Await
 * {@link Download.done} for the result; listen to `progress` for figures
 * (at most every 250 ms, and once more when the download completes).
 * Failures reach the caller through `done()`, never as an `error` event.
 *
 * @example
 * ```ts
 * const download = node.download(magnet, { dir: './in' })
 * download.on('progress', (p) => console.log(`${p.verifiedBytes} / ${p.totalBytes}`))
 * const result = await download.done()
 * ```
 */
export class Download extends (Emitter as new () => TypedEmitter<DownloadEvents>) {
  /** The share's infohash. */
  readonly infohash: Uint8Array
  /** The infohash as hex. */
  readonly infohashHex: string
  private finished!: Promise<DownloadProgress>
  private settle!: { resolve: (progress: DownloadProgress) => void; reject: (error: unknown) => void }
  private settled = false
  private readonly progressEvents = new ProgressThrottle(PROGRESS_INTERVAL_MS, () => {
    const progress = this.progress
    this.emit('progress', progress)
    this.control.progress(progress)
  })

  /** @internal */
  constructor(
    private readonly swarm: Swarm,
    private readonly name: string,
    private readonly control: HandleControl,
    private readonly totals: TransferTotals,
  ) {
    super()
    this.infohash = swarm.infohash
    this.infohashHex = swarm.infohashHex
    this.unsettle()
  }

  private unsettle(): void {
    this.settled = false
    this.finished = new Promise((resolve, reject) => {
      this.settle = { resolve, reject }
    })
    this.finished.catch(() => {}) // reported through done(); never unhandled
  }

  /** The share's manifest, once known. */
  get manifest(): Manifest | undefined {
    return this.swarm.manifest
  }

  /** The files this download takes (paths inside the share); undefined when it takes every file. */
  get files(): string[] | undefined {
    return this.swarm.selectedFiles
  }

  /** Where the files are being written, once the manifest is known. */
  get contentPath(): string | undefined {
    return this.control.contentPath(this.infohash)
  }

  /** The figures now. */
  get progress(): DownloadProgress {
    return progressOf(this.swarm, this.name)
  }

  /** Bytes sent and received, in this run and all time. */
  stats(): ShareStats {
    return statsOf(this.swarm, this.name, this.totals)
  }

  /**
   * Waits until every piece is verified and stored.
   *
   * @param options - abort signal (stops waiting, not the download)
   * @returns the final figures
   * @throws the error that stopped the download (`NodeError`, `StoreError`, ...), or `ABORTED`
   */
  done(options: { signal?: AbortSignal } = {}): Promise<DownloadProgress> {
    const { signal } = options
    if (signal === undefined) return this.finished
    if (signal.aborted) return Promise.reject(NodeError.aborted(signal.reason))
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(NodeError.aborted(signal.reason))
      signal.addEventListener('abort', onAbort, { once: true })
      this.finished.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    })
  }

  /**
   * Stops the download. Verified pieces and the state stay, so a later
   * `download()` of the same share resumes; with `deleteState` the node
   * forgets it (the files stay on disk).
   */
  async stop(options: { deleteState?: boolean } = {}): Promise<void> {
    await this.control.remove(this.infohash, { deleteState: options.deleteState ?? false })
    this.fail(NodeError.aborted('the download was stopped'))
  }

  /** @internal */
  onManifest(manifest: Manifest): void {
    this.emit('metadata', manifest)
  }

  /** @internal The figures changed: emits `progress`, at most every {@link PROGRESS_INTERVAL_MS}. */
  onProgress(): void {
    this.progressEvents.changed()
  }

  /** @internal Settles `done()`; nothing happens once it failed (a failure is final until `reopen`). */
  complete(): void {
    if (this.settled) return
    this.progressEvents.flush() // the last `progress` shows the download complete
    const progress = this.progress
    this.emit('done', progress)
    this.settled = true
    this.settle.resolve(progress)
  }

  /** @internal The download wants more after it completed: `done()` waits again. */
  reopen(): void {
    if (this.settled) this.unsettle()
  }

  /** @internal */
  fail(error: unknown): void {
    this.progressEvents.cancel()
    this.settled = true
    this.settle.reject(error)
  }
}

/** A share this node seeds, returned by {@link MycelNode.share}. */
export interface Share {
  /** The share's infohash. */
  readonly infohash: Uint8Array
  /** The infohash as hex. */
  readonly infohashHex: string
  /** The share's name. */
  readonly name: string
  /** The link others download it with. */
  readonly magnet: string
  /** The manifest (files, sizes, piece layers). */
  readonly manifest: Manifest
  /** Where the shared file or folder is; it is served from there, never copied. */
  readonly contentPath: string
  /** Bytes sent, in this run and all time. */
  stats(): ShareStats
  /** Stops seeding (the files are not touched). */
  stop(options?: { deleteState?: boolean }): Promise<void>
}
