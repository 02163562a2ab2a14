/**
 * Binding a Node server and turning it into a {@link Listener}: the part the
 * TCP and WebSocket transports share.
 * @internal
 * @module
 */
import type { AddressInfo, Server } from 'node:net'
import type { ComponentLogger } from '@mycel/wire/log'
import { abortError, onAbort } from '../abort.js'
import type { AcceptQueue } from '../accept-queue.js'
import { TransportError } from '../errors.js'
import type { Listener } from '../transport.js'

/** What {@link serve} needs. @internal */
export interface ServeOptions {
  /** A `node:net` server, or a `node:http` one (which extends it). */
  server: Server
  host: string
  port: number
  /** The address asked for, for error messages. */
  address: string
  signal: AbortSignal | undefined
  /** Where the server puts accepted streams. */
  queue: AcceptQueue
  /** The transport's open listeners: the listener is in it until closed. */
  listeners: Set<Listener>
  /** Stops accepting. It may be called more than once, and must not throw. */
  shutdown: () => void
  /** The listener's address text for the address the server bound. */
  formatBound: (bound: AddressInfo) => string
  /** Where accept failures after listening are logged. */
  log: ComponentLogger
}

/**
 * Starts the server listening. Resolves with the listener once bound;
 * rejects with `LISTEN_FAILED` (port in use, bad host) or `ABORTED`. After
 * that, aborting the signal closes the listener. Closing a listener stops
 * accepting and closes streams nobody took; accepted streams live on.
 *
 * @param options - the server and what to do around it
 * @returns the listener
 */
export function serve(options: ServeOptions): Promise<Listener> {
  const { server, signal, queue, listeners, shutdown } = options
  return new Promise((resolve, reject) => {
    const onListenError = (err: Error): void => {
      unlisten()
      shutdown()
      reject(
        new TransportError('LISTEN_FAILED', `could not listen on ${options.address}: ${err.message}`, { cause: err }),
      )
    }
    const unlisten = onAbort(signal, () => {
      server.off('error', onListenError)
      shutdown()
      reject(abortError(signal as AbortSignal))
    })
    server.once('error', onListenError)
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', onListenError)
      unlisten()
      const bound = server.address()
      if (signal?.aborted || bound === null || typeof bound === 'string') {
        shutdown()
        reject(signal?.aborted ? abortError(signal) : new TransportError('LISTEN_FAILED', 'the server has no address'))
        return
      }
      let stopWatching = (): void => {}
      let closing: Promise<void> | undefined
      const listener: Listener = {
        addresses: [options.formatBound(bound)],
        close() {
          closing ??= (async () => {
            stopWatching()
            listeners.delete(listener)
            shutdown()
            await queue.end()
          })()
          return closing
        },
        [Symbol.asyncIterator]: () => queue.iterator(),
      }
      // An accept that fails after listening is emitted on the server; it
      // costs that one connection, never the process. It is a local fault
      // (out of file descriptors...), which the user should hear of.
      server.on('error', (err) => {
        options.log.warn(`accepting a connection on ${listener.addresses[0]} failed: ${err.message}`, { error: err })
      })
      listeners.add(listener)
      // Once listening, the signal closes the listener instead of failing the call.
      stopWatching = onAbort(signal, () => void listener.close())
      resolve(listener)
    })
  })
}
