/**
 * The paths the tracker answers on. Announce and scrape take an optional
 * passkey, in either place private trackers put it: `/announce/<passkey>`,
 * or `/<passkey>/announce`, from which clients derive the scrape URL
 * `/<passkey>/scrape` (BEP 48 replaces the last `announce` with `scrape`).
 * @module
 */

/** What a path asks for. */
export type TrackerRoute =
  | { readonly action: 'announce' | 'scrape'; readonly passkey?: string }
  | { readonly action: 'stats' | 'status' }

/** Characters a passkey may have (URL-unreserved), and its length. */
const PASSKEY = /^[A-Za-z0-9._~-]{1,160}$/

/**
 * Reads a request path (without its query).
 *
 * @param path - `/announce`, `/announce/<passkey>`, `/<passkey>/scrape`, `/stats`, `/`, ...
 * @returns the route, or `undefined` for any other path
 */
export function routeOf(path: string): TrackerRoute | undefined {
  if (path === '/announce' || path === '/scrape') return { action: path.slice(1) as 'announce' | 'scrape' }
  if (path === '/stats' || path === '/stats.json') return { action: 'stats' }
  if (path === '/' || path === '/index.html') return { action: 'status' }
  const parts = path.split('/')
  if (parts.length !== 3 || parts[0] !== '') return undefined
  const [, first, second] = parts as [string, string, string]
  if ((first === 'announce' || first === 'scrape') && PASSKEY.test(second)) return { action: first, passkey: second }
  if ((second === 'announce' || second === 'scrape') && PASSKEY.test(first)) return { action: second, passkey: first }
  return undefined
}
