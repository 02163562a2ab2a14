/**
 * Tracker lists as BEP 12 has them: tiers of trackers, each tier shuffled
 * once, asked in order; the tracker that answers moves to the front of its
 * tier, and a tier is left for the next only when none of its trackers
 * answers.
 * @module
 */

import { parseTrackerUrl, type TrackerUrl } from '@mycel/wire'

/**
 * Trackers as an option takes them: each entry is one tier, a URL (a tier
 * of one) or a list of URLs (BEP 12 `announce-list` tier). A magnet's `tr`
 * trackers are a tier each; a `.torrent`'s `announce-list` keeps its tiers.
 *
 * @example
 * ```ts
 * const trackers: TrackerList = [['udp://a.example:6969', 'http://b.example/announce'], 'udp://c.example:1337']
 * ```
 */
export type TrackerList = ReadonlyArray<string | readonly string[]>

/** Most trackers of one list (the rest are dropped). */
export const MAX_TRACKERS_PER_LIST = 256

/** A tracker list read and checked. */
export interface ParsedTrackers {
  /** The tiers of usable trackers (empty tiers left out, each URL once). */
  readonly tiers: TrackerUrl[][]
  /** What could not be used, with why (a `wss:` tracker, a malformed URL). */
  readonly skipped: ReadonlyArray<{ readonly url: string; readonly error: unknown }>
}

/**
 * Reads a tracker list: every URL checked by `parseTrackerUrl`, duplicates
 * (after normalisation) kept in their first tier, at most
 * {@link MAX_TRACKERS_PER_LIST}.
 *
 * @param list - tiers, as {@link TrackerList}
 * @returns the usable tiers and what was skipped
 * @throws TypeError when `list` is not an array of strings and arrays of strings
 */
export function parseTrackerList(list: TrackerList): ParsedTrackers {
  if (!Array.isArray(list)) throw new TypeError('trackers must be an array of URLs and lists of URLs (tiers)')
  const seen = new Set<string>()
  const tiers: TrackerUrl[][] = []
  const skipped: Array<{ url: string; error: unknown }> = []
  for (const entry of list) {
    const urls = typeof entry === 'string' ? [entry] : entry
    if (!Array.isArray(urls) || urls.some((url) => typeof url !== 'string')) {
      throw new TypeError('trackers must be an array of URLs and lists of URLs (tiers)')
    }
    const tier: TrackerUrl[] = []
    for (const text of urls as readonly string[]) {
      if (seen.size >= MAX_TRACKERS_PER_LIST) break
      try {
        const url = parseTrackerUrl(text)
        if (seen.has(url.url)) continue
        seen.add(url.url)
        tier.push(url)
      } catch (error) {
        skipped.push({ url: text, error })
      }
    }
    if (tier.length > 0) tiers.push(tier)
  }
  return { tiers, skipped }
}

/** The tiers as plain URL lists (what is saved, and compared). */
export function tierUrls(tiers: readonly (readonly TrackerUrl[])[]): string[][] {
  return tiers.map((tier) => tier.map((url) => url.url))
}

/**
 * The order in which one list's trackers are asked (BEP 12): shuffled
 * within each tier once, then the one that answers first in its tier.
 */
export class TrackerTiers {
  private readonly tiers: TrackerUrl[][]

  /**
   * @param tiers - the tiers, as {@link parseTrackerList} gives them
   * @param random - a number in [0, 1) (for the shuffle); default `Math.random`
   */
  constructor(tiers: readonly (readonly TrackerUrl[])[], random: () => number = Math.random) {
    this.tiers = tiers.map((tier) => shuffled(tier, random))
  }

  /** Every tracker, tier by tier, in the order to ask them. */
  get order(): TrackerUrl[] {
    return this.tiers.flat()
  }

  /** How many trackers in all. */
  get size(): number {
    return this.tiers.reduce((sum, tier) => sum + tier.length, 0)
  }

  /** The tracker answered: it goes to the front of its tier. */
  answered(url: TrackerUrl): void {
    for (const tier of this.tiers) {
      const at = tier.findIndex((candidate) => candidate.url === url.url)
      if (at <= 0) continue
      tier.splice(at, 1)
      tier.unshift(url)
      return
    }
  }
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}
