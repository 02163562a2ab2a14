import { createServer, type IncomingMessage } from 'node:http'
import { integerOption } from '@mycel/wire/assert'
import { componentLogger } from '@mycel/wire/log'
import type { WebSocket } from 'ws'
import { abortError, onAbort } from '../abort.js'
import { AcceptQueue } from '../accept-queue.js'
import { formatAddress, parseAddress } from '../address.js'
import { TransportError } from '../errors.js'
import type { ByteStream } from '../stream.js'
import type { DialOptions, Listener, ListenOptions, Transport } from '../transport.js'
import {
  browserWebSocketTransport,
  WEBSOCKET_PROTOCOL,
  type WebSocketConstructor,
  type WebSocketTransportOptions,
  webSocketUrl,
} from '../websocket/browser-transport.js'
import { MAX_WEBSOCKET_CHUNK_BYTES, type WebSocketLike, WebSocketStream } from '../websocket/stream.js'
import { serve } from './serve.js'

/**
 * The `ws` package, imported on the first dial or listen: loading it (with
 * the `https`, `tls` and `zlib` modules it pulls in) cost a node about
 * 0.1 CPU-s and 5 MiB at start-up, whether it ever used a WebSocket or not.
 */
let wsModule: Promise<typeof import('ws')> | undefined
function loadWs(): Promise<typeof import('ws')> {
  wsModule ??= import('ws')
  return wsModule
}

/**
 * A WebSocket client socket as {@link openNodeWebSocket} gives it: the part
 * of the `ws` package's socket shaped as the DOM's `WebSocket`, so that no
 * type of `ws` reaches the published `.d.ts` files.
 */
export interface NodeWebSocketClient {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number
  send(data: string | Uint8Array): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void
  removeEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void
}

/**
 * Opens a WebSocket client of the `ws` package (imported on the first call),
 * for Node code that speaks to WebSocket servers other than mycel peers (a
 * WebTorrent-style tracker).
 *
 * @param url - a `ws:` or `wss:` URL
 * @param options - `maxPayload`: the largest message taken, in bytes
 * @returns the socket, connecting (listen for `open`)
 * @throws any error of `ws` for a URL it refuses
 */
export async function openNodeWebSocket(url: string, options: { maxPayload: number }): Promise<NodeWebSocketClient> {
  const { WebSocket: NodeWebSocket } = await loadWs()
  // `ws` types its generic `addEventListener` apart from the DOM's shape; the methods are the same.
  return new NodeWebSocket(url, { maxPayload: options.maxPayload }) as unknown as NodeWebSocketClient
}

/** Largest WebSocket message accepted from a remote. */
const MAX_PAYLOAD_BYTES = 4 * MAX_WEBSOCKET_CHUNK_BYTES

function remoteOf(request: IncomingMessage): string | undefined {
  const { remoteAddress, remotePort } = request.socket
  if (remoteAddress === undefined || remotePort === undefined) return undefined
  const host = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress
  return formatAddress({ scheme: 'ws', host, port: remotePort, path: '' })
}

/**
 * The WebSocket transport for Node, on the `ws` package: it dials `ws://`
 * and `wss://` addresses and listens on `ws://host:port/path` (for `wss`,
 * put a TLS terminator in front). Uses send callbacks for backpressure and
 * pauses the socket when the reader does. In browsers the same import
 * resolves to the platform-`WebSocket` version, which can only dial.
 *
 * @param options - high-water mark; `WebSocket` to dial with another class
 * @returns the transport
 *
 * @example
 * ```ts
 * import { webSocketTransport } from '@mycel/transport/ws'
 *
 * const ws = webSocketTransport()
 * const listener = await ws.listen('ws://127.0.0.1:0/mycel', { onConnection: serve })
 * console.log(listener.addresses[0]) // ws://127.0.0.1:38511/mycel
 * ```
 */
