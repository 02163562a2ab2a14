import { parseAddress } from './address.js'
import { TransportError } from './errors.js'
import type { ByteStream } from './stream.js'

/** Options of {@link Transport.dial}. */
export interface DialOptions {
  /** Aborts the dial; the promise then rejects with `ABORTED` and nothing is left open. */
  signal?: AbortSignal
}

/** Options of {@link Transport.listen}. */
export interface ListenOptions {
  /**
   * Called with each accepted stream. Without it, accepted streams are
   * yielded by iterating the {@link Listener}.
   */
  onConnection?: (stream: ByteStream) => void
  /** Aborts the listen call, or once listening, closes the listener. */
  signal?: AbortSignal
}

/**
 * A listening endpoint. Iterating it yields accepted streams when no
 * `onConnection` was given (at most `backlog` wait; further ones are closed).
 *
 * @example
 * ```ts
 * const listener = await transport.listen('tcp://127.0.0.1:0')
 * console.log(listener.addresses) // ['tcp://127.0.0.1:40123']
 * for await (const stream of listener) serve(stream)
 * ```
 */
export interface Listener extends AsyncIterable<ByteStream> {
  /** The addresses actually bound, in {@link parseAddress} format (port 0 resolved). */
  readonly addresses: readonly string[]
  /** Stops accepting; streams already accepted stay open. Idempotent. */
  close(): Promise<void>
}

/**
 * A way to open byte streams to addresses of some schemes, and to accept
 * them. Every implementation (`tcp`, `ws`, `memory`) passes the compliance
 * suite of `@mycel/transport/testing`.
 *
 * @example
 * ```ts
 * const stream = await transport.dial('tcp://127.0.0.1:4001', { signal: AbortSignal.timeout(5000) })
 * const conn = await secure(stream, identity, { initiator: true })
 * ```
 */
export interface Transport {
  /** Address schemes this transport handles, lower case (`['tcp']`). */
  readonly schemes: readonly string[]
  /**
   * Opens a stream to `address`.
   *
   * @param address - an address of one of {@link Transport.schemes}
   * @param options - abort signal
   * @returns the connected stream
   * @throws {@link TransportError} `ADDRESS_INVALID`, `ADDRESS_UNSUPPORTED`,
   *   `DIAL_FAILED`, `ABORTED`, `CLOSED`
   */
  dial(address: string, options?: DialOptions): Promise<ByteStream>
  /**
   * Listens on `address` (port 0, or memory name `0`, picks a free one).
   *
   * @param address - the local address to bind
   * @param options - connection callback and abort signal
   * @returns the listener, with its bound addresses
   * @throws {@link TransportError} `ADDRESS_INVALID`, `LISTEN_FAILED`,
   *   `LISTEN_UNSUPPORTED`, `ABORTED`, `CLOSED`
   */
  listen(address: string, options?: ListenOptions): Promise<Listener>
  /** Closes every listener and stream this transport opened. Idempotent. */
  close(): Promise<void>
}

/**
 * The transport among `transports` that handles the scheme of `address`.
 *
 * @param address - a transport address
 * @param transports - candidates, first match wins
 * @returns the matching transport
 * @throws {@link TransportError} `ADDRESS_INVALID` or `ADDRESS_UNSUPPORTED`
 *
 * @example
 * ```ts
 * const transport = transportFor(address, [tcpTransport(), webSocketTransport()])
 * ```
 */
export function transportFor(address: string, transports: readonly Transport[]): Transport {
  const { scheme } = parseAddress(address)
  const found = transports.find((transport) => transport.schemes.includes(scheme))
  if (found === undefined) {
    throw new TransportError('ADDRESS_UNSUPPORTED', `no transport here handles ${JSON.stringify(scheme)} addresses`)
  }
  return found
}

/**
 * One {@link Transport} that dispatches on the address scheme to the first
 * of `transports` that handles it. Closing it closes them all.
 *
 * @param transports - the transports to combine
 * @returns the combined transport
 *
 * @example
 * ```ts
 * const transport = combineTransports([tcpTransport(), webSocketTransport()])
 * await transport.dial('ws://127.0.0.1:8080/mycel')
 * ```
 */
export function combineTransports(transports: readonly Transport[]): Transport {
  const list = [...transports]
  let closing: Promise<void> | undefined
  return {
    schemes: [...new Set(list.flatMap((transport) => transport.schemes))],
    dial: async (address, options) => transportFor(address, list).dial(address, options),
    listen: async (address, options) => transportFor(address, list).listen(address, options),
    close() {
      closing ??= Promise.all(list.map((transport) => transport.close())).then(() => {})
      return closing
    },
  }
}
