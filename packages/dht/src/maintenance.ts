import type { Clock } from './clock.js'

/** One periodic job of a node. @internal */
export interface PeriodicTask {
  readonly every: number
  run(): void
}

/**
 * Runs a node's periodic jobs (token rotation, store expiry, bucket refresh)
 * on its clock, and cancels every timer on `stop()`.
 * @internal
 */
export class Maintenance {
  private readonly timers = new Map<PeriodicTask, unknown>()
  private stopped = false

  constructor(private readonly clock: Clock) {}

  /** Starts running `task` every `task.every` ms. */
  schedule(task: PeriodicTask): void {
    if (this.stopped || task.every <= 0) return
    const arm = () => {
      this.timers.set(
        task,
        this.clock.setTimeout(() => {
          if (this.stopped) return
          arm()
          task.run()
        }, task.every),
      )
    }
    arm()
  }

  /** Cancels every timer. Idempotent. */
  stop(): void {
    this.stopped = true
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer)
    this.timers.clear()
  }
}
