/** Time source of a {@link TokenBucket}, replaceable in tests. @internal */
export interface BucketClock {
  /** Milliseconds, monotonic. */
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const realClock: BucketClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/**
 * A token bucket limiting bytes per second. Callers take what they are about
 * to send (or ask for); when the bucket is empty they wait, in order, until
 * the rate allows it. An unlimited bucket costs nothing: `take` returns
 * `undefined` instead of a promise whenever no waiting is needed.
 * @internal
 */
export class TokenBucket {
  private tokens: number
  private last: number
  private rate: number
  private burst: number

  /**
   * @param rate - bytes per second; `Infinity` or 0 for no limit
   * @param clock - time source
   */
  constructor(
    rate: number,
    private readonly clock: BucketClock = realClock,
  ) {
    this.rate = normaliseRate(rate)
    this.burst = burstFor(this.rate)
    this.tokens = this.burst
    this.last = clock.now()
  }

  /** The limit in bytes per second (`Infinity` when unlimited). */
  get bytesPerSecond(): number {
    return this.rate
  }

  /** Changes the limit; waiting callers keep their place. */
  setRate(rate: number): void {
    this.refill()
    this.rate = normaliseRate(rate)
    this.burst = burstFor(this.rate)
    this.tokens = Math.min(this.tokens, this.burst)
  }

  /**
   * Takes `bytes` tokens.
   * @returns undefined when the bytes may go now, else a promise that resolves when they may
   */
  take(bytes: number, signal?: AbortSignal): Promise<void> | undefined {
    if (this.rate === Number.POSITIVE_INFINITY) return undefined
    this.refill()
    this.tokens -= bytes
    if (this.tokens >= 0) return undefined
    // The bucket is in debt: wait until the refill pays it back. Later callers
    // see a deeper debt and wait longer, which keeps them in order.
    const waitMs = (-this.tokens / this.rate) * 1000
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.clock.clearTimeout(handle)
        this.tokens += bytes
        reject(signal?.reason)
      }
      const handle = this.clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, waitMs)
      if (signal?.aborted) onAbort()
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  private refill(): void {
    const now = this.clock.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate)
    this.last = now
  }
}

/**
 * Takes `bytes` from every bucket (a global and a per-share limit), waiting
 * for the slowest.
 * @internal
 */
export function takeFromAll(
  buckets: readonly TokenBucket[],
  bytes: number,
  signal?: AbortSignal,
): Promise<void> | undefined {
  const waits: Promise<void>[] = []
  for (const bucket of buckets) {
    const wait = bucket.take(bytes, signal)
    if (wait !== undefined) waits.push(wait)
  }
  if (waits.length === 0) return undefined
  return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined)
}

function normaliseRate(rate: number): number {
  if (rate === 0 || rate === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY
  if (!Number.isFinite(rate) || rate < 0)
    throw new RangeError(`a rate must be a positive number of bytes per second, got ${rate}`)
  return rate
}

/** A quarter of a second of traffic, at least 256 KiB so a whole request fits. */
function burstFor(rate: number): number {
  return rate === Number.POSITIVE_INFINITY ? rate : Math.max(rate / 4, 256 * 1024)
}
