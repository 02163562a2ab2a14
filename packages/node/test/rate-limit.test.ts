import { describe, expect, it } from 'vitest'
import { type BucketClock, TokenBucket, takeFromAll } from '../src/rate-limit.js'
import { RateMeter } from '../src/rate-meter.js'

/** A clock the test moves by hand; timers fire when it passes their time. */
class FakeClock implements BucketClock {
  time = 0
  private timers: Array<{ at: number; callback: () => void; id: number }> = []
  private nextId = 1
  now(): number {
    return this.time
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.push({ at: this.time + ms, callback, id })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle)
  }
  advance(ms: number): void {
    this.time += ms
    const due = this.timers.filter((timer) => timer.at <= this.time)
    this.timers = this.timers.filter((timer) => timer.at > this.time)
    for (const timer of due) timer.callback()
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve))

describe('TokenBucket', () => {
  it('never waits when unlimited', () => {
    const bucket = new TokenBucket(0)
    for (let i = 0; i < 1000; i++) expect(bucket.take(1 << 20)).toBeUndefined()
    expect(bucket.bytesPerSecond).toBe(Number.POSITIVE_INFINITY)
  })

  it('lets a burst through, then paces callers in order at the rate', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(1024 * 1024, clock) // 1 MiB/s, burst 256 KiB
    expect(bucket.take(256 * 1024)).toBeUndefined()
    const done: string[] = []
    void bucket.take(512 * 1024)?.then(() => done.push('first'))
    void bucket.take(512 * 1024)?.then(() => done.push('second'))
    clock.advance(499)
    await flush()
    expect(done).toEqual([])
    clock.advance(1)
    await flush()
    expect(done).toEqual(['first'])
    clock.advance(500)
    await flush()
    expect(done).toEqual(['first', 'second'])
  })

  it('gives tokens back to an aborted wait', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(1024 * 1024, clock)
    bucket.take(256 * 1024)
    const controller = new AbortController()
    const wait = bucket.take(1024 * 1024, controller.signal)
    controller.abort(new Error('stop'))
    await expect(wait).rejects.toThrow('stop')
    // Only the first burst was spent: a quarter second refills it.
    clock.advance(250)
    expect(bucket.take(256 * 1024)).toBeUndefined()
  })

  it('waits for the slowest of several buckets', async () => {
    const clock = new FakeClock()
    const fast = new TokenBucket(10 * 1024 * 1024, clock)
    const slow = new TokenBucket(1024 * 1024, clock)
    expect(takeFromAll([fast, slow], 256 * 1024)).toBeUndefined()
    let passed = false
    void takeFromAll([fast, slow], 1024 * 1024)?.then(() => (passed = true))
    clock.advance(500)
    await flush()
    expect(passed).toBe(false)
    clock.advance(500)
    await flush()
    expect(passed).toBe(true)
  })

  it('refuses a negative or non-numeric rate', () => {
    expect(() => new TokenBucket(-1)).toThrow(RangeError)
    expect(() => new TokenBucket(Number.NaN)).toThrow(RangeError)
  })
})

describe('RateMeter', () => {
  it('averages over its window and forgets older seconds', () => {
    let now = 10_000
    const meter = new RateMeter(5, () => now)
    meter.add(1000)
    now += 1000
    meter.add(1000)
    now += 500
    expect(meter.bytesPerSecond).toBeCloseTo(2000 / 1.5, 5) // 1.5 s since the first byte
    now += 10_000
    expect(meter.bytesPerSecond).toBe(0)
    expect(meter.total).toBe(2000)
  })

  /** Adds `bytes` every 100 ms from `from` (inclusive) to `to` (exclusive), moving the clock. */
  function steady(meter: RateMeter, clock: { now: number }, from: number, to: number, bytes: number): void {
    for (clock.now = from; clock.now < to; clock.now += 100) meter.add(bytes)
    clock.now = to
  }

  it('measures a transfer that began two seconds ago over those two seconds, not the whole window', () => {
    const clock = { now: 0 }
    const meter = new RateMeter(5, () => clock.now) // made long before the first byte
    steady(meter, clock, 10_000, 12_000, 10_000) // 100 kB/s for 2 s
    expect(meter.bytesPerSecond).toBeCloseTo(100_000, 5)
    steady(meter, clock, 12_000, 13_500, 10_000)
    expect(meter.bytesPerSecond).toBeCloseTo(100_000, 5)
  })

  it('averages over at least one second, so that the first block is no spike', () => {
    const clock = { now: 5_000 }
    const meter = new RateMeter(5, () => clock.now)
    meter.add(1_000_000)
    expect(meter.bytesPerSecond).toBe(1_000_000)
    clock.now += 250
    expect(meter.bytesPerSecond).toBe(1_000_000)
  })

  it('keeps the full window once it has seen that long, and starts afresh after a quiet window', () => {
    const clock = { now: 0 }
    const meter = new RateMeter(5, () => clock.now)
    steady(meter, clock, 0, 20_500, 10_000)
    expect(meter.bytesPerSecond).toBeCloseTo(100_000, 5) // 450 kB in the last 4.5 s
    clock.now = 40_000 // quiet for longer than the window
    expect(meter.bytesPerSecond).toBe(0)
    steady(meter, clock, 40_000, 41_500, 20_000) // 200 kB/s for 1.5 s
    expect(meter.bytesPerSecond).toBeCloseTo(200_000, 5)
    expect(meter.total).toBe(205 * 10_000 + 15 * 20_000)
  })
})
