/**
 * What a tracker source keeps about each share: which trackers heard
 * `started`, their tracker ids, which refused the share and until when, and
 * the last answer (whose peers a lookup takes while it is fresh).
 * @internal
 * @module
 */

import { toHex } from '@mycel/wire'
import type { NodeError } from '../../errors.js'
import type { AnnounceEvent } from '../peer-source.js'
import { retryInOf } from './http-tracker.js'
import {
  BACKOFF_MS,
  LOOKUP_REANNOUNCE_MS,
  MAX_BACKOFF_MS,
  MAX_SHARES_PER_SOURCE,
  MIN_REANNOUNCE_MS,
} from './settings.js'
import type { TrackerAnswer } from './tracker-client.js'

/** A tracker's last answer about a share. */
export interface Answer {
  readonly at: number
  readonly port: number
  readonly peers: readonly string[]
  readonly intervalMs: number
  readonly minIntervalMs: number | undefined
}

/** How the last announce of a share to one tracker went. */
export interface TrackerAnnounceResult {
  /** When it ended, by the tracker client's clock (ms since the epoch with the system clock). */
  readonly at: number
  /** Whether the tracker answered with peers (else it failed or refused). */
  readonly ok: boolean
  /** Peers it listed, when it answered. */
  readonly peers?: number
  /** Its `interval`, when it answered. */
  readonly intervalMs?: number
  /** The error's code and message, when it failed (`TRACKER_FAILURE` for a `failure reason`). */
  readonly code?: string
  readonly error?: string
}

/** What the source keeps about one share. */
export interface ShareState {
  /** Trackers that heard `started` (and hear `stopped` at the end). */
  readonly started: Set<string>
  readonly trackerIds: Map<string, Uint8Array>
  /** Trackers that refused the share, until when, and how often in a row. */
  readonly refused: Map<string, { until: number; failures: number }>
  /** The last announce to each tracker (one entry per tracker of the source at most). */
  readonly results: Map<string, TrackerAnnounceResult>
  answer?: Answer
  running?: Promise<TrackerAnswer | undefined>
}

/** The figures of one announce. */
export interface AnnounceParams {
  readonly port: number
  readonly event: AnnounceEvent | undefined
  readonly uploaded: number
  readonly downloaded: number
  readonly left: number | undefined
}

/** The state of every share a source announced or looked up, at most {@link MAX_SHARES_PER_SOURCE}. */
export class ShareStates {
  private readonly shares = new Map<string, ShareState>()

  /** The state of a share's key, made when there is none (the oldest forgotten past the bound). */
  of(key: Uint8Array): ShareState {
    const keyHex = toHex(key)
    let state = this.shares.get(keyHex)
    if (state === undefined) {
      state = { started: new Set(), trackerIds: new Map(), refused: new Map(), results: new Map() }
      if (this.shares.size >= MAX_SHARES_PER_SOURCE) this.shares.delete(this.shares.keys().next().value as string)
      this.shares.set(keyHex, state)
    }
    return state
  }

  /** The state of a share's key, if there is one (none is made). */
  peek(key: Uint8Array): ShareState | undefined {
    return this.shares.get(toHex(key))
  }

  /** Takes a share's state out (it stopped): undefined when there was none. */
  take(key: Uint8Array): ShareState | undefined {
    const keyHex = toHex(key)
    const state = this.shares.get(keyHex)
    this.shares.delete(keyHex)
    return state
  }

  clear(): void {
    this.shares.clear()
  }
}

/**
 * Notes a tracker's refusal of a share: not asked about it again before its
 * BEP 31 `retry in` (at most an hour; `never`: not again), else a wait from
 * 15 s, doubling with each refusal in a row, up to an hour.
 * @returns the wait, in ms
 */
export function refuse(state: ShareState, url: string, error: NodeError, now: number): number {
  const retryIn = retryInOf(error)
  const failures = (state.refused.get(url)?.failures ?? 0) + 1
  const wait =
    retryIn === 'never'
      ? Number.POSITIVE_INFINITY
      : retryIn !== undefined
        ? Math.min(retryIn * 60_000, MAX_BACKOFF_MS)
        : Math.min(BACKOFF_MS * 2 ** Math.min(failures - 1, 20), MAX_BACKOFF_MS)
  state.refused.set(url, { until: now + wait, failures })
  return wait
}

/** How long an answer stands for a new announce: the tracker's `min interval`, at least 30 s. */
export function announceWindow(answer: Answer): number {
  return Math.max(answer.minIntervalMs ?? 0, MIN_REANNOUNCE_MS)
}

/** How long an answer's peers stand for a lookup: `min interval`, else 5 minutes; at least 30 s. */
export function lookupWindow(answer: Answer): number {
  return Math.max(answer.minIntervalMs ?? LOOKUP_REANNOUNCE_MS, MIN_REANNOUNCE_MS)
}

/** A byte count for a tracker (anything that is not a non-negative safe integer counts as 0). */
export function counter(value: number | undefined): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0
}

/** A tracker's peer as a transport address. */
export function addressOf(peer: { readonly host: string; readonly port: number }): string {
  return `tcp://${peer.host.includes(':') ? `[${peer.host}]` : peer.host}:${peer.port}`
}
