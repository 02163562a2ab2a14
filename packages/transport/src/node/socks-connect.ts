import { connect, type Socket } from 'node:net'
import { abortError, onAbort } from '../abort.js'
import { TransportError } from '../errors.js'
import { SocksClientHandshake } from '../socks/handshake.js'
import type { ConnectReply } from '../socks/messages.js'
import type { SocksProxy } from '../socks/proxy-url.js'

/**
 * Longest a SOCKS5 exchange may take, from the TCP connection to the proxy
 * to its reply to `CONNECT`, by default: reaching an onion service through
 * Tor builds circuits, which often takes tens of seconds.
 */
export const DEFAULT_SOCKS_TIMEOUT_MS = 60_000

/** Options of {@link socksConnect}. */
export interface SocksConnectOptions {
  /** Aborts the exchange; it then rejects with `ABORTED` and the socket is destroyed. */
  signal?: AbortSignal | undefined
  /** Longest the whole exchange may take, in milliseconds (default {@link DEFAULT_SOCKS_TIMEOUT_MS}). */
  timeoutMs?: number | undefined
  /** Disable Nagle's algorithm on the socket. Default true. */
  noDelay?: boolean | undefined
}

/** A socket that the proxy connected to the target. */
export interface SocksConnection {
  /**
   * The socket to the proxy, now relaying to the target: paused, with the
   * bytes of the target that came with the proxy's reply (usually none) put
   * back to be read first. Use it as a socket to the target (`http`'s
   * `createConnection`, `tls.connect({ socket })`, a `SocketStream`).
   */
  socket: Socket
  /** The proxy's reply. */
  reply: ConnectReply
}

/**
 * Opens a TCP connection to `proxy` and asks it to connect to `host:port`
 * (RFC 1928 `CONNECT`, with RFC 1929 credentials when the proxy has some).
 * A host name is sent to the proxy as it is, never resolved here; the only
 * address this function connects to is the proxy's.
 *
 * @param proxy - the SOCKS5 proxy
 * @param target - an IP literal or a host name (`.onion` included) and a port
 * @param options - abort signal, timeout
 * @returns the connected socket, paused
 * @throws {@link TransportError} `PROXY_UNREACHABLE` (no TCP connection to
 *   the proxy, or it closed during the exchange), `PROXY_TIMEOUT`,
 *   `PROXY_PROTOCOL`, `PROXY_AUTH_FAILED`, `DIAL_FAILED` (the proxy could not
 *   reach the target; its reply code in `proxyReply`), `ADDRESS_INVALID`, `ABORTED`
 */
export function socksConnect(
  proxy: SocksProxy,
  target: { host: string; port: number },
  options: SocksConnectOptions = {},
): Promise<SocksConnection> {
  return new Promise((resolve, reject) => {
    const { signal } = options
    if (signal?.aborted) throw abortError(signal)
    const handshake = new SocksClientHandshake(proxy, target)
    const timeoutMs = options.timeoutMs ?? DEFAULT_SOCKS_TIMEOUT_MS
    const socket = connect({
      host: proxy.host,
      port: proxy.port,
      allowHalfOpen: true,
      noDelay: options.noDelay ?? true,
    })
    let settled = false
    const fail = (error: TransportError): void => {
      if (settled) return
      settled = true
      cleanup()
      socket.destroy()
      reject(error)
    }
    const timer = setTimeout(() => {
      const where = `${target.host}:${target.port}`
      fail(new TransportError('PROXY_TIMEOUT', `the proxy did not connect to ${where} within ${timeoutMs} ms`))
    }, timeoutMs)
    const unlisten = onAbort(signal, () => fail(abortError(signal as AbortSignal)))
    const onError = (error: Error): void => {
      const phase = socket.connecting ? 'could not connect to' : 'lost the connection to'
      const where = `${proxy.host}:${proxy.port}`
      fail(
        new TransportError('PROXY_UNREACHABLE', `${phase} the proxy at ${where}: ${error.message}`, { cause: error }),
      )
    }
    const onClose = (): void =>
      fail(new TransportError('PROXY_UNREACHABLE', 'the proxy closed the connection before it connected us'))
    const cleanup = (): void => {
      clearTimeout(timer)
      unlisten()
      socket.off('error', onError)
      socket.off('end', onClose)
      socket.off('close', onClose)
      socket.off('data', onData)
    }
    socket.once('connect', () => {
      if (!settled) socket.write(handshake.greeting())
    })
    socket.on('error', onError)
    socket.once('end', onClose)
    socket.once('close', onClose)
    const onData = (chunk: Buffer): void => {
      if (settled) return
      let step: ReturnType<SocksClientHandshake['receive']>
      try {
        step = handshake.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))
      } catch (error) {
        fail(error as TransportError)
        return
      }
      if (step.send !== undefined) socket.write(step.send)
      if (step.done === undefined) return
      settled = true
      socket.pause()
      cleanup()
      if (step.done.rest.length > 0) socket.unshift(step.done.rest)
      // A later error belongs to whoever takes the socket; until then it must not throw.
      socket.on('error', () => {})
      resolve({ socket, reply: step.done.reply })
    }
    socket.on('data', onData)
  })
}
