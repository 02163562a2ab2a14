/**
 * The daemon's token in the page: taken from the `#token=` fragment of the
 * address the daemon prints (a fragment is never sent to a server, nor in a
 * Referer), then removed from the address bar and kept in sessionStorage,
 * which this tab alone reads and which is gone when it closes.
 * @module
 */

const KEY = 'mycel.daemon.token'

/**
 * Takes the token out of the address's fragment, if it holds one, into sessionStorage.
 *
 * @param location - the page's location
 * @param history - to remove the fragment from the address bar
 */
export function adoptTokenFromFragment(location: Location, history: History): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash)
  if (match === null) return
  saveToken(decodeURIComponent(match[1] as string))
  history.replaceState(null, '', location.pathname + location.search)
}

/** @returns the token this tab keeps, if any */
export function loadToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined
}

/** @param token - the token (or `--password`) to keep for this tab */
export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token.trim())
}

/** Forgets the token (a wrong one, or logging out). */
export function forgetToken(): void {
  sessionStorage.removeItem(KEY)
}
