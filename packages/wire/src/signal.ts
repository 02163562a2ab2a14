/**
 * The abort-signal helpers every mycel package uses: one way to combine
 * signals (with the cleanup that long-lived signals need), one way to turn an
 * abort into a package's `ABORTED` error, one way to listen and unlisten.
 *
 * A combined signal adds one listener to each input; {@link LinkedSignal.dispose}
 * removes them, and callers run it in `finally`, so a node's own signal or a
 * caller's signal that outlives thousands of operations never piles up
 * listeners.
 *
 * @example
 * ```ts
 * import { abortError, linkSignals } from '@mycel/wire/signal'
 *
 * const link = linkSignals([options.signal, this.closeSignal], {
 *   timeoutMs: 10_000,
 *   timeoutReason: () => new TransportError('HANDSHAKE_TIMEOUT', 'too slow'),
 * })
 * try {
 *   await handshake(link.signal)
 * } catch (err) {
 *   if (link.signal.aborted) throw abortError(link.signal, TransportError)
 *   throw err
 * } finally {
 *   link.dispose()
 * }
 * ```
 *
 * @packageDocumentation
 */
import { abortedError, type MycelErrorClass } from './mycel-error.js'

/** Signals combined for one operation, with the one cleanup that removes what they installed. */
export interface LinkedSignal {
  /** Aborts when any input aborts (with its reason), when the timeout fires, or on {@link LinkedSignal.abort}. */
  readonly signal: AbortSignal
  /**
   * Aborts the combined signal only (never the inputs), then disposes.
   * @param reason - the abort reason
   */
  abort(reason?: unknown): void
  /** Removes every listener and the timer this link installed. Idempotent; call it in `finally`. */
  dispose(): void
}

/** Options of {@link linkSignals}. */
export interface LinkSignalsOptions {
  /** Abort after this many milliseconds (a positive finite number; omitted or `Infinity`: never). */
  readonly timeoutMs?: number
  /** The reason the timeout aborts with; default a `DOMException` named `TimeoutError`. */
  readonly timeoutReason?: () => unknown
}

/**
 * Combines optional abort signals and an optional timeout into one signal.
 * The combined signal aborts with the reason of the first input that aborts
 * (at once if one already has), or with the timeout's reason. Always call
 * {@link LinkedSignal.dispose} in `finally`; it also runs by itself once the
 * link aborts.
 *
 * @param signals - the inputs; `undefined` entries are skipped
 * @param options - an optional timeout
 * @returns the link
 * @throws TypeError when an input is neither an `AbortSignal` nor undefined
 *
 * @example
 * ```ts
 * const link = linkSignals([callerSignal, nodeSignal])
 * try {
 *   return await query(link.signal)
 * } finally {
 *   link.dispose()
 * }
 * ```
 */
export function linkSignals(
  signals: ReadonlyArray<AbortSignal | undefined>,
  options: LinkSignalsOptions = {},
): LinkedSignal {
  const controller = new AbortController()
  const listening: AbortSignal[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const dispose = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    for (const input of listening.splice(0)) input.removeEventListener('abort', onInputAbort)
  }
  const abort = (reason?: unknown): void => {
    controller.abort(reason)
    dispose()
  }
  const onInputAbort = (event: Event): void => abort((event.target as AbortSignal).reason)
  for (const input of signals) {
    if (input === undefined) continue
    if (!(input instanceof AbortSignal)) throw new TypeError('signals must hold only AbortSignals')
    if (input.aborted) {
      abort(input.reason)
      break
    }
    input.addEventListener('abort', onInputAbort)
    listening.push(input)
  }
  const { timeoutMs, timeoutReason } = options
  if (!controller.signal.aborted && timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
    timer = setTimeout(() => {
      timer = undefined
      abort(timeoutReason === undefined ? new DOMException('the operation timed out', 'TimeoutError') : timeoutReason())
    }, timeoutMs)
  }
  return { signal: controller.signal, abort, dispose }
}

/**
 * Calls `listener` once when `signal` aborts (at once if it already has) and
 * returns the function that removes the listener.
 *
 * @param signal - the signal, or undefined (then nothing happens)
 * @param listener - called once, without arguments
 * @returns the unlisten function (idempotent)
 *
 * @example
 * ```ts
 * const unlisten = onAbort(signal, () => socket.destroy())
 * try {
 *   await connected
 * } finally {
 *   unlisten()
 * }
 * ```
 */
export function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (signal === undefined) return noop
  if (signal.aborted) {
    listener()
    return noop
  }
  const once = (): void => listener()
  signal.addEventListener('abort', once, { once: true })
  return () => signal.removeEventListener('abort', once)
}

/**
 * The error an aborted operation fails with: the signal's reason itself when
 * it is already an error of `errorClass` (a timeout, `CLOSED`), else an
 * `ABORTED` error of `errorClass` whose cause is the reason.
 *
 * @param signal - an aborted signal
 * @param errorClass - the package's error class; its codes must include `ABORTED`
 * @returns the error to throw or reject with
 *
 * @example
 * ```ts
 * if (link.signal.aborted) throw abortError(link.signal, DhtError)
 * ```
 */
export function abortError<E>(signal: AbortSignal, errorClass: MycelErrorClass<'ABORTED', E>): E {
  const reason: unknown = signal.reason
  return reason instanceof errorClass ? reason : abortedError(errorClass, reason)
}

/**
 * Throws {@link abortError} if `signal` is aborted.
 *
 * @param signal - the signal, or undefined
 * @param errorClass - the package's error class; its codes must include `ABORTED`
 * @throws `errorClass` (`ABORTED`, or the reason itself when it is one) when `signal` is aborted
 *
 * @example
 * ```ts
 * throwIfAborted(options.signal, PiecesError)
 * ```
 */
export function throwIfAborted<E>(signal: AbortSignal | undefined, errorClass: MycelErrorClass<'ABORTED', E>): void {
  if (signal?.aborted) throw abortError(signal, errorClass)
}

function noop(): void {}
