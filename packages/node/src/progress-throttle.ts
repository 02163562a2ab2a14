/** The time and timers a {@link ProgressThrottle} runs on (injected in tests). @internal */
export interface ThrottleClock {
  /** Milliseconds, monotonic. */
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const realClock: ThrottleClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms)
    timer.unref?.() // a pending progress event never keeps the process alive
    return timer
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/**
 * Rate-limits an event that describes a state (progress figures): however
 * often the state changes, the event fires at most once per interval. The
 * first change after a quiet interval fires at once; changes within the
 * interval fire once, at its end, so the last state is always reported.
 * {@link ProgressThrottle.flush} fires now (a final event on completion).
 * @internal
 */
export class ProgressThrottle {
  private last = Number.NEGATIVE_INFINITY
  private timer: unknown

  /**
   * @param intervalMs - shortest time between two events
   * @param fire - emits the event (computes the figures then, not when they changed)
   * @param clock - time and timers
   */
  constructor(
    private readonly intervalMs: number,
    private readonly fire: () => void,
    private readonly clock: ThrottleClock = realClock,
  ) {}

  /** The state changed: fire now, or once at the end of the current interval. */
  changed(): void {
    if (this.timer !== undefined) return
    const wait = this.last + this.intervalMs - this.clock.now()
    if (wait <= 0) {
      this.emit()
      return
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      this.emit()
    }, wait)
  }

  /** Fires now, in place of a pending event. */
  flush(): void {
    this.cancel()
    this.emit()
  }

  /** Drops a pending event. */
  cancel(): void {
    if (this.timer === undefined) return
    this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private emit(): void {
    this.last = this.clock.now()
    this.fire()
  }
}
