/** The rate is averaged over at least this long, so that one piece counted a moment ago is no spike. */
const MIN_SPAN_SECONDS = 1

/**
 * Bytes per second over a sliding window of whole seconds, cheap enough to
 * call on every block.
 *
 * The average is taken over the time the meter actually observed: from the
 * first byte after it was quiet (nothing in the whole window) up to the
 * window's length, and over at least one second. A transfer that started
 * two seconds ago is measured over those two seconds, not over the five of
 * a full window (which would show it at two fifths of its speed).
 * @internal
 */
export class RateMeter {
  private readonly buckets: number[]
  private current = 0
  private currentSecond: number
  /** Bytes in the buckets. */
  private windowBytes = 0
  /** When the first byte of the current run arrived (ms on the meter's clock). */
  private since = 0
  /** Every byte ever counted. */
  total = 0

  /**
   * @param windowSeconds - length of the window, whole seconds (at least 1)
   * @param now - the clock, in milliseconds
   */
  constructor(
    private readonly windowSeconds = 5,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(windowSeconds) || windowSeconds < 1) {
      throw new RangeError(`windowSeconds must be a whole number of seconds, at least 1, not ${windowSeconds}`)
    }
    this.buckets = new Array<number>(windowSeconds).fill(0)
    this.currentSecond = Math.floor(now() / 1000)
  }

  /** Counts `bytes` now. */
  add(bytes: number): void {
    this.advance()
    if (this.windowBytes === 0) this.since = this.now()
    this.buckets[this.current] = (this.buckets[this.current] as number) + bytes
    this.windowBytes += bytes
    this.total += bytes
  }

  /** The average rate over the window, or over the part of it since the bytes began (see the class). */
  get bytesPerSecond(): number {
    this.advance()
    if (this.windowBytes === 0) return 0
    const now = this.now()
    // The buckets cover the window's whole seconds before this one, and this one in part.
    const window = this.windowSeconds - 1 + (now % 1000) / 1000
    const observed = (now - this.since) / 1000
    return this.windowBytes / Math.max(Math.min(window, observed), MIN_SPAN_SECONDS)
  }

  private advance(): void {
    const second = Math.floor(this.now() / 1000)
    const steps = Math.min(second - this.currentSecond, this.windowSeconds)
    for (let i = 0; i < steps; i++) {
      this.current = (this.current + 1) % this.windowSeconds
      this.windowBytes -= this.buckets[this.current] as number
      this.buckets[this.current] = 0
    }
    this.currentSecond = second
  }
}
