/**
 * Who may announce and scrape: the tracker's mode, and the seam accounts
 * plug into (an {@link Authorizer}).
 * @module
 */
import type { AnnounceRequest } from '@mycel/wire'
import type { PeerAddress } from '../address.js'

/**
 * - `open`: any infohash; registered ones are linked (a hybrid torrent's two infohashes share a swarm).
 * - `whitelist`: only registered infohashes; others are refused (`unregistered torrent`).
 * - `private`: registered infohashes, and every request is put to the {@link Authorizer}
 *   (accounts and passkeys, which a later version brings).
 */
export type TrackerMode = 'open' | 'whitelist' | 'private'

/** One request, as an {@link Authorizer} sees it. */
export interface AccessRequest {
  readonly kind: 'announce' | 'scrape'
  readonly transport: 'http' | 'udp'
  /** Where it came from. */
  readonly address: PeerAddress
  /**
   * The secret in the URL, when there is one: `/announce/<passkey>` or
   * `/<passkey>/announce` over HTTP; the same paths in BEP 41 URL data over UDP.
   */
  readonly passkey?: string
  /** The infohashes concerned (20 bytes each; one for an announce). */
  readonly infohashes: readonly Uint8Array[]
  /** The announce itself (its counters for ratio accounting), for `kind: 'announce'`. */
  readonly announce?: AnnounceRequest
}

/** An {@link Authorizer}'s answer. */
export type AccessDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string }

/**
 * Orders the peers of an answer: a private tracker's accounts put peers of
 * higher reputation first (and, of twice as many candidates as asked,
 * keep the best).
 */
export interface PeerRanker {
  /**
   * @param peer - a peer's compact form (6 or 18 characters, one per byte)
   * @returns its score; higher comes first
   */
  score(peer: string): number
}

/** The answer that lets a request through. */
export const ALLOWED: AccessDecision = Object.freeze({ allowed: true })

/**
 * Decides whether a request is served; the seam private trackers (accounts,
 * passkeys, ratio accounting from the announce counters) plug into. It runs
 * after the tracker's own checks (rate limits, the mode's registry check),
 * before the announce changes anything. A synchronous answer keeps the hot
 * path free of promises; an asynchronous one may look things up.
 */
export interface Authorizer {
  /**
   * @param request - the request
   * @returns whether to serve it, and if not the `failure reason` to send
   */
  authorize(request: AccessRequest): AccessDecision | Promise<AccessDecision>
}

/**
 * Runs `then` on a decision now, or when it comes (an authorizer that fails
 * denies). Errors thrown by a late `then` go to `onError`.
 */
export function whenDecided(
  decision: AccessDecision | Promise<AccessDecision>,
  then: (d: AccessDecision) => void,
  onError: (err: unknown) => void,
): void {
  if (!(decision instanceof Promise)) {
    then(decision)
    return
  }
  decision
    .then(
      (decided) => then(decided),
      () => then({ allowed: false, reason: 'access denied' }),
    )
    .catch(onError)
}
