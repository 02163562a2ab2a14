/**
 * Bytes per second over a sliding window of whole seconds, cheap enough to
 * call on every block.
 * @internal
 */
export class RateMeter {
  private readonly buckets: number[]
  private current = 0
  private currentSecond: number
  /** Every byte ever counted. */
  total = 0

  constructor(
    private readonly windowSeconds = 5,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new Array<number>(windowSeconds).fill(0)
    this.currentSecond = Math.floor(now() / 1000)
  }

  /** Counts `bytes` now. */
  add(bytes: number): void {
    this.advance()
    this.buckets[this.current] = (this.buckets[this.current] as number) + bytes
    this.total += bytes
  }

  /** The average rate over the window (the current second counts in part). */
  get bytesPerSecond(): number {
    this.advance()
    const fraction = (this.now() % 1000) / 1000
    let sum = 0
    for (const bucket of this.buckets) sum += bucket
    return sum / (this.windowSeconds - 1 + Math.max(fraction, 0.001))
  }

  private advance(): void {
    const second = Math.floor(this.now() / 1000)
    const steps = Math.min(second - this.currentSecond, this.windowSeconds)
    for (let i = 0; i < steps; i++) {
      this.current = (this.current + 1) % this.windowSeconds
      this.buckets[this.current] = 0
    }
    this.currentSecond = second
  }
}
