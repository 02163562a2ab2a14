import type { DhtNode } from '@mycel/dht'
import { discoveryKey } from '@mycel/pieces'
import { formatAddress } from '@mycel/transport'
import type { Swarm } from './swarm/swarm.js'

/** Re-announce well before the 30 minutes after which DHT nodes forget a peer. */
export const REANNOUNCE_MS = 15 * 60 * 1000
/** How often a download that wants more peers looks them up again. */
export const LOOKUP_INTERVAL_MS = 60 * 1000
const TICK_MS = 5000

interface Entry {
  swarm: Swarm
  key: Uint8Array
  nextAnnounce: number
  nextLookup: number
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
 * then every minute.
 * @internal
 */
export class Discovery {
  private readonly entries = new Map<string, Entry>()
  private readonly timer: ReturnType<typeof setInterval> | undefined
  private readonly stopping = new AbortController()

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
    const entry: Entry = { swarm, key: discoveryKey(swarm.infohash), nextAnnounce: 0, nextLookup: 0, busy: false }
    this.entries.set(swarm.infohashHex, entry)
    void this.run(entry)
  }

  /** Stops announcing a share. */
  remove(swarm: Swarm): void {
    this.entries.delete(swarm.infohashHex)
  }

  /**
   * Announces a share now.
   * @returns how many DHT nodes stored the announcement (0 without a DHT or a TCP port)
   */
  async announce(swarm: Swarm, signal?: AbortSignal): Promise<number> {
    const port = this.hooks.port()
    if (this.dht === undefined || port === undefined) return 0
    const stored = await this.dht.announce(discoveryKey(swarm.infohash), port, signal ? { signal } : {})
    const entry = this.entries.get(swarm.infohashHex)
    if (entry !== undefined) entry.nextAnnounce = Date.now() + REANNOUNCE_MS
    return stored
  }

  /** Stops every announcement and lookup. */
  close(): void {
    clearInterval(this.timer)
    this.stopping.abort()
    this.entries.clear()
  }

  private tick(): void {
    for (const entry of this.entries.values()) void this.run(entry)
  }

  private async run(entry: Entry): Promise<void> {
    if (entry.busy || this.stopping.signal.aborted) return
    entry.busy = true
    try {
      const now = Date.now()
      if (now >= entry.nextLookup && this.hooks.wantsPeers(entry.swarm)) {
        entry.nextLookup = now + LOOKUP_INTERVAL_MS
        await this.lookup(entry)
      }
      if (Date.now() >= entry.nextAnnounce && this.hooks.port() !== undefined) {
        entry.nextAnnounce = Date.now() + REANNOUNCE_MS
        await this.announce(entry.swarm, this.stopping.signal)
      }
    } catch {
      // A lookup or announce that fails is retried at the next interval.
    } finally {
      entry.busy = false
    }
  }

  private async lookup(entry: Entry): Promise<void> {
    const dht = this.dht as DhtNode
    for await (const peer of dht.lookup(entry.key, { signal: this.stopping.signal })) {
      if (!this.entries.has(entry.swarm.infohashHex)) return
      this.hooks.found(entry.swarm, [formatAddress({ scheme: 'tcp', host: peer.host, port: peer.port, path: '' })])
    }
  }
}
