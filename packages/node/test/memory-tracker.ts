/**
 * A test double of a second peer source: an in-memory "tracker" (a map from
 * key to addresses) shared by several {@link MemoryTrackerSource}s, one per
 * node, as an HTTP tracker would be shared by its clients.
 */
import { toHex } from '@mycel/wire'
import { assertBytes } from '@mycel/wire/assert'
import { throwIfAborted } from '@mycel/wire/signal'
import type {
  AnnounceEvent,
  AnnounceResult,
  PeerCandidate,
  PeerSource,
  ShareKey,
  SourceAnnounceOptions,
  SourceLookupOptions,
} from '../src/discovery.js'
import { NodeError } from '../src/errors.js'

/** Checks a share key as a tracker client would (20-byte keys). */
function checkShareKey(share: ShareKey): void {
  if (typeof share !== 'object' || share === null) throw new TypeError('share must be a { infohash, key } object')
  assertBytes(share.infohash, 'share.infohash', 32)
  assertBytes(share.key, 'share.key', 20)
}

/** One announce the tracker received. */
export interface TrackerAnnounce {
  readonly key: string
  readonly address: string
  readonly event: AnnounceEvent | undefined
}

/** The tracker: swarms by key (hex), and every announce it received. */
export class MemoryTracker {
  readonly swarms = new Map<string, Set<string>>()
  readonly announces: TrackerAnnounce[] = []
  /** Lookups asked, by key (hex). */
  readonly lookups: string[] = []
  private waiters: Array<{ match: (announce: TrackerAnnounce) => boolean; resolve: (a: TrackerAnnounce) => void }> = []

  /** @param interval - the `nextAnnounceMs` it answers */
  constructor(readonly interval = 30 * 60_000) {}

  /** Resolves with the first announce (received already, or to come) that `match` accepts. */
  announced(match: (announce: TrackerAnnounce) => boolean): Promise<TrackerAnnounce> {
    const seen = this.announces.find(match)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve) => this.waiters.push({ match, resolve }))
  }

  /** @internal */
  received(announce: TrackerAnnounce): void {
    this.announces.push(announce)
    for (const waiter of this.waiters.filter(({ match }) => match(announce))) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1)
      waiter.resolve(announce)
    }
  }

  /** A client of this tracker, announcing itself at `host`. */
  source(host = '127.0.0.1'): MemoryTrackerSource {
    return new MemoryTrackerSource(this, host)
  }
}

/** A client of a {@link MemoryTracker}. */
export class MemoryTrackerSource implements PeerSource {
  readonly name = 'tracker:memory'
  private closed = false

  constructor(
    private readonly tracker: MemoryTracker,
    private readonly host: string,
  ) {}

  async announce(share: ShareKey, options: SourceAnnounceOptions): Promise<AnnounceResult> {
    checkShareKey(share)
    this.assertOpen()
    throwIfAborted(options.signal, NodeError)
    await Promise.resolve() // an answer comes later, as from a network
    this.assertOpen()
    throwIfAborted(options.signal, NodeError)
    if (options.port === undefined) return { reached: 0 }
    const key = toHex(share.key)
    const address = `tcp://${this.host}:${options.port}`
    const swarm = this.tracker.swarms.get(key) ?? new Set<string>()
    if (options.event === 'stopped') swarm.delete(address)
    else swarm.add(address)
    this.tracker.swarms.set(key, swarm)
    this.tracker.received({ key, address, event: options.event })
    return { reached: 1, nextAnnounceMs: this.tracker.interval }
  }

  lookup(share: ShareKey, options: SourceLookupOptions = {}): AsyncIterable<PeerCandidate> {
    checkShareKey(share)
    return this.list(toHex(share.key), options.signal)
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private async *list(key: string, signal: AbortSignal | undefined): AsyncGenerator<PeerCandidate> {
    this.assertOpen()
    throwIfAborted(signal, NodeError)
    this.tracker.lookups.push(key)
    await Promise.resolve()
    for (const address of [...(this.tracker.swarms.get(key) ?? [])]) {
      this.assertOpen()
      throwIfAborted(signal, NodeError)
      yield { address }
    }
    this.assertOpen()
    throwIfAborted(signal, NodeError)
  }

  private assertOpen(): void {
    if (this.closed) throw NodeError.closed('the memory tracker source')
  }
}
