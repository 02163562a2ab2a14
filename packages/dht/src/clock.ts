/**
 * The time source of a DHT node: wall-clock milliseconds and timers. Tests
 * and simulations pass a `ManualClock` from `@mycel/dht/testing` so that
 * 30-minute expiries take no real time.
 */
export interface Clock {
  /** Milliseconds since some fixed origin; only differences matter. */
  now(): number
  /**
   * Calls `callback` once after `ms` milliseconds.
   * @returns a handle for {@link Clock.clearTimeout}
   */
  setTimeout(callback: () => void, ms: number): unknown
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: unknown): void
}

/**
 * The clock of the host: `Date.now()` and the global timers.
 *
 * @example
 * ```ts
 * const handle = systemClock.setTimeout(() => console.log('later'), 1000)
 * systemClock.clearTimeout(handle)
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}
