import type { DhtNode } from '@mycel/dht'
import { discoveryKey } from '@mycel/pieces'
import { formatAddress } from '@mycel/transport'
import type { Swarm } from './swarm/swarm.js'

/** Re-announce well before the 30 minutes after which DHT nodes forget a peer. */
export const REANNOUNCE_MS = 15 * 60 * 1000
/** How often a download that wants more peers looks them up again. */
export const LOOKUP_INTERVAL_MS = 60 * 1000
/**
 * Wait before retrying an announce that no DHT node stored (or that failed),
 * or the lookup of a download that still has no peer; it doubles with each
 * retry in a row, up to the normal interval.
 */
export const DISCOVERY_RETRY_MS = 5000
/** Announces and lookups running at once, for all shares together. */
export const MAX_DISCOVERY_OPERATIONS = 8
const TICK_MS = 1000

/** When one kind of DHT operation of a share runs next, and its wait after a failure. */
interface Schedule {
  next: number
  retry: number
}

interface Entry {
  swarm: Swarm
  key: Uint8Array
  announce: Schedule
  lookup: Schedule
  busy: boolean
}

/** What discovery asks of the node. @internal */
export interface DiscoveryHooks {
  /** The TCP port we accept peers on (what is announced), if any. */
  port(): number | undefined
  /** Whether a swarm wants more peers. */
  wantsPeers(swarm: Swarm): boolean
  /** Peers found for a swarm, as transport addresses. */
  found(swarm: Swarm, addresses: string[]): void
}

/**
 * Finds peers for shares on the DHT and makes us findable: each share is
 * announced under its discovery key (never its infohash) at once and then
 * every 15 minutes; a download that wants peers looks them up at once and
 * then every minute. An announce that no DHT node stored (the DHT is still
 * joining, or unreachable) is tried again after 5 s, then 10 s, 20 s, ... up
 * to the normal interval; so is the lookup of a download that still has no
 * peer after it (it listed nobody, or only dead addresses). At most
 * {@link MAX_DISCOVERY_OPERATIONS} run at once; the others wait their turn.
 * @internal
 */
export class Discovery {
  private readonly entries = new Map<string, Entry>()
  private readonly timer: ReturnType<typeof setInterval> | undefined
  private readonly stopping = new AbortController()
  private running = 0

  constructor(
    private readonly dht: DhtNode | undefined,
    private readonly hooks: DiscoveryHooks,
  ) {
    if (dht !== undefined) {
      this.timer = setInterval(() => this.tick(), TICK_MS)
      this.timer.unref?.()
    }
  }

  /** Starts announcing (and, while it wants peers, looking up) a share. */
  add(swarm: Swarm): void {
    if (this.dht === undefined || this.entries.has(swarm.infohashHex)) return
    const fresh = (): Schedule => ({ next: 0, retry: DISCOVERY_RETRY_MS })
    const entry: Entry = { swarm, key: discoveryKey(swarm.infohash), announce: fresh(), lookup: fresh(), busy: false }
    this.entries.set(swarm.infohashHex, entry)
    // After the caller has opened the swarm: a share we seed needs no lookup.
    queueMicrotask(() => void this.run(entry))
  }

  /** Stops announcing a share. */
  remove(swarm: Swarm): void {
    this.entries.delete(swarm.infohashHex)
  }

  /**
   * Announces a share now. When no DHT node stores it, it is tried again
   * from 5 s on, as after any announce.
   * @returns how many DHT nodes stored the announcement (0 without a DHT or a TCP port)
   * @throws `DhtError` when the announce fails (`ABORTED` for the signal)
   */
  async announce(swarm: Swarm, signal?: AbortSignal): Promise<number> {
    const port = this.hooks.port()
    if (this.dht === undefined || port === undefined) return 0
    const entry = this.entries.get(swarm.infohashHex)
    let stored = 0
    try {
      stored = await this.dht.announce(discoveryKey(swarm.infohash), port, signal ? { signal } : {})
      return stored
    } finally {
      if (entry !== undefined) this.reschedule(entry.announce, stored > 0, REANNOUNCE_MS)
    }
  }

  /** Stops every announcement and lookup. */
  close(): void {
    clearInterval(this.timer)
    this.stopping.abort()
    this.entries.clear()
  }

  private tick(): void {
    for (const entry of this.entries.values()) {
      if (this.running >= MAX_DISCOVERY_OPERATIONS) return
      void this.run(entry)
    }
  }

  private async run(entry: Entry): Promise<void> {
    if (entry.busy || this.stopping.signal.aborted || this.running >= MAX_DISCOVERY_OPERATIONS) return
    const now = Date.now()
    const lookup = now >= entry.lookup.next && this.hooks.wantsPeers(entry.swarm)
    const announce = now >= entry.announce.next && this.hooks.port() !== undefined
    if (!lookup && !announce) return
    entry.busy = true
    this.running++
    try {
      if (lookup) {
        await this.lookup(entry).catch(() => {})
        // Listed addresses may all be dead (or our own): a download counts as served once it has a peer.
        this.reschedule(entry.lookup, entry.swarm.memberCount > 0, LOOKUP_INTERVAL_MS)
      }
      if (announce && Date.now() >= entry.announce.next && this.entries.get(entry.swarm.infohashHex) === entry) {
        // A failed announce is rescheduled like one that stored nowhere.
        await this.announce(entry.swarm, this.stopping.signal).catch(() => {})
      }
    } finally {
      entry.busy = false
      this.running--
    }
  }

  /** Sets when an operation runs next: the normal interval after a success, else the growing retry wait. */
  private reschedule(schedule: Schedule, succeeded: boolean, interval: number): void {
    if (succeeded) {
      schedule.next = Date.now() + interval
      schedule.retry = DISCOVERY_RETRY_MS
      return
    }
    schedule.next = Date.now() + Math.min(schedule.retry, interval)
    schedule.retry = Math.min(schedule.retry * 2, interval)
  }

  /** Looks the share up, handing each peer listed to the node as it comes. */
  private async lookup(entry: Entry): Promise<void> {
    const dht = this.dht as DhtNode
    for await (const peer of dht.lookup(entry.key, { signal: this.stopping.signal })) {
      if (!this.entries.has(entry.swarm.infohashHex)) return
      this.hooks.found(entry.swarm, [formatAddress({ scheme: 'tcp', host: peer.host, port: peer.port, path: '' })])
    }
  }
}
