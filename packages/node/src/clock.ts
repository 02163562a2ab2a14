import { type Clock, systemClock } from '@mycel/dht'

export type { Clock }
export { systemClock }

/**
 * Calls `tick` every `ms` on `clock` until the returned function is called.
 * The next call is scheduled before `tick` runs, so a tick that throws does
 * not stop the others; a timer of the system clock does not keep the
 * process alive (the node closes what it runs).
 * @internal
 */
export function every(clock: Clock, ms: number, tick: () => void): () => void {
  let handle: unknown
  let stopped = false
  const schedule = (): void => {
    handle = clock.setTimeout(() => {
      if (stopped) return
      schedule()
      tick()
    }, ms)
    ;(handle as { unref?: () => void } | undefined)?.unref?.()
  }
  schedule()
  return () => {
    stopped = true
    clock.clearTimeout(handle)
  }
}
