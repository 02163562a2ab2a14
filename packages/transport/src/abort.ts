import { TransportError } from './errors.js'

/**
 * Signals combined for one operation, with the one cleanup that removes every
 * listener and timer they installed.
 * @internal
 */
export interface OperationSignal {
  /** Aborts when any input signal aborts or the timeout fires. */
  readonly signal: AbortSignal
  /** Removes listeners and clears the timer; call it in `finally`. Idempotent. */
  cleanup(): void
}

/**
 * Combines optional abort signals and an optional timeout into one signal.
 * The timeout aborts with a {@link TransportError} of `timeoutCode`; an input
 * signal aborts with its own reason. Always call `cleanup()` in `finally`,
 * which removes every listener this added, so long-lived signals do not pile
 * them up.
 * @internal
 */
export function combineSignals(
  signals: ReadonlyArray<AbortSignal | undefined>,
  timeout?: { ms: number; error: () => TransportError },
): OperationSignal {
  const controller = new AbortController()
  const unlisten: Array<() => void> = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const cleanup = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    for (const remove of unlisten.splice(0)) remove()
  }
  for (const signal of signals) {
    if (signal === undefined) continue
    if (signal.aborted) {
      controller.abort(signal.reason)
      break
    }
    const onAbort = (): void => {
      controller.abort(signal.reason)
      cleanup()
    }
    signal.addEventListener('abort', onAbort, { once: true })
    unlisten.push(() => signal.removeEventListener('abort', onAbort))
  }
  if (!controller.signal.aborted && timeout !== undefined && Number.isFinite(timeout.ms)) {
    timer = setTimeout(() => {
      timer = undefined
      controller.abort(timeout.error())
      cleanup()
    }, timeout.ms)
  }
  if (controller.signal.aborted) cleanup()
  return { signal: controller.signal, cleanup }
}

/**
 * The error an aborted operation fails with: the reason itself when it is a
 * {@link TransportError} (a timeout), else an `ABORTED` error carrying it.
 * @internal
 */
export function abortError(signal: AbortSignal): TransportError {
  const reason: unknown = signal.reason
  return reason instanceof TransportError ? reason : TransportError.aborted(reason)
}

/**
 * Calls `onAbort` once when `signal` aborts (at once if it already has) and
 * returns the function that removes the listener.
 * @internal
 */
export function onAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return () => {}
  if (signal.aborted) {
    onAbort()
    return () => {}
  }
  signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}
