/**
 * Counters an operator watches: totals that survive restarts (flushed to
 * storage with the swarms' counts), and the announce rate of the last
 * seconds.
 * @module
 */

/** The counters kept across restarts. */
export const COUNTER_NAMES = [
  'announces_http',
  'announces_udp',
  'scrapes_http',
  'scrapes_udp',
  'connects_udp',
  'completed',
  'refused',
  'malformed',
  'rate_limited',
] as const

/** One of {@link COUNTER_NAMES}. */
export type CounterName = (typeof COUNTER_NAMES)[number]

/** A counter increase to add to the stored total. */
export interface CounterDelta {
  readonly name: CounterName
  readonly delta: number
}

/** Seconds the announce rate is averaged over. */
export const RATE_WINDOW_SECONDS = 10

const RING = RATE_WINDOW_SECONDS + 1

function zeroes(): Record<CounterName, number> {
  return Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as Record<CounterName, number>
}

/** The tracker's counters. */
export class TrackerStats {
  private readonly totals = zeroes()
  private unflushed = zeroes()
  /** Announces of each of the last {@link RATE_WINDOW_SECONDS} whole seconds and of the current one, in a ring. */
  private readonly perSecond = new Array<number>(RING).fill(0)
  private second = 0

  /** @param nowMs - the tracker's clock, in milliseconds */
  constructor(private readonly nowMs: () => number) {
    this.second = Math.floor(nowMs() / 1000)
  }

  /**
   * Counts events.
   *
   * @param name - the counter
   * @param n - how many (default 1)
   */
  count(name: CounterName, n = 1): void {
    this.totals[name] += n
    this.unflushed[name] += n
    if (name === 'announces_http' || name === 'announces_udp') {
      this.advance()
      const slot = this.second % RING
      this.perSecond[slot] = (this.perSecond[slot] ?? 0) + n
    }
  }

  /** Moves the ring to the current second, zeroing the seconds that passed. */
  private advance(): void {
    const now = Math.floor(this.nowMs() / 1000)
    if (now === this.second) return
    const passed = Math.min(now - this.second, RING)
    for (let i = 1; i <= passed; i++) this.perSecond[(this.second + i) % RING] = 0
    this.second = now
  }

  /** Announces per second over the last {@link RATE_WINDOW_SECONDS} whole seconds. */
  announcesPerSecond(): number {
    this.advance()
    let sum = 0
    for (let i = 0; i < RING; i++) sum += this.perSecond[i] ?? 0
    // The current second is still filling: the whole seconds before it are what is averaged.
    sum -= this.perSecond[this.second % RING] ?? 0
    return sum / RATE_WINDOW_SECONDS
  }

  /** The totals (stored plus counted since). */
  snapshot(): Readonly<Record<CounterName, number>> {
    return { ...this.totals }
  }

  /**
   * Adds the totals storage held at start.
   *
   * @param stored - counter name to total; unknown names are ignored
   */
  restore(stored: ReadonlyMap<string, number>): void {
    for (const name of COUNTER_NAMES) this.totals[name] += stored.get(name) ?? 0
  }

  /** Takes the increases not yet flushed. */
  takeUnflushed(): CounterDelta[] {
    const deltas = COUNTER_NAMES.filter((name) => this.unflushed[name] > 0).map((name) => ({
      name,
      delta: this.unflushed[name],
    }))
    this.unflushed = zeroes()
    return deltas
  }

  /** Puts back increases a flush failed to write. */
  returnUnflushed(deltas: readonly CounterDelta[]): void {
    for (const { name, delta } of deltas) this.unflushed[name] += delta
  }
}
