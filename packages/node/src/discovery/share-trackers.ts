/**
 * The trackers of each share (its own: the options of `share()` and
 * `download()`, a magnet's `tr`, a `.torrent`'s `announce-list`): kept in
 * the state store so that a share resumed after a restart keeps them, and
 * given to the discovery scheduler as a source of that share only.
 * @module
 */

import type { StateStore } from '@mycel/store'
import type { ComponentLogger } from '@mycel/wire/log'
import { shareTrackersKey } from '../state-keys.js'
import type { PeerSource } from './peer-source.js'
import { parseTrackerList, type TrackerList, tierUrls } from './tracker/tiers.js'
import type { TrackerClient } from './tracker/tracker-client.js'
import { TrackerPeerSource } from './tracker/tracker-source.js'
import { splitWsTrackers } from './ws-tracker/split.js'
import type { WsTrackerClient } from './ws-tracker/ws-tracker-client.js'
import { WsTrackerPeerSource } from './ws-tracker/ws-tracker-source.js'

/**
 * Checks the trackers an app gives in options: every one must be usable.
 * @returns the list
 * @throws `WireError` `TRACKER_URL_INVALID` for a URL that is not an `http:`, `https:`, `udp:`, `ws:` or
 *   `wss:` tracker; TypeError for something that is not a tracker list or a malformed `ws:` URL
 */
export function checkTrackers(trackers: unknown, name = 'trackers'): TrackerList | undefined {
  if (trackers === undefined) return undefined
  if (!Array.isArray(trackers)) throw new TypeError(`${name} must be an array of URLs and lists of URLs (tiers)`)
  const split = splitWsTrackers(trackers as TrackerList)
  if (split.skipped.length > 0) throw split.skipped[0]?.error
  const { skipped } = parseTrackerList(split.others)
  if (skipped.length > 0) throw skipped[0]?.error
  return trackers as TrackerList
}

/** The tracker tiers saved for a share (empty when none or unreadable). */
export async function loadShareTrackers(state: StateStore, infohashHex: string): Promise<string[][]> {
  try {
    const saved = await state.getValue(shareTrackersKey(infohashHex))
    if (saved === undefined) return []
    const tiers: unknown = JSON.parse(new TextDecoder().decode(saved))
    const split = splitWsTrackers(Array.isArray(tiers) ? (tiers as TrackerList) : [])
    return [...tierUrls(parseTrackerList(split.others).tiers), ...split.ws.map((url) => [url])]
  } catch {
    return []
  }
}

/** What {@link ShareTrackers} needs of the node. */
export interface ShareTrackersContext {
  readonly state: StateStore
  readonly client: TrackerClient
  readonly log: ComponentLogger
  /** The node's WebSocket tracker client; without it (no WebRTC, proxy mode) `ws:` trackers are left out. */
  readonly ws?: WsTrackerClient | undefined
}

/** The own trackers of the node's shares. @internal */
export class ShareTrackers {
  /** The tracker URLs each share asks already (by infohash hex). */
  private readonly known = new Map<string, Set<string>>()

  constructor(private readonly context: ShareTrackersContext) {}

  /**
   * Adds trackers to a share: those saved for it, and the ones given now
   * (saved with them). URLs that cannot be used (a `wss:` tracker of a
   * magnet) are left out, with a note in the log.
   *
   * @param infohashHex - the share
   * @param given - trackers of this call (options, magnet, torrent), if any
   * @returns sources for the trackers the share did not ask yet (HTTP and UDP; WebSocket), if any
   */
  async add(infohashHex: string, given: TrackerList = []): Promise<PeerSource[]> {
    const { state, client, log } = this.context
    const saved = await loadShareTrackers(state, infohashHex)
    const givenSplit = splitWsTrackers(given)
    const parsed = parseTrackerList(givenSplit.others)
    for (const { url, error } of [...givenSplit.skipped, ...parsed.skipped]) {
      if (log.enabled('info'))
        log.info(`tracker ${JSON.stringify(url.slice(0, 100))} left out: ${String((error as Error)?.message ?? error)}`)
    }
    const savedSplit = splitWsTrackers(saved)
    const all = parseTrackerList([...savedSplit.others, ...tierUrls(parsed.tiers)])
    const wsUrls = [...new Set([...savedSplit.ws, ...givenSplit.ws])]
    const urls = [...tierUrls(all.tiers), ...wsUrls.map((url) => [url])]
    if (urls.flat().length > saved.flat().length) {
      await state
        .setValue(shareTrackersKey(infohashHex), new TextEncoder().encode(JSON.stringify(urls)))
        .catch(() => {})
    }
    const known = this.known.get(infohashHex) ?? new Set<string>()
    this.known.set(infohashHex, known)
    const sources: PeerSource[] = []
    const fresh = tierUrls(all.tiers)
      .map((tier) => tier.filter((url) => !known.has(url)))
      .filter((tier) => tier.length > 0)
    if (fresh.length > 0) {
      for (const url of fresh.flat()) known.add(url)
      sources.push(new TrackerPeerSource(fresh, { client }))
    }
    const freshWs = wsUrls.filter((url) => !known.has(url))
    if (freshWs.length > 0) {
      if (this.context.ws === undefined) {
        if (log.enabled('info')) log.info(`WebSocket trackers left out (no WebRTC here): ${freshWs.join(' ')}`)
      } else {
        for (const url of freshWs) known.add(url)
        sources.push(new WsTrackerPeerSource(freshWs, this.context.ws))
      }
    }
    return sources
  }

  /** The share's trackers are no longer asked (it was removed). */
  forget(infohashHex: string): void {
    this.known.delete(infohashHex)
  }
}
