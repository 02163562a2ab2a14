/**
 * The state of one peer source for one share: when its announce and its
 * lookup run next, the wait after a failure, and which announce event is
 * due. The scheduler holds one per (share, source).
 * @internal
 * @module
 */

import type { AnnounceEvent, AnnounceResult, PeerSource } from './peer-source.js'

/**
 * Wait before retrying an announce that reached nobody (or that failed), or
 * the lookup of a download that still has no peer; it doubles with each
 * retry in a row, up to the normal interval. Also the shortest wait a
 * source's `nextAnnounceMs` can ask for.
 */
export const DISCOVERY_RETRY_MS = 5000
/** Re-announce well before the 30 minutes after which DHT nodes forget a peer. */
export const REANNOUNCE_MS = 15 * 60 * 1000

/** When one kind of operation runs next, and its wait after a failure. */
export interface Schedule {
  next: number
  retry: number
}

/** One source of one share. */
export interface Track {
  readonly source: PeerSource
  readonly announce: Schedule
  readonly lookup: Schedule
  /** An operation of this track is running. */
  busy: boolean
  /** A lookup was asked for while one ran: run again when it ends. */
  again: boolean
  /** An announce with `started` reached somewhere (and whether the share was complete then). */
  started: boolean
  startedComplete: boolean
  completedSent: boolean
}

/** A track whose announce and lookup are due at once. */
export function newTrack(source: PeerSource): Track {
  const fresh = (): Schedule => ({ next: 0, retry: DISCOVERY_RETRY_MS })
  return {
    source,
    announce: fresh(),
    lookup: fresh(),
    busy: false,
    again: false,
    started: false,
    startedComplete: false,
    completedSent: false,
  }
}

/**
 * The event the next announce carries: `started` until one reached
 * somewhere, `completed` once for a download that started incomplete and is
 * complete now, else none.
 */
export function dueEvent(track: Track, complete: boolean): AnnounceEvent | undefined {
  if (!track.started) return 'started'
  if (complete && !track.startedComplete && !track.completedSent) return 'completed'
  return undefined
}

/** Notes that an announce with `event` reached `reached` places (`complete`: the share when it was sent). */
export function announced(track: Track, event: AnnounceEvent | undefined, reached: number, complete: boolean): void {
  if (reached <= 0) return
  if (event === 'started') {
    track.started = true
    track.startedComplete = complete
  }
  if (event === 'completed') track.completedSent = true
}

/** How many places an announce reached (0 for anything that is not a count). */
export function reachedOf(result: AnnounceResult | undefined): number {
  const reached = result?.reached
  return typeof reached === 'number' && Number.isFinite(reached) && reached > 0 ? Math.floor(reached) : 0
}

/**
 * Sets when an operation runs next: the normal interval after a success,
 * else the growing retry wait.
 */
export function reschedule(schedule: Schedule, succeeded: boolean, interval: number, now: number): void {
  if (succeeded) {
    schedule.next = now + interval
    schedule.retry = DISCOVERY_RETRY_MS
    return
  }
  schedule.next = now + Math.min(schedule.retry, interval)
  schedule.retry = Math.min(schedule.retry * 2, interval)
}

/** After an announce: the source's own wait when it gave one (at least the retry wait), else as {@link reschedule}. */
export function rescheduleAnnounce(track: Track, result: AnnounceResult | undefined, now: number): void {
  const wait = result?.nextAnnounceMs
  if (typeof wait === 'number' && !Number.isNaN(wait)) {
    track.announce.next = now + Math.max(wait, DISCOVERY_RETRY_MS)
    track.announce.retry = DISCOVERY_RETRY_MS
    return
  }
  reschedule(track.announce, reachedOf(result) > 0, REANNOUNCE_MS, now)
}
