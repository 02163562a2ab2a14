import { integerOption } from '@mycel/wire/assert'
import { componentLogger, type Logger } from '@mycel/wire/log'
import { abortError, onAbort } from '../abort.js'
import { parseAddress } from '../address.js'
import { TransportError } from '../errors.js'
import type { ByteStream } from '../stream.js'
import type { DialOptions, Listener, Transport } from '../transport.js'
import { WebSocketStream } from './stream.js'

/** A `WebSocket` constructor with the WHATWG signature. */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => import('./stream.js').WebSocketLike

/** Options of `webSocketTransport`. */
export interface WebSocketTransportOptions {
  /** Bytes buffered for sending before `write` returns false. Default 1 MiB. */
  highWaterMark?: number
  /**
   * The `WebSocket` class to dial with. Default: the platform's
   * `globalThis.WebSocket` in browsers, the `ws` package in Node.
   */
  WebSocket?: WebSocketConstructor
  /**
   * Where the transport logs, under `mycel:transport`: failed dials, and
   * (in Node) refused requests, connections closed for the backlog and
   * failed accepts. Default: silent.
   */
  logger?: Logger
}

/** Sub-protocol name both sides announce. */
export const WEBSOCKET_PROTOCOL = 'mycel'

/** Turns `ws://host:port/path` into the URL to dial. @internal */
export function webSocketUrl(address: string): string {
  const { scheme, host, port, path } = parseAddress(address)
  if (scheme !== 'ws' && scheme !== 'wss')
    throw new TransportError('ADDRESS_UNSUPPORTED', `not a WebSocket address: ${address}`)
  const bracketed = host.includes(':') ? `[${host}]` : host
  return `${scheme}://${bracketed}:${port}${path === '' ? '/' : path}`
}

/**
 * The WebSocket transport of browsers (and other runtimes with a WHATWG
 * `WebSocket`): it dials `ws://` and `wss://` addresses; browsers cannot
 * listen, so `listen` fails with `LISTEN_UNSUPPORTED`. Backpressure on
 * sending polls `bufferedAmount`; reading cannot be paused in browsers, so
 * a paused stream holds what arrives in memory.
 *
 * @param options - high-water mark and the `WebSocket` class
 * @returns the transport
 * @throws TypeError when no `WebSocket` class is available
 *
 * @example
 * ```ts
 * import { webSocketTransport } from '@mycel/transport/ws'
 *
 * const ws = webSocketTransport()
 * const stream = await ws.dial('wss://seed.example.org/mycel')
 * ```
 */
export function browserWebSocketTransport(options: WebSocketTransportOptions = {}): Transport {
  const highWaterMark = integerOption(options.highWaterMark, 'highWaterMark', {
    min: 1,
    max: 2 ** 30,
    fallback: 1024 * 1024,
  })
  const log = componentLogger(options.logger, 'mycel:transport')
  const WebSocketClass =
    options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? undefined
  if (WebSocketClass === undefined) throw new TypeError('no WebSocket class: pass options.WebSocket')
  const streams = new Set<ByteStream>()
  let closing: Promise<void> | undefined
  return {
    schemes: ['ws', 'wss'],
    dial(address: string, dialOptions?: DialOptions): Promise<ByteStream> {
      return new Promise((resolve, reject) => {
        const url = webSocketUrl(address)
        if (closing !== undefined) throw TransportError.closed('the transport')
        const signal = dialOptions?.signal
        if (signal?.aborted) throw abortError(signal)
        const socket = new WebSocketClass(url, WEBSOCKET_PROTOCOL)
        socket.binaryType = 'arraybuffer'
        const cleanup = (): void => {
          unlisten()
          socket.removeEventListener('open', onOpen)
          socket.removeEventListener('close', onFail)
          socket.removeEventListener('error', onFail)
        }
        const onOpen = (): void => {
          cleanup()
          const stream = new WebSocketStream(socket, address, {
            highWaterMark,
            nodeExtras: false,
            onRelease: (s) => streams.delete(s),
          })
          streams.add(stream)
          resolve(stream)
        }
        const onFail = (): void => {
          cleanup()
          // Some implementations (the ws package) throw on an 'error' nobody listens to.
          socket.addEventListener('error', () => {})
          log.debug(`dial ${address} failed`, { address })
          reject(new TransportError('DIAL_FAILED', `could not connect to ${address}`))
        }
        const unlisten = onAbort(signal, () => {
          cleanup()
          socket.close()
          reject(abortError(signal as AbortSignal))
        })
        socket.addEventListener('open', onOpen)
        socket.addEventListener('close', onFail)
        socket.addEventListener('error', onFail)
      })
    },
    listen(): Promise<Listener> {
      return Promise.reject(
        new TransportError('LISTEN_UNSUPPORTED', 'browsers cannot listen for WebSocket connections'),
      )
    },
    close() {
      closing ??= Promise.all([...streams].map((stream) => stream.close())).then(() => {})
      return closing
    },
  }
}
