import type { TrackerList } from '../tracker/tiers.js'
import { isWsTrackerUrl, normaliseWsTrackerUrl } from './ws-tracker-source.js'

/** A tracker list split into its WebSocket trackers and the rest (HTTP, UDP, and what is not a URL). */
export interface SplitTrackers {
  /** `ws:`/`wss:` tracker URLs, normalised, each once (tiers do not matter: all are announced to). */
  readonly ws: string[]
  /** The other entries, tiers kept (empty tiers left out). */
  readonly others: TrackerList
  /** WebSocket tracker URLs that do not parse, with why. */
  readonly skipped: ReadonlyArray<{ readonly url: string; readonly error: unknown }>
}

/**
 * Takes the `ws:` and `wss:` trackers out of a tracker list.
 * @param list - tiers, as `TrackerList`
 * @returns the WebSocket trackers and the rest
 * @throws TypeError when `list` is not an array of strings and arrays of strings
 */
export function splitWsTrackers(list: TrackerList): SplitTrackers {
  if (!Array.isArray(list)) throw new TypeError('trackers must be an array of URLs and lists of URLs (tiers)')
  const ws = new Set<string>()
  const skipped: Array<{ url: string; error: unknown }> = []
  const others: Array<string | readonly string[]> = []
  for (const entry of list) {
    const urls = typeof entry === 'string' ? [entry] : entry
    if (!Array.isArray(urls)) {
      others.push(entry)
      continue
    }
    const rest: unknown[] = []
    for (const url of urls as readonly unknown[]) {
      if (!isWsTrackerUrl(url)) {
        rest.push(url)
        continue
      }
      try {
        ws.add(normaliseWsTrackerUrl(url))
      } catch (error) {
        skipped.push({ url, error })
      }
    }
    if (rest.length === 0) continue
    others.push(typeof entry === 'string' ? entry : (rest as string[]))
  }
  return { ws: [...ws], others, skipped }
}
