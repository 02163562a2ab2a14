import { ManualClock } from '@mycel/dht/testing'
import { toHex } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type AnnounceEvent,
  type AnnounceResult,
  DISCOVERY_OPERATION_TIMEOUT_MS,
  DirectPeerSource,
  type DiscoveredShare,
  DiscoveryScheduler,
  MAX_DISCOVERY_OPERATIONS,
  type PeerCandidate,
  type PeerOrigin,
  type PeerSource,
  REANNOUNCE_MS,
  type ShareKey,
  type SourceAnnounceOptions,
  shareKeyOf,
} from '../src/discovery.js'
import { NodeError } from '../src/errors.js'

/** A share as the scheduler sees it, its state set by the test. */
interface TestShare extends DiscoveredShare {
  complete: boolean
  memberCount: number
}

let shareCount = 0
function testShare(state: Partial<Pick<TestShare, 'complete' | 'memberCount'>> = {}): TestShare {
  const infohash = new Uint8Array(32)
  infohash[0] = ++shareCount
  return { infohash, infohashHex: toHex(infohash), complete: false, memberCount: 0, ...state }
}

interface Call {
  readonly op: 'announce' | 'lookup'
  readonly share: string
  readonly at: number
  readonly event?: AnnounceEvent | undefined
  readonly port?: number | undefined
}

/** A source whose answers the test scripts; it records every call at the clock's time. */
class ScriptedSource implements PeerSource {
  readonly calls: Call[] = []
  closed = 0
  inFlight = 0
  maxInFlight = 0
  /** Announces and lookups wait until their signal aborts. */
  hang = false
  answer: (call: number) => AnnounceResult = () => ({ reached: 1 })
  peers: string[] = []
  /** Resolves a held lookup (see `holdLookups`). */
  private releases: Array<() => void> = []
  holdLookups = false

  constructor(
    readonly name: string,
    private readonly clock: ManualClock,
  ) {}

  announces(share?: TestShare): Call[] {
    return this.calls.filter((call) => call.op === 'announce' && (!share || call.share === share.infohashHex))
  }

  lookups(share?: TestShare): Call[] {
    return this.calls.filter((call) => call.op === 'lookup' && (!share || call.share === share.infohashHex))
  }

  release(): void {
    for (const release of this.releases.splice(0)) release()
  }

  async announce(share: ShareKey, options: SourceAnnounceOptions): Promise<AnnounceResult> {
    const count = this.announces().length
    this.calls.push({
      op: 'announce',
      share: toHex(share.infohash),
      at: this.clock.now(),
      event: options.event,
      port: options.port,
    })
    if (this.hang) await this.holdUntilAborted(options.signal)
    return this.answer(count)
  }

  lookup(share: ShareKey, options: { signal?: AbortSignal } = {}): AsyncIterable<PeerCandidate> {
    this.calls.push({ op: 'lookup', share: toHex(share.infohash), at: this.clock.now() })
    const self = this
    return (async function* () {
      if (self.hang) await self.holdUntilAborted(options.signal)
      if (self.holdLookups) await new Promise<void>((resolve) => self.releases.push(resolve))
      for (const address of self.peers) yield { address }
    })()
  }

  async close(): Promise<void> {
    this.closed++
  }

  /** Counts an operation in flight until `signal` aborts, then rejects as a source does. */
  private async holdUntilAborted(signal: AbortSignal | undefined): Promise<never> {
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      return await new Promise<never>((_, reject) => {
        signal?.addEventListener('abort', () => reject(NodeError.aborted(signal.reason)), { once: true })
      })
    } finally {
      this.inFlight--
    }
  }
}

interface Found {
  readonly share: string
  readonly addresses: string[]
  readonly origin: string
}

const schedulers: DiscoveryScheduler<TestShare>[] = []
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((scheduler) => scheduler.close()))
})

