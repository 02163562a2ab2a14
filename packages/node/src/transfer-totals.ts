import type { ShareRecord, StateStore } from '@mycel/store'
import type { RateMeter } from './rate-meter.js'

/** The two meters of a share whose bytes are counted. @internal */
export interface TransferMeters {
  readonly infohash: Uint8Array
  readonly uploaded: RateMeter
  readonly downloaded: RateMeter
}

/**
 * All-time bytes sent and received for one share: what the state store held
 * when the node started the share, plus what its meters counted since.
 * Saving adds this run's bytes not yet saved to the stored record, so a
 * restart loses at most what moved since the last save.
 * @internal
 */
export class TransferTotals {
  /** The stored totals when this run started, once the share's record is known. */
  private base: { uploaded: number; downloaded: number } | undefined
  /** This run's bytes already added to the stored record. */
  private saved = { uploaded: 0, downloaded: 0 }

  constructor(
    private readonly meters: TransferMeters,
    private readonly state: StateStore,
  ) {}

  /**
   * Takes the stored totals from the share's record. Only the first call
   * counts: a later record already holds some of this run's bytes.
   */
  load(record: ShareRecord): void {
    this.base ??= { uploaded: record.bytesUploaded, downloaded: record.bytesDownloaded }
  }

  /** Bytes sent, all time. */
  get uploaded(): number {
    return (this.base?.uploaded ?? 0) + this.meters.uploaded.total
  }

  /** Bytes received and verified, all time. */
  get downloaded(): number {
    return (this.base?.downloaded ?? 0) + this.meters.downloaded.total
  }

  /**
   * Adds the bytes moved since the last save to the stored record. Does
   * nothing before {@link load} (the record may not exist yet; the bytes are
   * saved later) or when nothing moved. A failed save (the share was
   * forgotten, the store closed) loses those bytes and nothing else.
   */
  async save(): Promise<void> {
    if (this.base === undefined) return
    const uploaded = this.meters.uploaded.total
    const downloaded = this.meters.downloaded.total
    const addUploaded = uploaded - this.saved.uploaded
    const addDownloaded = downloaded - this.saved.downloaded
    if (addUploaded === 0 && addDownloaded === 0) return
    this.saved = { uploaded, downloaded } // before the await: a save that starts meanwhile adds only what is newer
    await this.state.updateShare(this.meters.infohash, { addUploaded, addDownloaded }).catch(() => {})
  }
}
