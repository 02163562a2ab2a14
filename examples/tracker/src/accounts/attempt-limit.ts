/**
 * Budgets of attempts per key (an address, an account name): token buckets
 * that refill slowly, for logins and registrations. A bounded number of
 * keys is kept; beyond it the longest-kept are forgotten.
 * @module
 */

/** One budget. */
export interface AttemptBudget {
  /** Attempts allowed at once. */
  readonly burst: number
  /** Seconds for one attempt to come back. */
  readonly refillSeconds: number
  /** Most keys kept. */
  readonly maxKeys: number
}

interface Bucket {
  tokens: number
  at: number
}

/** Token buckets per key. */
export class AttemptLimiter {
  private readonly buckets = new Map<string, Bucket>()

  /**
   * @param budget - the budget
   * @param nowMs - the clock, in milliseconds
   */
  constructor(
    readonly budget: AttemptBudget,
    private readonly nowMs: () => number,
  ) {}

  private bucket(key: string): Bucket {
    const now = this.nowMs()
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= this.budget.maxKeys) {
        const oldest = this.buckets.keys().next().value
        if (oldest !== undefined) this.buckets.delete(oldest)
      }
      bucket = { tokens: this.budget.burst, at: now }
      this.buckets.set(key, bucket)
    } else {
      const refill = (now - bucket.at) / 1000 / this.budget.refillSeconds
      bucket.tokens = Math.min(this.budget.burst, bucket.tokens + refill)
      bucket.at = now
    }
    return bucket
  }

  /**
   * Whether the key has an attempt left (nothing is spent).
   *
   * @param key - the key
   * @returns true when it has
   */
  allows(key: string): boolean {
    return this.bucket(key).tokens >= 1
  }

  /**
   * Spends one attempt.
   *
   * @param key - the key
   * @returns false when there was none left (nothing spent)
   */
  spend(key: string): boolean {
    const bucket = this.bucket(key)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /** Seconds until the key has an attempt again (0 when it has one). */
  retryAfter(key: string): number {
    const bucket = this.bucket(key)
    return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) * this.budget.refillSeconds)
  }
}
