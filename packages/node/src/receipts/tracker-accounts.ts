/**
 * What the node tells the trackers its user has accounts at, by itself:
 *
 * - **Receipts.** When a downloader's receipt raises what it covers (the
 *   uploader side of `receipts/1`), the highest receipt per (share,
 *   downloader) waits in the outbox of every account whose tracker the share
 *   lists, and goes out in batches (`POST /api/v1/receipts`, up to 256 a
 *   request, at most one request per account every
 *   {@link ACCOUNT_REQUEST_INTERVAL_MS}); a failure keeps them and tries again
 *   after a backoff (15 s doubling, up to 30 min). Nothing here ever waits
 *   in a transfer's path: receipts are queued and the transfer goes on.
 * - **Reports.** A peer the node banned for corrupt data or metadata is
 *   reported (`POST /api/v1/reports`, reason `corrupt`) to the accounts of
 *   the share it was banned in, once per (peer, share).
 *
 * A share's trackers are the node's and its own (`ShareOptions.trackers`,
 * a magnet's `tr`); an account takes a share when one of them is on the
 * origin of its `announce` URL. Outboxes are bounded (docs/limits.md): past
 * the bound the oldest entry is dropped, with a note in the log.
 * @module
 */

import { decodeReceipt, toHex } from '@mycel/wire'
import { type CryptoProvider, getDefaultCrypto } from '@mycel/wire/crypto'
import { type ComponentLogger, describeError } from '@mycel/wire/log'
import { type Clock, systemClock } from '../clock.js'
import {
  accountApiCodeOf,
  originOf,
  type PeerReportReason,
  type TrackerAccountApi,
  type TrackerAccountOptions,
} from '../discovery/tracker/account-api.js'
import { NodeError } from '../errors.js'
import type { ReceiptsProtocol } from './receipts-protocol.js'

/** Receipts handed in per request at most (the tracker's own bound). */
export const RECEIPTS_PER_REQUEST = 256
/** An account gets one request at most this often (receipts and reports together). */
export const ACCOUNT_REQUEST_INTERVAL_MS = 5_000
/** First wait after a failed request, doubling with each failure in a row... */
export const ACCOUNT_BACKOFF_MS = 15_000
/** ...up to this. */
export const MAX_ACCOUNT_BACKOFF_MS = 30 * 60_000
/** Receipts waiting per account at most (one per share and downloader); past it the oldest is dropped. */
export const MAX_PENDING_RECEIPTS = 10_000
/** Reports waiting per account at most; past it the oldest is dropped. */
export const MAX_PENDING_REPORTS = 1_000
/** (peer, share) pairs remembered as reported, so each is reported once; the oldest are forgotten. */
export const MAX_REPORTED = 10_000

/** What {@link TrackerAccounts} needs of the node. */
export interface TrackerAccountsContext {
  /** The accounts' APIs. */
  readonly apis: readonly TrackerAccountApi[]
  /** The tracker URLs of a share (the node's and its own), by its v2 infohash in hex. */
  trackersOf(infohashHex: string): Promise<readonly string[]>
  /** Where it logs (`mycel:tracker`). */
  readonly log: ComponentLogger
  /** Time of its backoffs and batches. Default the system clock. */
  readonly clock?: Clock
  /** Verifies receipts as they are read (for their share). Default `getDefaultCrypto()`. */
  readonly crypto?: CryptoProvider
  /** Called once at close: stop telling us of receipts and bans. */
  readonly detach?: () => void
}

interface PendingReport {
  readonly peerKey: Uint8Array
  readonly share: Uint8Array
  readonly reason: PeerReportReason
}

/** One account's queue of receipts and reports, and its request schedule. */
class Outbox {
  readonly receipts = new Map<string, Uint8Array>()
  readonly reports = new Map<string, PendingReport>()
  private timer: unknown
  private running: Promise<void> | undefined
  private failures = 0
  private notBefore = 0
  private closed = false
  private readonly stopping = new AbortController()

