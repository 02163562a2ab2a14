import { connect, createServer, type Server, type Socket } from 'node:net'
import { componentLogger, type Logger } from '@mycel/wire/log'
import { abortError, onAbort } from '../abort.js'
import { AcceptQueue } from '../accept-queue.js'
import { formatAddress, parseAddress } from '../address.js'
import { TransportError } from '../errors.js'
import type { ByteStream } from '../stream.js'
import type { DialOptions, Listener, ListenOptions, Transport } from '../transport.js'
import { serve } from './serve.js'
import { ReusedReadBuffer, SocketStream } from './socket-stream.js'

/** Options of {@link tcpTransport}. */
export interface TcpTransportOptions {
  /** Disable Nagle's algorithm (the secure channel coalesces writes itself). Default true. */
  noDelay?: boolean
  /** Accepted streams that may wait for a listener's iterator. Default 64. */
  backlog?: number
  /**
   * Where the transport logs, under `mycel:transport`: failed dials,
   * connections closed for the backlog, failed accepts. Default: silent.
   */
  logger?: Logger
}

function addressOf(host: string | undefined, port: number | undefined): string | undefined {
  if (host === undefined || port === undefined) return undefined
  return formatAddress({ scheme: 'tcp', host: host.startsWith('::ffff:') ? host.slice(7) : host, port, path: '' })
}

/**
 * The TCP transport (`node:net`), for `tcp://host:port` addresses. Sockets
 * are half-open capable, so `end()` is a real half-close.
 *
 * @param options - socket options
 * @returns the transport
 *
 * @example
 * ```ts
 * import { tcpTransport } from '@mycel/transport/tcp'
 *
 * const tcp = tcpTransport()
 * const listener = await tcp.listen('tcp://127.0.0.1:0', { onConnection: serve })
 * const stream = await tcp.dial(listener.addresses[0] as string)
 * await tcp.close()
 * ```
 */
export function tcpTransport(options: TcpTransportOptions = {}): Transport {
  const noDelay = options.noDelay ?? true
  const log = componentLogger(options.logger, 'mycel:transport')
  const streams = new Set<ByteStream>()
  const listeners = new Set<Listener>()
  let closing: Promise<void> | undefined

  const track = (socket: Socket, stream: SocketStream): SocketStream => {
    streams.add(stream)
    socket.once('close', () => streams.delete(stream))
    return stream
  }

  return {
    schemes: ['tcp'],

    dial(address: string, dialOptions?: DialOptions): Promise<ByteStream> {
      return new Promise((resolve, reject) => {
        const { scheme, host, port } = parseAddress(address)
        if (scheme !== 'tcp') throw new TransportError('ADDRESS_UNSUPPORTED', `not a tcp address: ${address}`)
        // RFC 7686: a .onion name must not reach a resolver; only a SOCKS proxy (Tor) can dial it.
        if (/\.onion\.?$/i.test(host)) {
          throw new TransportError(
            'ADDRESS_UNSUPPORTED',
            `${address} is an onion address: dial it through a SOCKS proxy`,
          )
        }
        if (closing !== undefined) throw TransportError.closed('the transport')
        const signal = dialOptions?.signal
        if (signal?.aborted) throw abortError(signal)
        const reads = new ReusedReadBuffer()
        const socket = connect({ host, port, allowHalfOpen: true, noDelay, onread: reads.onread })
        socket.pause()
        const cleanup = (): void => {
          unlisten()
          socket.off('connect', onConnect)
          socket.off('error', onError)
        }
        const onConnect = (): void => {
          cleanup()
          if (closing !== undefined) {
            socket.destroy()
            reject(TransportError.closed('the transport'))
            return
          }
          resolve(track(socket, new SocketStream(socket, addressOf(socket.remoteAddress, socket.remotePort), reads)))
        }
        const onError = (err: Error): void => {
          cleanup()
          socket.destroy()
          log.debug(`dial ${address} failed: ${err.message}`, { address })
          reject(new TransportError('DIAL_FAILED', `could not connect to ${address}: ${err.message}`, { cause: err }))
        }
        const unlisten = onAbort(signal, () => {
          cleanup()
          socket.destroy()
          reject(abortError(signal as AbortSignal))
        })
        socket.once('connect', onConnect)
        socket.once('error', onError)
      })
    },

    async listen(address: string, listenOptions?: ListenOptions): Promise<Listener> {
      const { scheme, host, port } = parseAddress(address)
      if (scheme !== 'tcp') throw new TransportError('ADDRESS_UNSUPPORTED', `not a tcp address: ${address}`)
      if (closing !== undefined) throw TransportError.closed('the transport')
      const signal = listenOptions?.signal
      if (signal?.aborted) throw abortError(signal)
      const queue = new AcceptQueue(listenOptions?.onConnection, options.backlog, log)
      const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay })
      server.on('connection', (socket) => {
        socket.on('error', () => {})
        queue.accept(track(socket, new SocketStream(socket, addressOf(socket.remoteAddress, socket.remotePort))))
      })
      return serve({
        server,
        host,
        port,
        address,
        signal,
        queue,
        listeners,
        // Stops accepting at once; connections already accepted live on as streams.
        shutdown: () => {
          if (server.listening) server.close()
        },
        formatBound: (bound) => addressOf(bound.address, bound.port) as string,
        log,
      })
    },

    close() {
      closing ??= (async () => {
        await Promise.all([
          ...[...listeners].map((listener) => listener.close()),
          ...[...streams].map((s) => s.close()),
        ])
      })()
      return closing
    },
  }
}
