import { integerOption } from '@mycel/wire/assert'

/** Largest bencoded `v` of a BEP 44 item, in bytes (BEP 44 allows storing nodes to refuse more). */
export const MAX_ITEM_VALUE_BYTES = 1000

/** Longest BEP 44 `salt`, in bytes. */
export const MAX_SALT_BYTES = 64

/**
 * Every bound a node applies to what remote nodes send it or make it store.
 * Each has a default in {@link DEFAULT_LIMITS}; `DhtNodeOptions.limits`
 * overrides any of them.
 */
export interface DhtLimits {
  /** Largest datagram decoded; bigger ones are dropped and counted. */
  readonly maxPacketBytes: number
  /** Most infohashes / discovery keys with stored peers. */
  readonly maxPeerKeys: number
  /**
   * Most peers stored under one key. When a key is full, a new peer takes the
   * place of the least recently announced peer of the most represented
   * network (/24 or /48) of the key, so a peer that is alone in its network
   * is not pushed out by a crowd from another one.
   */
  readonly maxPeersPerKey: number
  /**
   * Most peers under one key from one IP address (different ports: several
   * peers behind one NAT). A new one takes the place of that address's least
   * recently announced peer under the key.
   */
  readonly maxPeersPerIpPerKey: number
  /**
   * Most peers under one key from one network: a /24 for IPv4, a /48 for
   * IPv6. A new one takes the place of the least recently announced peer of
   * the network's most represented address under the key.
   */
  readonly maxPeersPerPrefixPerKey: number
  /** Most peers stored in total. */
  readonly maxPeers: number
  /** Most peers stored from one IP address, all keys together; past it, its new peers are refused (202). */
  readonly maxPeersPerIp: number
  /** Most peers stored from one /24 (IPv4) or /48 (IPv6), all keys together; past it, new ones are refused (202). */
  readonly maxPeersPerPrefix: number
  /** Most peers returned in one `get_peers` response. */
  readonly maxPeersPerResponse: number
  /** Most keys in one BEP 51 `sample_infohashes` answer (20 bytes each). */
  readonly maxSamplesPerResponse: number
  /**
   * How long a BEP 51 sample of stored keys is reused before a new one is
   * drawn, in ms; answers give it in seconds as `interval` (BEP 51 caps it at
   * 21,600 s), so a crawler knows when asking again can show it more.
   */
  readonly sampleInterval: number
  /** How long a stored peer lives without being announced again, in ms. */
  readonly peerTtl: number
  /** Most BEP 44 items stored. */
  readonly maxItems: number
  /** Most BEP 44 items first stored by one IP address; past it, its new items are refused (202). */
  readonly maxItemsPerIp: number
  /** Most BEP 44 items first stored from one /24 (IPv4) or /48 (IPv6); past it, new ones are refused (202). */
  readonly maxItemsPerPrefix: number
  /** How long a stored BEP 44 item lives without being put again, in ms. */
  readonly itemTtl: number
  /** Most outgoing queries waiting for an answer; more wait for a free slot. */
  readonly maxPendingQueries: number
  /** Incoming queries answered per second from one address (IP and port); the rest are dropped. */
  readonly queriesPerSecondPerAddress: number
  /** How many source addresses the rate limiter remembers (least recently seen forgotten first). */
  readonly maxTrackedAddresses: number
  /**
   * Signed (mutable) BEP 44 puts whose Ed25519 signature is checked per
   * second, from all sources together; the rest are answered 202 (busy).
   * A check costs about 0.2 to 2 ms of CPU, and the per-address limit alone
   * does not bound a sender that uses many ports.
   */
  readonly signatureChecksPerSecond: number
  /** Most pings in flight to check nodes that queried us or questionable nodes. */
  readonly maxLivenessPings: number
  /** Most queries one lookup sends. */
  readonly maxQueriesPerLookup: number
  /** Most candidate nodes one lookup remembers (the farthest are forgotten). */
  readonly maxLookupCandidates: number
  /** Most distinct peers one lookup yields. */
  readonly maxPeersPerLookup: number
}

/**
 * The default bounds. With them a node holds at most about 2 MB of remote
 * data in its stores (20,000 peers and 1,000 items of at most 1,000 bytes),
 * and one IP address at most 1% of the peers and 5% of the items (one /24
 * or /48: 5% and 20%); `docs/limits.md` gives the reasons for each number.
 */
export const DEFAULT_LIMITS: DhtLimits = Object.freeze({
  maxPacketBytes: 2048,
  maxPeerKeys: 5000,
  maxPeersPerKey: 100,
  maxPeersPerIpPerKey: 8,
  maxPeersPerPrefixPerKey: 16,
  maxPeers: 20_000,
  maxPeersPerIp: 200,
  maxPeersPerPrefix: 1000,
  maxPeersPerResponse: 50,
  maxSamplesPerResponse: 20,
  sampleInterval: 6 * 60 * 60_000,
  peerTtl: 30 * 60_000,
  maxItems: 1000,
  maxItemsPerIp: 50,
  maxItemsPerPrefix: 200,
  itemTtl: 2 * 60 * 60_000,
  maxPendingQueries: 256,
  queriesPerSecondPerAddress: 100,
  maxTrackedAddresses: 4096,
  signatureChecksPerSecond: 100,
  maxLivenessPings: 16,
  maxQueriesPerLookup: 256,
  maxLookupCandidates: 200,
  maxPeersPerLookup: 10_000,
})

/** Checks caller overrides and fills in defaults. @internal */
export function resolveLimits(overrides: Partial<DhtLimits> = {}): DhtLimits {
  if (typeof overrides !== 'object' || overrides === null) throw new TypeError('limits must be an object')
  const out: Record<string, number> = {}
  for (const [name, fallback] of Object.entries(DEFAULT_LIMITS)) {
    const min = name === 'maxPacketBytes' ? 512 : 1
    out[name] = integerOption(overrides[name as keyof DhtLimits], `limits.${name}`, {
      min,
      fallback: fallback as number,
    })
  }
  return out as unknown as DhtLimits
}
