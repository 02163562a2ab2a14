import type { Clock } from './clock.js'
import { DhtError } from './errors.js'

/**
 * The one helper that combines abort signals. Listeners are removed by
 * `dispose()`, which callers run in `finally`, so long-lived signals (a node's
 * own, a caller's) never pile up listeners.
 * @internal
 */
export interface LinkedSignal {
  /** Aborts when any input signal aborts, or when `abort()` is called. */
  readonly signal: AbortSignal
  /** Aborts the combined signal only. */
  abort(reason?: unknown): void
  /** Removes every listener this link added. Idempotent. */
  dispose(): void
}

/** @internal */
export function linkSignals(...inputs: (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController()
  const listening: AbortSignal[] = []
  const onAbort = (event: Event) => {
    controller.abort((event.target as AbortSignal).reason)
    dispose()
  }
  function dispose() {
    for (const signal of listening.splice(0)) signal.removeEventListener('abort', onAbort)
  }
  for (const input of inputs) {
    if (input === undefined) continue
    if (input.aborted) {
      controller.abort(input.reason)
      dispose()
      break
    }
    input.addEventListener('abort', onAbort)
    listening.push(input)
  }
  return {
    signal: controller.signal,
    abort: (reason) => {
      controller.abort(reason)
      dispose()
    },
    dispose,
  }
}

/** Throws `DhtError('ABORTED')` (or the `DhtError` reason itself) if `signal` is aborted. @internal */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal)
}

/** The error an aborted operation rejects with: the reason if it is a `DhtError` (`CLOSED`), else `ABORTED`. @internal */
export function abortError(signal: AbortSignal): DhtError {
  return signal.reason instanceof DhtError ? signal.reason : DhtError.aborted(signal.reason)
}

/** Waits `ms` on `clock`; rejects with the abort error if `signal` aborts first. @internal */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal))
      return
    }
    const onAbort = () => {
      clock.clearTimeout(timer)
      reject(abortError(signal))
    }
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
