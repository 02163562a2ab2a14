/**
 * What an announce and a scrape do, whatever carried them (HTTP or UDP):
 * the mode's checks, the swarm update within the bounds, the peers picked
 * for the answer.
 * @module
 */
import { type AnnounceRequest, isOnionHost, type SwarmCounts } from '@mycel/wire'
import { compactKey, type PeerAddress } from '../address.js'
import {
  type AccessDecision,
  type AccessRequest,
  ALLOWED,
  type Authorizer,
  type PeerRanker,
  type TrackerMode,
} from './access.js'
import { OnionPeers } from './onion-peers.js'
import { keyOf, type Registry } from './registry.js'
import type { TrackerStats } from './stats.js'
import type { SwarmTable } from './swarm-table.js'

/** Texts of the `failure reason`s the tracker sends, by cause. */
export const FAILURE = {
  unregistered: 'unregistered torrent',
  full: 'tracker is full, try again later',
  rateLimited: 'too many requests from your address, slow down',
  fullScrape: 'scrape without info_hash is not served here',
  denied: 'access denied',
} as const

/** The announce settings of the tracker. */
export interface AnnounceSettings {
  /** Seconds between regular announces that clients are told. */
  readonly interval: number
  /** Seconds clients must wait at least (`min interval`). */
  readonly minInterval: number
  /** Seconds a peer stays listed after its last announce (`interval` times a factor). */
  readonly peerTtl: number
  /** Peers given when the client does not say (`numwant`). */
  readonly defaultNumwant: number
  /** Most peers given in one HTTP answer, or one UDP answer over IPv4. */
  readonly maxNumwant: number
  /** Most peers given in one UDP answer over IPv6 (18 bytes each: 80 fill a 1,500-byte packet). */
  readonly maxNumwantUdp6: number
}

/** An announce to serve. */
export interface AnnounceInput {
  readonly request: AnnounceRequest
  readonly from: PeerAddress
  /** Only peers of this family in the answer (UDP answers carry one family); both when absent. */
  readonly family?: 4 | 6
}

/** The answer to an announce. */
export type AnnounceResult =
  | {
      readonly ok: true
      readonly complete: number
      readonly incomplete: number
      readonly downloaded: number
      /** Compact IPv4 peers, one character per byte. */
      readonly peers4: string
      /** Compact IPv6 peers, one character per byte. */
      readonly peers6: string
      /** Onion peers, for a client that asked for a list of dictionaries (`compact=0`); none otherwise. */
      readonly onion: ReadonlyArray<{ readonly host: string; readonly port: number }>
    }
  | { readonly ok: false; readonly reason: string }

const NO_COUNTS: SwarmCounts = Object.freeze({ complete: 0, incomplete: 0, downloaded: 0 })

/** The tracker's logic between its transports and its state. */
export class TrackerCore {
  /** Peers that announced an onion address. */
  readonly onion = new OnionPeers()

  /**
   * @param mode - who may announce
   * @param settings - intervals and peer counts
   * @param table - the swarms
   * @param registry - the registered infohashes
   * @param stats - the counters
   * @param nowSeconds - the tracker's clock, in seconds
   * @param authorizer - asked about every request, when there is one (required in `private` mode)
   * @param ranker - orders the peers of answers, when there is one (accounts: reputation)
   */
  constructor(
    readonly mode: TrackerMode,
    readonly settings: AnnounceSettings,
    readonly table: SwarmTable,
    readonly registry: Registry,
    readonly stats: TrackerStats,
    private readonly nowSeconds: () => number,
    private readonly authorizer?: Authorizer,
    private readonly ranker?: PeerRanker,
  ) {}

  /**
   * The checks before a request is served: the registry in `whitelist` and
   * `private` modes (announces only: a scrape of an unregistered infohash is
   * answered with zeros), then the authorizer.
   *
   * @param access - the request
   * @returns the decision, or a promise of it when the authorizer answers later
   */
  admit(access: AccessRequest): AccessDecision | Promise<AccessDecision> {
    if (access.kind === 'announce' && this.mode !== 'open') {
      const infohash = access.infohashes[0]
      if (infohash === undefined || !this.registry.has(keyOf(infohash))) {
        return { allowed: false, reason: FAILURE.unregistered }
      }
    }
    return this.authorizer === undefined ? ALLOWED : this.authorizer.authorize(access)
  }