  constructor(
    readonly api: TrackerAccountApi,
    private readonly clock: Clock,
    private readonly log: ComponentLogger,
  ) {}

  addReceipt(key: string, receipt: Uint8Array): void {
    this.receipts.delete(key) // the newest (highest) last
    if (this.receipts.size >= MAX_PENDING_RECEIPTS) {
      const oldest = this.receipts.keys().next().value as string
      this.receipts.delete(oldest)
      this.log.warn(`${MAX_PENDING_RECEIPTS} receipts wait for ${this.api.base}: the oldest is dropped`)
    }
    this.receipts.set(key, receipt)
    this.schedule()
  }

  addReport(key: string, report: PendingReport): void {
    if (this.reports.has(key)) return
    if (this.reports.size >= MAX_PENDING_REPORTS) {
      this.reports.delete(this.reports.keys().next().value as string)
      this.log.warn(`${MAX_PENDING_REPORTS} reports wait for ${this.api.base}: the oldest is dropped`)
    }
    this.reports.set(key, report)
    this.schedule()
  }

  /** Starts the next request when it may run: one at a time, spaced, after the backoff of a failure. */
  private schedule(): void {
    if (this.closed || this.timer !== undefined || this.running !== undefined) return
    if (this.receipts.size === 0 && this.reports.size === 0) return
    const wait = Math.max(this.notBefore - this.clock.now(), 0)
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      this.running = this.send().finally(() => {
        this.running = undefined
        this.schedule()
      })
    }, wait)
    ;(this.timer as { unref?: () => void } | undefined)?.unref?.()
  }

  private async send(): Promise<void> {
    const signal = this.stopping.signal
    try {
      if (this.receipts.size > 0) await this.sendReceipts(signal)
      else await this.sendReport(signal)
      this.failures = 0
      this.notBefore = this.clock.now() + ACCOUNT_REQUEST_INTERVAL_MS
    } catch (error) {
      if (this.closed) return
      const wait = Math.min(ACCOUNT_BACKOFF_MS * 2 ** Math.min(this.failures, 16), MAX_ACCOUNT_BACKOFF_MS)
      this.failures++
      this.notBefore = this.clock.now() + wait
      const level = error instanceof NodeError && error.code === 'TRACKER_ACCOUNT_REFUSED' ? 'warn' : 'info'
      this.log[level](
        `handing ${this.receipts.size} receipts and ${this.reports.size} reports to ${this.api.base} failed ` +
          `(trying again in ${Math.round(wait / 1000)} s): ${describeError(error)}`,
      )
    }
  }

  private async sendReceipts(signal: AbortSignal): Promise<void> {
    const batch = [...this.receipts].slice(0, RECEIPTS_PER_REQUEST)
    const results = await this.api.postReceipts(
      batch.map(([, receipt]) => receipt),
      signal,
    )
    let credited = 0
    for (const [index, [key, receipt]] of batch.entries()) {
      // A newer receipt of the pair that came in meanwhile stays for the next request.
      if (this.receipts.get(key) === receipt) this.receipts.delete(key)
      const result = results[index]
      if (result?.status === 'credited') credited += result.increase
      else if (result?.status === 'refused' && this.log.enabled('debug')) {
        this.log.debug(`${this.api.base} refused a receipt: ${String(result.reason).slice(0, 200)}`)
      }
    }
    if (this.log.enabled('debug'))
      this.log.debug(`${this.api.base} took ${batch.length} receipts, ${credited} bytes credited`)
  }

  private async sendReport(signal: AbortSignal): Promise<void> {
    const [key, report] = this.reports.entries().next().value as [string, PendingReport]
    try {
      const outcome = await this.api.report(report.peerKey, report.share, report.reason, signal)
      this.log.info(`reported ${toHex(report.peerKey)} (${report.reason}) to ${this.api.base}: ${outcome}`)
    } catch (error) {
      // The tracker's refusal of this report (no such account, a share it does not list) is final.
      const code = accountApiCodeOf(error)
      if (code !== 'REQUEST_INVALID' && code !== 'NOT_FOUND') throw error
      if (this.log.enabled('debug')) this.log.debug(`${this.api.base} refused a report: ${(error as Error).message}`)
    }
    this.reports.delete(key)
  }

  /** Stops the schedule and aborts a request in flight. */
  async close(): Promise<void> {
    this.closed = true
    this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.stopping.abort(NodeError.closed('the tracker accounts'))
    await this.running
  }
}

