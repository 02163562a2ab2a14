import type { Clock } from '../clock.js'

interface Timer {
  readonly at: number
  readonly order: number
  readonly callback: () => void
  cancelled: boolean
}

/** Lets promise callbacks (and anything they queue) run before the next timer fires. */
const yieldToEventLoop: () => Promise<void> =
  typeof globalThis.setImmediate === 'function'
    ? () => new Promise((resolve) => globalThis.setImmediate(resolve))
    : () => new Promise((resolve) => globalThis.setTimeout(resolve, 0))

/**
 * A {@link Clock} that only moves when told to: tests of expiry (30-minute
 * peers, 5-minute tokens, 15-minute buckets) run in milliseconds, and a
 * simulation of thousands of nodes runs as fast as the CPU allows, with
 * latencies and timeouts in virtual time. Timers fire in time order; between
 * two instants, pending promise callbacks run.
 *
 * @example
 * ```ts
 * const clock = new ManualClock()
 * clock.setTimeout(() => console.log('fired'), 60_000)
 * await clock.advance(60_000) // logs 'fired'
 * ```
 */
export class ManualClock implements Clock {
  private time: number
  private readonly timers: Timer[] = []
  private order = 0

  /** @param start - the initial time in ms (default 0) */
  constructor(start = 0) {
    this.time = start
  }

  /** The current virtual time in ms. */
  now(): number {
    return this.time
  }

  /**
   * Schedules `callback` at now + `ms`.
   * @param callback - what to run
   * @param ms - delay in virtual ms
   * @returns a handle for {@link ManualClock.clearTimeout}
   */
  setTimeout(callback: () => void, ms: number): unknown {
    const timer: Timer = { at: this.time + Math.max(0, ms), order: this.order++, callback, cancelled: false }
    this.push(timer)
    return timer
  }

  /**
   * Cancels a timer.
   * @param handle - what `setTimeout` returned
   */
  clearTimeout(handle: unknown): void {
    if (typeof handle === 'object' && handle !== null && 'cancelled' in handle) (handle as Timer).cancelled = true
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((timer) => !timer.cancelled).length
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way in order
   * and letting promise callbacks run after each instant.
   * @param ms - virtual milliseconds
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('ms must be a non-negative number')
    const end = this.time + ms
    await yieldToEventLoop()
    for (;;) {
      const next = this.peek()
      if (next === undefined || next.at > end) break
      this.fireDue(next.at)
      await yieldToEventLoop()
    }
    this.time = end
  }

  /**
   * Runs timers in order, jumping over idle time, until `promise` settles:
   * the way to await an operation in a simulation.
   * @param promise - the operation
   * @param options - `maxTime`: the most virtual ms to advance before giving up (default 1 hour)
   * @returns what `promise` resolves to
   * @throws what `promise` rejects with; an Error if nothing is scheduled or `maxTime` passes while it is pending
   */
  async run<T>(promise: Promise<T>, options: { maxTime?: number } = {}): Promise<T> {
    let settled = false
    const watched = promise.then(
      () => {
        settled = true
      },
      () => {
        settled = true
      },
    )
    const deadline = this.time + (options.maxTime ?? 3_600_000)
    for (;;) {
      await yieldToEventLoop()
      if (settled) break
      const next = this.peek()
      if (next === undefined) throw new Error('ManualClock.run: the promise is pending and no timer is scheduled')
      if (next.at > deadline) throw new Error('ManualClock.run: maxTime passed and the promise is still pending')
      this.fireDue(next.at)
    }
    await watched
    return promise
  }

  private fireDue(at: number): void {
    this.time = Math.max(this.time, at)
    for (;;) {
      const next = this.peek()
      if (next === undefined || next.at > at) return
      this.pop()
      next.cancelled = true
      next.callback()
    }
  }

  private peek(): Timer | undefined {
    while (this.timers.length > 0 && (this.timers[0] as Timer).cancelled) this.pop()
    return this.timers[0]
  }

  private push(timer: Timer): void {
    const heap = this.timers
    heap.push(timer)
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(timer, heap[parent] as Timer)) break
      heap[index] = heap[parent] as Timer
      index = parent
    }
    heap[index] = timer
  }

  private pop(): void {
    const heap = this.timers
    const last = heap.pop() as Timer
    if (heap.length === 0) return
    let index = 0
    for (;;) {
      const left = index * 2 + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && before(heap[right] as Timer, heap[left] as Timer) ? right : left
      if (!before(heap[child] as Timer, last)) break
      heap[index] = heap[child] as Timer
      index = child
    }
    heap[index] = last
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order)
}
