import type { DhtNode } from '@mycel/dht'
import type { StateStore } from '@mycel/store'
import type { CryptoProvider } from '@mycel/wire/crypto'
import type { ComponentLogger } from '@mycel/wire/log'
import type { Clock } from '../clock.js'
import type { Gossip } from '../peer/gossip.js'
import type { PeerLink } from '../swarm/peer.js'
import type { ChannelEntry } from './index-format.js'
import type { ChannelTimings } from './limits.js'
import type { DownloadPolicy } from './policy.js'

/** A channel as the node knows it: owned, subscribed, or both. */
export interface ChannelInfo {
  /** The channel's public key (64 hex digits). */
  readonly publicKey: string
  /** Its link: with the read key for a private channel when this node has it (give it only to readers). */
  readonly link: string
  /** Its title, when a version was read. */
  readonly title: string | undefined
  /** Whether its index is sealed with a read key. */
  readonly private: boolean
  /** Whether this node holds its secret key. */
  readonly owned: boolean
  /** Whether this node subscribed to it. */
  readonly subscribed: boolean
  /** The download policy of the subscription. */
  readonly policy: DownloadPolicy
  /** The `seq` of the latest version (its publication time in ms), if any. */
  readonly seq: number | undefined
  /** Its entries, newest first (empty when no version was read, or without the read key of a private channel). */
  readonly entries: readonly ChannelEntry[]
  /** Whether the latest version could be read (false for a private channel without its read key). */
  readonly readable: boolean
}

/** A newer version of a channel, verified. */
export interface ChannelUpdate {
  /** The channel's public key (hex). */
  readonly publicKey: string
  /** The version's `seq`. */
  readonly seq: number
  /** Its title and entries, when readable here. */
  readonly title: string | undefined
  readonly entries: readonly ChannelEntry[] | undefined
  /** Where it came from: a peer's gossip, the DHT, or published here. */
  readonly source: 'gossip' | 'dht' | 'local'
  /** The peer that pushed it, for `gossip`. */
  readonly peerId?: string
}

/** The events of {@link Channels}. */
export type ChannelEvents = {
  /** A newer version of a channel (owned or subscribed) was verified and taken. */
  update: (update: ChannelUpdate) => void
  /** A version lists a share the previous one did not (for each such entry, after `update`). */
  'entry-added': (publicKey: string, entry: ChannelEntry) => void
  /** The signed item of a channel's version was put in the DHT (`nodes` stored it; 0: none did yet). */
  republished: (publicKey: string, seq: number, nodes: number) => void
}

/** What {@link Channels} needs of the node. @internal */
export interface ChannelsOptions {
  readonly state: StateStore
  readonly gossip: Gossip
  readonly dht: DhtNode | undefined
  readonly crypto: CryptoProvider
  readonly clock: Clock
  /** Wall-clock ms (the `seq` of versions); default `Date.now`. */
  readonly wallNow?: () => number
  readonly timings?: Partial<ChannelTimings>
  readonly log: ComponentLogger
  score(peer: PeerLink, delta: number, reason: string): void
  fault(peer: PeerLink, reason: string): void
  /** Dials a peer (errors are the caller's to ignore). */
  connect(address: string): Promise<unknown>
  /** Our TCP port, announced under channel topics. */
  port(): number | undefined
  /** Starts the download of an entry a policy wants. */
  download(entry: ChannelEntry, publicKey: string): void
}