/**
 * Hands the node's receipts to the trackers of their shares and reports the
 * peers it bans, for the accounts of `NodeOptions.trackerAccounts`.
 * @internal
 */
export class TrackerAccounts {
  private readonly outboxes: Outbox[]
  private readonly crypto: CryptoProvider
  private readonly reported = new Set<string>()
  private readonly log: ComponentLogger
  private closed = false

  constructor(private readonly context: TrackerAccountsContext) {
    const clock = context.clock ?? systemClock
    this.log = context.log
    this.crypto = context.crypto ?? getDefaultCrypto()
    this.outboxes = context.apis.map((api) => new Outbox(api, clock, context.log))
  }

  /** The accounts' options, in order. */
  get accounts(): TrackerAccountOptions[] {
    return this.outboxes.map((outbox) => outbox.api.account)
  }

  /**
   * Takes the receipts the protocol received since it was last asked and
   * queues each for the accounts of its share. Called on `onReceipt`; never throws.
   */
  takeFrom(receipts: ReceiptsProtocol): void {
    if (this.closed) return
    for (const bytes of receipts.takeReceipts()) {
      let share: Uint8Array
      let downloader: Uint8Array
      try {
        ;({ share, downloader } = decodeReceipt(bytes, this.crypto))
      } catch {
        continue // the protocol checked it already
      }
      const key = `${toHex(share)}:${toHex(downloader)}`
      this.route(share, (outbox) => outbox.addReceipt(key, bytes))
    }
  }

  /**
   * A peer was banned in a share: reports it (`corrupt`) to the accounts of
   * the share, once per (peer, share). Never throws.
   *
   * @param peerKey - its 32-byte key
   * @param share - the share's 32-byte v2 infohash
   */
  banned(peerKey: Uint8Array, share: Uint8Array): void {
    this.report(peerKey, share, 'corrupt')
  }

  /**
   * A peer failed a transfer of a share (its requests went unanswered, or
   * were answered against the protocol, and it was disconnected): reports it
   * (`failed`) to the accounts of the share, once per (peer, share). Never throws.
   *
   * @param peerKey - its 32-byte key
   * @param share - the share's 32-byte v2 infohash
   */
  failed(peerKey: Uint8Array, share: Uint8Array): void {
    this.report(peerKey, share, 'failed')
  }

  private report(peerKey: Uint8Array, share: Uint8Array, reason: PeerReportReason): void {
    if (this.closed || peerKey.length !== 32 || share.length !== 32) return
    const key = `${toHex(peerKey)}:${toHex(share)}:${reason}`
    if (this.reported.has(key)) return
    if (this.reported.size >= MAX_REPORTED) this.reported.delete(this.reported.values().next().value as string)
    this.reported.add(key)
    const report = { peerKey: peerKey.slice(), share: share.slice(), reason }
    this.route(share, (outbox) => outbox.addReport(key, report))
  }

  /** Hands `add` the outboxes of the accounts whose tracker the share lists. */
  private route(share: Uint8Array, add: (outbox: Outbox) => void): void {
    this.context.trackersOf(toHex(share)).then(
      (trackers) => {
        if (this.closed) return
        const origins = new Set(trackers.map(originOf))
        for (const outbox of this.outboxes) if (origins.has(outbox.api.announceOrigin)) add(outbox)
      },
      (error: unknown) => this.log.warn(`the trackers of ${toHex(share)} cannot be read: ${describeError(error)}`),
    )
  }

  /** Stops sending (what waits is dropped: receipts are cumulative, the next ones cover it). Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) this.context.detach?.()
    this.closed = true
    await Promise.all(this.outboxes.map((outbox) => outbox.close()))
  }
}
