/**
 * The signals of the discovery scheduler's operations: one per announce or
 * lookup (one shared signal would pile up a listener per operation in
 * flight), each aborted by its timeout on the scheduler's clock, by the
 * caller's signal, or when the scheduler closes.
 * @internal
 * @module
 */

import type { Clock } from '@mycel/dht'
import { type LinkedSignal, linkSignals } from '@mycel/wire/signal'

/** The operations in flight of one scheduler. @internal */
export class Operations {
  private readonly live = new Set<LinkedSignal>()
  private closedWith: { reason: unknown } | undefined

  /** @param clock - the scheduler's clock, for timeouts */
  constructor(private readonly clock: Clock) {}

  /**
   * The signal of one operation: aborted when the operations close, when
   * `signal` aborts, or after `timeoutMs` on the clock. Dispose it when the
   * operation ends.
   */
  start(timeoutMs: number | undefined, signal?: AbortSignal): LinkedSignal {
    const link = linkSignals([signal])
    if (this.closedWith !== undefined) link.abort(this.closedWith.reason)
    const timer =
      timeoutMs === undefined
        ? undefined
        : this.clock.setTimeout(() => {
            link.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'))
          }, timeoutMs)
    unref(timer)
    const operation: LinkedSignal = {
      signal: link.signal,
      abort: (reason) => link.abort(reason),
      dispose: () => {
        if (timer !== undefined) this.clock.clearTimeout(timer)
        this.live.delete(operation)
        link.dispose()
      },
    }
    this.live.add(operation)
    return operation
  }

  /** Aborts every operation in flight, and every one started later, with `reason`. */
  close(reason: unknown): void {
    this.closedWith ??= { reason }
    for (const operation of [...this.live]) operation.abort(reason)
  }
}

/** Lets the process exit while a timer of the system clock is pending (the node closes what it runs). @internal */
export function unref(timer: unknown): void {
  ;(timer as { unref?: () => void } | undefined)?.unref?.()
}

/**
 * Starts some work with a signal of its own, aborted after `timeoutMs` of
 * real time (or when `signal` aborts), and waits until all of it settled or
 * that signal aborted, whichever comes first. Failures are ignored.
 * @internal
 */
export async function settleWithin(
  timeoutMs: number,
  signal: AbortSignal,
  work: (signal: AbortSignal) => Promise<unknown>[],
): Promise<void> {
  const link = linkSignals([signal], { timeoutMs })
  let unlisten = (): void => {}
  try {
    const aborted = new Promise<void>((resolve) => {
      const done = (): void => resolve()
      if (link.signal.aborted) resolve()
      link.signal.addEventListener('abort', done, { once: true })
      unlisten = () => link.signal.removeEventListener('abort', done)
    })
    await Promise.race([Promise.allSettled(work(link.signal)), aborted])
  } finally {
    unlisten()
    link.dispose()
  }
}
