/**
 * The signal helpers of `@mycel/wire/signal`, bound to {@link TransportError}.
 * @internal
 * @module
 */
import { abortError as abortErrorOf } from '@mycel/wire/signal'
import { TransportError } from './errors.js'

export { onAbort } from '@mycel/wire/signal'

/**
 * The error an aborted operation fails with: the reason itself when it is a
 * {@link TransportError} (a timeout), else an `ABORTED` error carrying it.
 * @internal
 */
export function abortError(signal: AbortSignal): TransportError {
  return abortErrorOf(signal, TransportError)
}