  /**
   * Applies an announce and picks the peers to answer with.
   *
   * @param input - the announce, where it came from, and the family to answer with
   * @returns the swarm's counts and peers, or a refusal
   */
  announce(input: AnnounceInput): AnnounceResult {
    const { request, from, family } = input
    const swarmKey = this.registry.swarm(keyOf(request.infohash))
    const stopped = request.event === 'stopped'
    // A stop creates nothing: a swarm the tracker does not hold has nothing to remove.
    const swarm = stopped ? this.table.get(swarmKey) : this.table.open(swarmKey)
    if (swarm === undefined) {
      if (stopped) return { ok: true, ...NO_COUNTS_RESULT }
      return { ok: false, reason: FAILURE.full }
    }
    const seeder = request.left === 0
    // A peer that announces its onion address is listed at it, never at the address it came from (a Tor exit).
    const onionAddress =
      request.ip !== undefined && isOnionHost(request.ip) && request.port !== 0
        ? `${request.ip}:${request.port}`
        : undefined
    if (onionAddress !== undefined) {
      this.onion.announce(swarmKey, onionAddress, this.nowSeconds() + this.settings.peerTtl, stopped)
    }
    const peer = request.port === 0 || onionAddress !== undefined ? undefined : compactKey(from.ip, request.port)
    const change = this.table.announce(swarm, {
      peer,
      seeder,
      stopped,
      expiresAt: this.nowSeconds() + this.settings.peerTtl,
    })
    if (change.completed) this.stats.count('completed')
    const limit = family === 6 ? this.settings.maxNumwantUdp6 : this.settings.maxNumwant
    const numwant = stopped ? 0 : Math.min(request.numwant ?? this.settings.defaultNumwant, limit)
    const { peers4, peers6 } =
      this.ranker === undefined || numwant === 0
        ? swarm.select(peer, seeder, numwant, family)
        : ranked(swarm.select(peer, seeder, numwant * 2, family), numwant, this.ranker)
    const onion =
      request.compact === false && family === undefined && numwant > 0
        ? this.onion.pick(swarmKey, onionAddress, numwant, this.nowSeconds())
        : []
    return {
      ok: true,
      complete: swarm.seeders,
      incomplete: swarm.leechers,
      downloaded: swarm.completed,
      peers4,
      peers6,
      onion,
    }
  }

  /**
   * The counts of each infohash asked (the counts of its swarm: a hybrid
   * torrent's two infohashes give the same), zeros for a swarm the tracker
   * does not hold, or, in `whitelist` and `private` modes, for an
   * unregistered infohash.
   *
   * @param infohashes - 20 bytes each
   * @returns one entry per infohash, in the order asked
   */
  scrape(infohashes: readonly Uint8Array[]): SwarmCounts[] {
    return infohashes.map((infohash) => {
      const key = keyOf(infohash)
      if (this.mode !== 'open' && !this.registry.has(key)) return NO_COUNTS
      const swarm = this.table.get(this.registry.swarm(key))
      if (swarm === undefined) return NO_COUNTS
      return { complete: swarm.seeders, incomplete: swarm.leechers, downloaded: swarm.completed }
    })
  }
}

/** The `numwant` best of some candidates, best first (a stable sort: equal scores keep the random order). */
function ranked(
  candidates: { peers4: string; peers6: string },
  numwant: number,
  ranker: PeerRanker,
): { peers4: string; peers6: string } {
  const peers: Array<{ peer: string; score: number }> = []
  for (const [list, width] of [
    [candidates.peers4, 6],
    [candidates.peers6, 18],
  ] as const) {
    for (let at = 0; at < list.length; at += width) {
      const peer = list.slice(at, at + width)
      peers.push({ peer, score: ranker.score(peer) })
    }
  }
  peers.sort((a, b) => b.score - a.score)
  let peers4 = ''
  let peers6 = ''
  for (const { peer } of peers.slice(0, numwant)) {
    if (peer.length === 6) peers4 += peer
    else peers6 += peer
  }
  return { peers4, peers6 }
}

const NO_COUNTS_RESULT = { complete: 0, incomplete: 0, downloaded: 0, peers4: '', peers6: '', onion: [] } as const
