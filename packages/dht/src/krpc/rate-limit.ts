/**
 * Allows at most `perSecond` events in each one-second window. On its own
 * it bounds work from all sources together (no per-address limit covers
 * that); {@link AddressRateLimiter} keeps one per address.
 * @internal
 */
export class RateWindow {
  private start = Number.NEGATIVE_INFINITY
  private count = 0

  constructor(private readonly perSecond: number) {}

  /** Takes one event at `now`; false if this window's allowance is spent. */
  take(now: number): boolean {
    if (this.ended(now)) {
      this.start = now
      this.count = 0
    }
    if (this.count >= this.perSecond) return false
    this.count++
    return true
  }

  /** Whether the window has ended by `now` (the next event starts a new one). */
  ended(now: number): boolean {
    return now - this.start >= 1000 || now < this.start
  }
}

/**
 * Counts incoming queries per source address (IP and port) in one-second
 * windows. The table of
 * addresses is bounded: when it is full the address seen least recently is
 * forgotten, so a flood of spoofed sources cannot grow it.
 * @internal
 */
export class AddressRateLimiter {
  private readonly windows = new Map<string, RateWindow>()

  constructor(
    private readonly perSecond: number,
    private readonly maxTracked: number,
  ) {}

  /** Records one query from `address` at `now`; false if it is over the limit. */
  allow(address: string, now: number): boolean {
    let window = this.windows.get(address)
    if (window === undefined) {
      if (this.windows.size >= this.maxTracked) {
        const oldest = this.windows.keys().next().value
        if (oldest !== undefined) this.windows.delete(oldest)
      }
      window = new RateWindow(this.perSecond)
    } else {
      this.windows.delete(address)
    }
    // Re-inserted, so the map's order is least recently seen first.
    this.windows.set(address, window)
    return window.take(now)
  }

  /** Forgets addresses whose window has ended (they would start afresh anyway). */
  prune(now: number): void {
    for (const [address, window] of this.windows) if (window.ended(now)) this.windows.delete(address)
  }

  /** How many addresses are remembered. */
  get size(): number {
    return this.windows.size
  }
}