function setup(sources: PeerSource[], clock: ManualClock, port: number | undefined = 7000) {
  const found: Found[] = []
  const scheduler = new DiscoveryScheduler<TestShare>(
    sources,
    {
      port: () => port,
      wantsPeers: (share) => !share.complete && share.memberCount < 50,
      found: (share, addresses, origin: PeerOrigin) =>
        found.push({ share: share.infohashHex, addresses, origin: origin.name }),
    },
    { clock },
  )
  schedulers.push(scheduler)
  return { scheduler, found }
}

const keyOf = (share: TestShare) => shareKeyOf(share.infohash, 'discovery-key')

describe('the discovery scheduler', () => {
  it('announces at once, retries what reached nobody after 5, 10, 20 s, then every 15 minutes', async () => {
    const clock = new ManualClock()
    const dht = new ScriptedSource('dht', clock)
    dht.answer = (call) => ({ reached: call < 3 ? 0 : 8 })
    const { scheduler } = setup([dht], clock)
    const seed = testShare({ complete: true })
    scheduler.add(seed, { key: keyOf(seed) })
    await clock.advance(0)
    await clock.advance(40_000)
    expect(dht.announces().map((call) => call.at)).toEqual([0, 5000, 15_000, 35_000])
    // 'started' until one reached somewhere; then plain re-announces.
    expect(dht.announces().map((call) => call.event)).toEqual(['started', 'started', 'started', 'started'])
    await clock.advance(REANNOUNCE_MS)
    expect(dht.announces().map((call) => call.at)).toEqual([0, 5000, 15_000, 35_000, 35_000 + REANNOUNCE_MS])
    expect(dht.announces().at(-1)?.event).toBeUndefined()
    expect(dht.lookups()).toEqual([]) // a seed wants no peers
    expect(dht.announces()[0]?.port).toBe(7000)
  })

  it('looks a share up while it wants peers: at once, from 5 s while it has none, then every minute', async () => {
    const clock = new ManualClock()
    const dht = new ScriptedSource('dht', clock)
    dht.peers = ['tcp://192.0.2.1:7000']
    const { scheduler, found } = setup([dht], clock)
    const download = testShare()
    scheduler.add(download, { key: keyOf(download) })
    await clock.advance(0)
    await clock.advance(15_000)
    expect(dht.lookups().map((call) => call.at)).toEqual([0, 5000, 15_000])
    expect(found[0]).toEqual({ share: download.infohashHex, addresses: ['tcp://192.0.2.1:7000'], origin: 'dht' })
    download.memberCount = 1
    await clock.advance(20_000) // the retry at 35 s finds the share served
    await clock.advance(60_000)
    expect(dht.lookups().map((call) => call.at)).toEqual([0, 5000, 15_000, 35_000, 95_000])
    download.complete = true
    await clock.advance(120_000)
    expect(dht.lookups()).toHaveLength(5)
  })

  it('runs each source on its own: a hung source holds at most 8 operations and never holds up another', async () => {
    const clock = new ManualClock()
    const slow = new ScriptedSource('slow', clock)
    slow.hang = true
    const fast = new ScriptedSource('fast', clock)
    fast.peers = ['tcp://192.0.2.9:1']
    const { scheduler, found } = setup([slow, fast], clock)
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const downloads = Array.from({ length: 12 }, () => testShare())
    for (const download of downloads) scheduler.add(download, { key: keyOf(download) })
    await clock.advance(0)
    await clock.advance(3000)
    await new Promise((resolve) => setImmediate(resolve))
    process.off('warning', onWarning)
    // 16 operations in flight pile no listeners on one signal (Node warns past 10).
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning')
    expect(slow.inFlight).toBe(MAX_DISCOVERY_OPERATIONS)
    expect(slow.maxInFlight).toBe(MAX_DISCOVERY_OPERATIONS)
    // The fast source looked every share up and announced it.
    expect(new Set(fast.lookups().map((call) => call.share)).size).toBe(12)
    expect(new Set(fast.announces().map((call) => call.share)).size).toBe(12)
    expect(new Set(found.map((entry) => entry.share)).size).toBe(12)
    await scheduler.close()
    await clock.advance(0)
    expect(slow.inFlight).toBe(0) // close aborted every operation
    expect([slow.closed, fast.closed]).toEqual([1, 1])
  })

  it('cuts off an operation that hangs for 2 minutes, and tries again', async () => {
    const clock = new ManualClock()
    const slow = new ScriptedSource('slow', clock)
    slow.hang = true
    const { scheduler } = setup([slow], clock)
    const seed = testShare({ complete: true })
    scheduler.add(seed, { key: keyOf(seed) })
    await clock.advance(0)
    expect(slow.inFlight).toBe(1)
    await clock.advance(DISCOVERY_OPERATION_TIMEOUT_MS)
    expect(slow.inFlight).toBe(0)
    await clock.advance(5000) // the failed announce is retried from 5 s
    expect(slow.announces()).toHaveLength(2)
  })

  it("takes a source's own interval (a tracker's), at least 5 s; Infinity is never again", async () => {
    const clock = new ManualClock()
    const tracker = new ScriptedSource('tracker', clock)
    tracker.answer = () => ({ reached: 1, nextAnnounceMs: 30 * 60_000 })
    const eager = new ScriptedSource('eager', clock)
    eager.answer = () => ({ reached: 1, nextAnnounceMs: 0 })
    const direct = new ScriptedSource('direct', clock)
    direct.answer = () => ({ reached: 0, nextAnnounceMs: Number.POSITIVE_INFINITY })
    const { scheduler } = setup([tracker, eager, direct], clock)
    const seed = testShare({ complete: true })
    scheduler.add(seed, { key: keyOf(seed) })
    await clock.advance(0)
    await clock.advance(31 * 60_000)
    expect(tracker.announces().map((call) => call.at)).toEqual([0, 30 * 60_000])
    expect(eager.announces()[1]?.at).toBe(5000)
    expect(eager.announces().length).toBeLessThanOrEqual(1 + (31 * 60_000) / 5000)
    expect(direct.announces()).toHaveLength(1)
  })

  it('says completed once when a download completes, stopped when it is removed, then nothing', async () => {
    const clock = new ManualClock()
    const tracker = new ScriptedSource('tracker', clock)
    const { scheduler } = setup([tracker], clock)
    const download = testShare({ memberCount: 1 })
    scheduler.add(download, { key: keyOf(download) })
    await clock.advance(0)
    download.complete = true
    await clock.advance(2 * REANNOUNCE_MS)
    expect(tracker.announces().map((call) => call.event)).toEqual(['started', 'completed', undefined])
    scheduler.remove(download)
    await clock.advance(0)
    expect(tracker.announces().at(-1)?.event).toBe('stopped')
    const calls = tracker.calls.length
    await clock.advance(2 * REANNOUNCE_MS)
    expect(tracker.calls).toHaveLength(calls)
    // A share seeded from the start never says completed.
    const seed = testShare({ complete: true })
    scheduler.add(seed, { key: keyOf(seed) })
    await clock.advance(2 * REANNOUNCE_MS)
    expect(tracker.announces(seed).map((call) => call.event)).toEqual(['started', undefined, undefined])
  })

  it('looks up at once on refresh, and again right after a lookup that was running', async () => {
    const clock = new ManualClock()
    const direct = new ScriptedSource('direct', clock)
    direct.holdLookups = true
    const { scheduler } = setup([direct], clock)
    const download = testShare({ memberCount: 1 })
    scheduler.add(download, { key: keyOf(download) })
    await clock.advance(0)
    expect(direct.lookups()).toHaveLength(1) // held
    scheduler.refresh(download, direct)
    expect(direct.lookups()).toHaveLength(1)
    direct.release()
    await clock.advance(0)
    expect(direct.lookups()).toHaveLength(2) // at once, not a minute later
    direct.release()
    await clock.advance(0)
    scheduler.refresh(download, direct)
    await clock.advance(0)
    expect(direct.lookups().map((call) => call.at)).toEqual([0, 0, 0])
  })

  it('serves the shares already there with a source added at run time, and per-share sources only their share', async () => {
    const clock = new ManualClock()
    const dht = new ScriptedSource('dht', clock)
    const { scheduler } = setup([dht], clock)
    const one = testShare({ complete: true })
    const two = testShare({ complete: true })
    const own = new ScriptedSource('tracker:own', clock)
    scheduler.add(one, { key: keyOf(one), sources: [own] })
    scheduler.add(two, { key: keyOf(two) })
    await clock.advance(0)
    expect(own.announces().map((call) => call.share)).toEqual([one.infohashHex])
    const later = new ScriptedSource('tracker:later', clock)
    scheduler.addSource(later)
    await clock.advance(0)
    expect(new Set(later.announces().map((call) => call.share))).toEqual(new Set([one.infohashHex, two.infohashHex]))
    await scheduler.close()
    await scheduler.close()
    expect([dht.closed, own.closed, later.closed]).toEqual([1, 1, 1])
  })

  it('waits for the share key; a share whose key cannot be had is never announced', async () => {
    const clock = new ManualClock()
    const dht = new ScriptedSource('dht', clock)
    const { scheduler } = setup([dht], clock)
    const share = testShare({ complete: true })
    let resolveKey: (key: ShareKey) => void = () => {}
    scheduler.add(share, { key: new Promise<ShareKey>((resolve) => (resolveKey = resolve)) })
    const broken = testShare({ complete: true })
    scheduler.add(broken, { key: Promise.reject(new Error('state store down')) })
    await clock.advance(10_000)
    expect(dht.calls).toEqual([])
    const key = shareKeyOf(share.infohash, 'infohash')
    resolveKey(key)
    await clock.advance(0)
    expect(dht.announces().map((call) => call.share)).toEqual([share.infohashHex])
    expect(await scheduler.announce(broken)).toBe(0)
  })

  it('hands pushed peers to the node only for a share that runs and wants peers', async () => {
    const clock = new ManualClock()
    const { scheduler, found } = setup([], clock)
    const download = testShare()
    const seed = testShare({ complete: true })
    const stranger = testShare()
    scheduler.add(download, { key: keyOf(download) })
    scheduler.add(seed, { key: keyOf(seed) })
    const pex = { name: 'pex/1' }
    scheduler.offer(download, ['tcp://192.0.2.1:1', '', 'x'.repeat(5000)], pex)
    scheduler.offer(seed, ['tcp://192.0.2.2:1'], pex)
    scheduler.offer(stranger, ['tcp://192.0.2.3:1'], pex)
    expect(found).toEqual([{ share: download.infohashHex, addresses: ['tcp://192.0.2.1:1'], origin: 'pex/1' }])
  })

  it('announces to every source on demand and adds up what they reached; fails only when none took it', async () => {
    const clock = new ManualClock()
    const dht = new ScriptedSource('dht', clock)
    dht.answer = () => ({ reached: 5 })
    const tracker = new ScriptedSource('tracker', clock)
    tracker.answer = () => {
      throw new Error('tracker down')
    }
    const { scheduler } = setup([dht, tracker], clock)
    const seed = testShare({ complete: true })
    scheduler.add(seed, { key: keyOf(seed) })
    expect(await scheduler.announce(seed)).toBe(5)
    dht.answer = () => ({ reached: 0 })
    await expect(scheduler.announce(seed)).rejects.toThrow('tracker down')
    const aborted = await scheduler.announce(seed, AbortSignal.abort()).catch((error: unknown) => error)
    expect(aborted).toBeInstanceOf(Error)
    expect(await scheduler.announce(testShare())).toBe(0) // not announced here
  })

  it('tells every source stopped at once on remove: the direct peers of the share are forgotten', async () => {
    const clock = new ManualClock()
    const direct = new DirectPeerSource()
    const { scheduler } = setup([direct], clock)
    const download = testShare()
    const key = keyOf(download)
    scheduler.add(download, { key })
    direct.add(download.infohash, ['tcp://192.0.2.1:1'])
    await clock.advance(0)
    scheduler.remove(download)
    const left: string[] = []
    for await (const { address } of direct.lookup(key)) left.push(address)
    expect(left).toEqual([])
  })
})
