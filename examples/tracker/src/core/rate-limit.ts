/**
 * Requests per address: a token bucket for each (an IPv4 address, or the
 * /64 of an IPv6 one). Over its budget an address gets a short refusal a
 * few times a second, and nothing at all beyond that, so that a flood costs
 * the tracker as little as possible.
 * @module
 */

/** The budget of one address; `docs/limits.md` gives the defaults. */
export interface RateLimitOptions {
  /** Requests an address may make per second, sustained. */
  readonly perSecond: number
  /** Requests it may make at once after a quiet time. */
  readonly burst: number
  /** Refusals it is sent per second once over budget; requests beyond get no answer. */
  readonly refusalsPerSecond: number
  /** Most addresses tracked at once; the longest tracked are forgotten first beyond it. */
  readonly maxAddresses: number
}

/** What to do with a request: serve it, answer with a refusal, or drop it unanswered. */
export type RateVerdict = 'serve' | 'refuse' | 'drop'

interface Bucket {
  tokens: number
  /** When `tokens` was last brought up to date, in milliseconds. */
  at: number
  /** Refusals sent in the second `refusalSecond`. */
  refusals: number
  refusalSecond: number
}

/** Token buckets per address. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  /**
   * @param options - the budget
   * @param nowMs - the tracker's clock, in milliseconds
   */
  constructor(
    readonly options: RateLimitOptions,
    private readonly nowMs: () => number,
  ) {}

  /** Addresses tracked. */
  get size(): number {
    return this.buckets.size
  }

  /**
   * Takes one request from an address's budget.
   *
   * @param key - the address's limit key
   * @returns whether to serve, refuse or drop the request
   */
  take(key: string): RateVerdict {
    const now = this.nowMs()
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= this.options.maxAddresses) this.makeRoom()
      bucket = { tokens: this.options.burst, at: now, refusals: 0, refusalSecond: 0 }
      this.buckets.set(key, bucket)
    } else {
      const refill = ((now - bucket.at) * this.options.perSecond) / 1000
      bucket.tokens = Math.min(this.options.burst, bucket.tokens + refill)
      bucket.at = now
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 'serve'
    }
    const second = Math.floor(now / 1000)
    if (second !== bucket.refusalSecond) {
      bucket.refusalSecond = second
      bucket.refusals = 0
    }
    if (bucket.refusals >= this.options.refusalsPerSecond) return 'drop'
    bucket.refusals++
    return 'refuse'
  }

  /**
   * Forgets the addresses whose budget is full again (they would start
   * with a full bucket anyway).
   *
   * @returns how many were forgotten
   */
  prune(): number {
    const now = this.nowMs()
    let removed = 0
    for (const [key, bucket] of this.buckets) {
      const tokens = bucket.tokens + ((now - bucket.at) * this.options.perSecond) / 1000
      if (tokens >= this.options.burst) {
        this.buckets.delete(key)
        removed++
      }
    }
    return removed
  }

  private makeRoom(): void {
    if (this.prune() > 0 && this.buckets.size < this.options.maxAddresses) return
    // Still full: forget the longest-tracked tenth (Map order is insertion order).
    let drop = Math.max(1, Math.floor(this.options.maxAddresses / 10))
    for (const key of this.buckets.keys()) {
      if (drop-- <= 0) break
      this.buckets.delete(key)
    }
  }
}
