import type { DhtNode } from '@mycel/dht'

/**
 * The bounds of channels: what a publisher may put in an index, and what a
 * remote can make a subscriber verify, keep, relay or send. Each number is
 * in `docs/limits.md` (section "Channels").
 * @module
 */

/** The bounds of channels. */
export const CHANNEL_LIMITS = Object.freeze({
  /** Entries of one index. */
  maxEntries: 500,
  /** Bytes of one index as it travels (bencoded, and sealed for a private channel). */
  maxIndexBytes: 48 * 1024,
  /** UTF-8 bytes of an entry's name. */
  maxNameBytes: 255,
  /** UTF-8 bytes of an entry's optional text. */
  maxTextBytes: 1024,
  /** UTF-8 bytes of a channel's title. */
  maxTitleBytes: 255,
  /** An index of at most this many bytes travels inside the signed DHT item itself. */
  maxInlineIndexBytes: 700,
  /** How far ahead of our clock a version's `seq` (its publication time, in ms) may be. */
  maxFutureMs: 24 * 60 * 60_000,
  /** Subscriptions (and channels owned) one node keeps. */
  maxChannels: 256,
  /** Peers a subscription remembers as sharing it (its mesh); the oldest is dropped past it. */
  maxMeshPeers: 64,
  /** Peers a new version is pushed to with its index (gossipsub's mesh degree D); the rest get the signed item alone. */
  fanOut: 6,
  /** New versions a subscription relays: this many at once, then one per `relayIntervalMs` (coalesced: the latest). */
  relayBurst: 4,
  relayIntervalMs: 2_000,
  /** Versions one peer may push on one channel: this many at once, then one per `peerVersionIntervalMs`. */
  peerVersionBurst: 8,
  peerVersionIntervalMs: 2_000,
  /** Peers a subscription dials from the DHT when it has fewer than `fanOut` in its mesh. */
  maxDials: 8,
})

/** The timing of a channel's DHT work (all in ms). */
export interface ChannelTimings {
  /** Every holder puts the signed item again this often (BEP 44 items expire in about 2 hours). Default 45 minutes. */
  republishInterval: number
  /** First DHT poll interval, doubled after each poll that finds nothing new, up to `maxPollInterval`; 0: no polls. Default 5 minutes. */
  pollInterval: number
  /** Longest poll interval. Default 1 hour. */
  maxPollInterval: number
  /** The channel's peers are announced and looked up in the DHT this often. Default 15 minutes. */
  peerInterval: number
}

/** What an app may set of channels (`NodeOptions.channels`). */
export interface ChannelOptions extends Partial<ChannelTimings> {
  /** Wall-clock time in ms, to which a version's `seq` is compared; default `Date.now`. */
  readonly wallNow?: () => number
  /**
   * The DHT node channels put, get and find peers in; default the node's
   * own. A testnet gives its memory DHT node here (its nodes find share
   * peers through a peer source instead).
   */
  readonly dht?: DhtNode
}

/** The defaults of {@link ChannelTimings}. */
export const DEFAULT_CHANNEL_TIMINGS: ChannelTimings = Object.freeze({
  republishInterval: 45 * 60_000,
  pollInterval: 5 * 60_000,
  maxPollInterval: 60 * 60_000,
  peerInterval: 15 * 60_000,
})