export function webSocketTransport(options: WebSocketTransportOptions = {}): Transport {
  if (options.WebSocket !== undefined) return browserWebSocketTransport(options)
  const highWaterMark = integerOption(options.highWaterMark, 'highWaterMark', {
    min: 1,
    max: 2 ** 30,
    fallback: 1024 * 1024,
  })
  const log = componentLogger(options.logger, 'mycel:transport')
  const streams = new Set<ByteStream>()
  const listeners = new Set<Listener>()
  let closing: Promise<void> | undefined

  const wrap = (socket: WebSocket, remoteAddress: string | undefined): WebSocketStream => {
    const stream = new WebSocketStream(socket as unknown as WebSocketLike, remoteAddress, {
      highWaterMark,
      nodeExtras: true,
      onRelease: (s) => streams.delete(s),
    })
    streams.add(stream)
    return stream
  }

  return {
    schemes: ['ws', 'wss'],

    async dial(address: string, dialOptions?: DialOptions): Promise<ByteStream> {
      const url = webSocketUrl(address)
      const signal = dialOptions?.signal
      const check = (): void => {
        if (closing !== undefined) throw TransportError.closed('the transport')
        if (signal?.aborted) throw abortError(signal)
      }
      check()
      const { WebSocket } = await loadWs()
      check()
      return new Promise((resolve, reject) => {
        const socket = new WebSocket(url, WEBSOCKET_PROTOCOL, {
          perMessageDeflate: false,
          maxPayload: MAX_PAYLOAD_BYTES,
        })
        const cleanup = (): void => {
          unlisten()
          socket.off('open', onOpen)
          socket.off('error', onError)
        }
        const onOpen = (): void => {
          cleanup()
          if (closing !== undefined) {
            socket.terminate()
            reject(TransportError.closed('the transport'))
            return
          }
          resolve(wrap(socket, address))
        }
        const onError = (err: Error): void => {
          cleanup()
          socket.terminate()
          log.debug(`dial ${address} failed: ${err.message}`, { address })
          reject(new TransportError('DIAL_FAILED', `could not connect to ${address}: ${err.message}`, { cause: err }))
        }
        const unlisten = onAbort(signal, () => {
          cleanup()
          socket.on('error', () => {})
          socket.terminate()
          reject(abortError(signal as AbortSignal))
        })
        socket.on('open', onOpen)
        socket.on('error', onError)
      })
    },

    async listen(address: string, listenOptions?: ListenOptions): Promise<Listener> {
      const { scheme, host, port, path } = parseAddress(address)
      if (scheme === 'wss') throw new TransportError('LISTEN_UNSUPPORTED', 'listen on ws:// behind a TLS terminator')
      if (scheme !== 'ws') throw new TransportError('ADDRESS_UNSUPPORTED', `not a WebSocket address: ${address}`)
      if (closing !== undefined) throw TransportError.closed('the transport')
      const signal = listenOptions?.signal
      if (signal?.aborted) throw abortError(signal)
      const { WebSocketServer } = await loadWs()
      if (closing !== undefined) throw TransportError.closed('the transport')
      if (signal?.aborted) throw abortError(signal)
      const queue = new AcceptQueue(listenOptions?.onConnection, undefined, log)
      const server = createServer((request, response) => {
        if (log.enabled('debug')) {
          const from = remoteOf(request) ?? 'an unknown address'
          log.debug(`refused a plain HTTP request from ${from}: not a WebSocket upgrade (426)`)
        }
        response.writeHead(426).end()
      })
      const sockets = new WebSocketServer({
        server,
        path: path === '' ? undefined : path,
        perMessageDeflate: false,
        maxPayload: MAX_PAYLOAD_BYTES,
        handleProtocols: (protocols) => (protocols.has(WEBSOCKET_PROTOCOL) ? WEBSOCKET_PROTOCOL : false),
      })
      // The WebSocketServer re-emits the HTTP server's errors (EADDRINUSE...),
      // which would throw with no listener; serve() handles them on the server.
      sockets.on('error', () => {})
      sockets.on('connection', (socket, request) => {
        socket.on('error', () => {})
        queue.accept(wrap(socket, remoteOf(request)))
      })
      return serve({
        server,
        host,
        port,
        address,
        signal,
        queue,
        listeners,
        shutdown: () => {
          sockets.close()
          server.close()
          server.closeIdleConnections()
        },
        formatBound: (bound) => {
          const boundHost = bound.address.startsWith('::ffff:') ? bound.address.slice(7) : bound.address
          return formatAddress({ scheme: 'ws', host: boundHost, port: bound.port, path })
        },
        log,
      })
    },

    close() {
      closing ??= (async () => {
        await Promise.all([...[...listeners].map((l) => l.close()), ...[...streams].map((s) => s.close())])
      })()
      return closing
    },
  }
}

export type { WebSocketConstructor, WebSocketTransportOptions }
