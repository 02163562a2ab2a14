import { abortError, onAbort } from '@mycel/wire/signal'
import { DhtError } from './errors.js'

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

/**
 * Waits `ms` on `clock`; rejects with the abort error (`CLOSED` when the node
 * closes, else `ABORTED`) if `signal` aborts first, leaving no listener or
 * timer behind.
 * @internal
 */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal, DhtError))
      return
    }
    let unlisten = (): void => {}
    const timer = clock.setTimeout(() => {
      unlisten()
      resolve()
    }, ms)
    unlisten = onAbort(signal, () => {
      clock.clearTimeout(timer)
      reject(abortError(signal, DhtError))
    })
  })
}
