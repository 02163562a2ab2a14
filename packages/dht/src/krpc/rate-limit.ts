/**
 * Allows at most `perSecond` events in each one-second window, from all
 * sources together: a bound on work that no per-address limit covers.
 * @internal
 */
export class GlobalRateLimiter {
  private start = Number.NEGATIVE_INFINITY
  private count = 0

  constructor(private readonly perSecond: number) {}

  /** Takes one event at `now`; false if this window's allowance is spent. */
  take(now: number): boolean {
    if (now - this.start >= 1000 || now < this.start) {
      this.start = now
      this.count = 0
    }
    if (this.count >= this.perSecond) return false
    this.count++
    return true
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
  private readonly windows = new Map<string, { start: number; count: number }>()

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
      window = { start: now, count: 0 }
    } else {
      this.windows.delete(address)
    }
    this.windows.set(address, window)
    if (now - window.start >= 1000 || now < window.start) {
      window.start = now
      window.count = 0
    }
    window.count++
    return window.count <= this.perSecond
  }

  /** Forgets addresses whose window has ended (they would start afresh anyway). */
  prune(now: number): void {
    for (const [address, window] of this.windows) {
      if (now - window.start >= 1000 || now < window.start) this.windows.delete(address)
    }
  }

  /** How many addresses are remembered. */
  get size(): number {
    return this.windows.size
  }
}
