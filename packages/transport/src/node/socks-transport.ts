import { componentLogger, type Logger } from '@mycel/wire/log'
import { type LinkedSignal, linkSignals } from '@mycel/wire/signal'
import { abortError } from '../abort.js'
import { formatAddress, parseAddress } from '../address.js'
import { TransportError } from '../errors.js'
import { describeProxy, parseProxyUrl, type SocksProxy } from '../socks/proxy-url.js'
import type { ByteStream } from '../stream.js'
import type { DialOptions, Listener, ListenOptions, Transport } from '../transport.js'
import { SocketStream } from './socket-stream.js'
import { DEFAULT_SOCKS_TIMEOUT_MS, socksConnect } from './socks-connect.js'
import { tcpTransport } from './tcp.js'

/** Options of {@link socksTransport}. */
export interface SocksTransportOptions {
  /**
   * The SOCKS5 proxy every dial goes through: a URL
   * (`socks5://[user:pass@]host:port`) or a parsed {@link SocksProxy}. Give
   * the proxy by IP address (`127.0.0.1`): a host name here is looked up
   * locally, and that lookup is the one the proxy cannot hide.
   */
  proxy: string | SocksProxy
  /**
   * Longest a dial may take, from the TCP connection to the proxy to its
   * reply to `CONNECT`, in milliseconds. Default 60,000 (onion services
   * through Tor take tens of seconds).
   */
  timeoutMs?: number
  /**
   * Where {@link Transport.listen} binds. Listening never goes through the
   * proxy (no SOCKS `BIND`): the listener is a local TCP one, for example
   * the target of a Tor onion service. Default `tcpTransport()`.
   */
  listenTransport?: Transport
  /** Disable Nagle's algorithm (the secure channel coalesces writes itself). Default true. */
  noDelay?: boolean
  /** Where failed dials are logged, under `mycel:transport`. Default: silent. */
  logger?: Logger
}

/**
 * The SOCKS5 transport: dials `tcp://host:port` addresses through a SOCKS5
 * proxy (RFC 1928, with RFC 1929 username/password), Tor's or any other.
 * Host names, `.onion` ones included, go to the proxy as names and are
 * never resolved locally; the only TCP connection a dial opens is to the
 * proxy. A proxy that cannot be reached, refuses or fails is an error of the
 * dial (`PROXY_*` codes), never a direct connection. Streams report the
 * target's address (`tcp://name.onion:4001`) as their remote address.
 *
 * Listening is local TCP (see {@link SocksTransportOptions.listenTransport}).
 *
 * @param options - the proxy, timeout, listen transport
 * @returns the transport (scheme `tcp`)
 * @throws {@link TransportError} `PROXY_URL_INVALID` for a proxy URL that does not parse
 *
 * @example
 * ```ts
 * import { socksTransport } from '@mycel/transport/socks'
 *
 * const tor = socksTransport({ proxy: 'socks5://127.0.0.1:9050' })
 * const stream = await tor.dial('tcp://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion:4001')
 * ```
 */
export function socksTransport(options: SocksTransportOptions): Transport {
  const proxy = typeof options.proxy === 'string' ? parseProxyUrl(options.proxy) : options.proxy
  const timeoutMs = options.timeoutMs ?? DEFAULT_SOCKS_TIMEOUT_MS
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number')
  const log = componentLogger(options.logger, 'mycel:transport')
  const listenTransport = options.listenTransport ?? tcpTransport(options.logger ? { logger: options.logger } : {})
  const streams = new Set<ByteStream>()
  const dialing = new Set<LinkedSignal>()
  let closing: Promise<void> | undefined

  return {
    schemes: ['tcp'],

    async dial(address: string, dialOptions?: DialOptions): Promise<ByteStream> {
      const target = parseAddress(address)
      if (target.scheme !== 'tcp') throw new TransportError('ADDRESS_UNSUPPORTED', `not a tcp address: ${address}`)
      if (closing !== undefined) throw TransportError.closed('the transport')
      const signal = dialOptions?.signal
      if (signal?.aborted) throw abortError(signal)
      // close() aborts dials in flight through their link.
      const link = linkSignals([signal])
      dialing.add(link)
      try {
        const { socket } = await socksConnect(proxy, target, {
          signal: link.signal,
          timeoutMs,
          noDelay: options.noDelay,
        })
        if (closing !== undefined) {
          socket.destroy()
          throw TransportError.closed('the transport')
        }
        const stream = new SocketStream(socket, formatAddress(target))
        streams.add(stream)
        socket.once('close', () => streams.delete(stream))
        return stream
      } catch (error) {
        if (closing !== undefined && !(signal?.aborted ?? false)) throw TransportError.closed('the transport')
        if (log.enabled('debug')) {
          const why = error instanceof Error ? error.message : String(error)
          log.debug(`dial ${address} through ${describeProxy(proxy)} failed: ${why}`, { address })
        }
        throw error
      } finally {
        dialing.delete(link)
        link.dispose()
      }
    },

    listen(address: string, listenOptions?: ListenOptions): Promise<Listener> {
      if (closing !== undefined) return Promise.reject(TransportError.closed('the transport'))
      return listenTransport.listen(address, listenOptions)
    },

    close() {
      closing ??= (async () => {
        for (const link of dialing) link.abort()
        await Promise.all([listenTransport.close(), ...[...streams].map((stream) => stream.close())])
      })()
      return closing
    },
  }
}
