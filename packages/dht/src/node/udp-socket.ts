import { createSocket, type Socket } from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { throwIfAborted } from '@mycel/wire/signal'
import type { PeerAddress } from '../address.js'
import { DhtError } from '../errors.js'
import { ipFamily, normalizeHost } from '../ip.js'
import type { DatagramHandler, DatagramSocket } from '../socket.js'

/** Options of {@link bindUdpSocket}. */
export interface UdpSocketOptions {
  /** Address to bind (default `0.0.0.0`, or `::` with `type: 'udp6'`). */
  readonly host?: string
  /** Port to bind; 0 (the default) lets the system choose, and `localAddress.port` reports it. */
  readonly port?: number
  /** `udp4` (default; BEP 5) or `udp6` (BEP 32: a separate IPv6 DHT). Default: from `host`. */
  readonly type?: 'udp4' | 'udp6'
  /** Aborts binding. */
  readonly signal?: AbortSignal
}

/**
 * A {@link DatagramSocket} over `node:dgram`. Send errors (an unreachable
 * host, a full buffer) are counted in `sendErrors`, never thrown, as UDP
 * loses datagrams anyway.
 */
export class UdpSocket implements DatagramSocket {
  /** Datagrams that could not be sent. */
  sendErrors = 0
  private handler: DatagramHandler | undefined
  private closePromise: Promise<void> | undefined

  /** @internal */
  constructor(
    private readonly socket: Socket,
    /** The bound address, with the real port. */
    readonly localAddress: PeerAddress,
  ) {
    socket.on('message', (message, remote) => {
      this.handler?.(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), {
        host: normalizeHost(remote.address),
        port: remote.port,
      })
    })
    socket.on('error', () => {
      this.sendErrors++
    })
  }

  /**
   * Sends one datagram; errors are counted, not thrown.
   * @param datagram - the payload
   * @param to - destination IP address and port
   */
  send(datagram: Uint8Array, to: PeerAddress): void {
    if (this.closePromise !== undefined) return
    try {
      this.socket.send(datagram, to.port, to.host, (err) => {
        if (err) this.sendErrors++
      })
    } catch {
      this.sendErrors++
    }
  }

  /**
   * Sets the receiver of incoming datagrams.
   * @param handler - called once per datagram
   */
  onDatagram(handler: DatagramHandler): void {
    this.handler = handler
  }

  /**
   * Resolves a host name to addresses of this socket's family.
   * @param host - a host name
   * @param options - cancellation (checked before and after the lookup)
   * @returns IP address text
   */
  async resolve(host: string, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    options.signal?.throwIfAborted()
    const family = ipFamily(this.localAddress.host) === 6 ? 6 : 4
    const results = await lookup(host, { all: true, family })
    options.signal?.throwIfAborted()
    return results.map((result) => normalizeHost(result.address))
  }

  /**
   * Closes the socket. Idempotent.
   * @returns resolves once node:dgram has closed it
   */
  close(): Promise<void> {
    this.closePromise ??= new Promise<void>((resolve) => {
      this.handler = undefined
      try {
        this.socket.close(() => resolve())
      } catch {
        resolve()
      }
    })
    return this.closePromise
  }
}

/**
 * Binds a UDP socket for a DHT node.
 *
 * @param options - host, port, family, cancellation
 * @returns the bound socket; `localAddress.port` is the real port
 * @throws `DhtError` `SOCKET_ERROR` if binding fails (e.g. the port is in use), `ABORTED`
 *
 * @example
 * ```ts
 * const socket = await bindUdpSocket({ host: '127.0.0.1', port: 0 })
 * const dht = new DhtNode({ socket })
 * ```
 */
export async function bindUdpSocket(options: UdpSocketOptions = {}): Promise<UdpSocket> {
  const type = options.type ?? (options.host !== undefined && ipFamily(options.host) === 6 ? 'udp6' : 'udp4')
  const host = options.host ?? (type === 'udp6' ? '::' : '0.0.0.0')
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError('port must be an integer from 0 to 65535')
  throwIfAborted(options.signal, DhtError)
  const socket = createSocket({ type, ipv6Only: type === 'udp6' })
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      cleanup()
      socket.close()
      reject(DhtError.aborted(options.signal?.reason))
    }
    const onError = (err: Error) => {
      cleanup()
      socket.close()
      reject(new DhtError('SOCKET_ERROR', `cannot bind UDP ${host}:${port}: ${err.message}`, { cause: err }))
    }
    const onListening = () => {
      cleanup()
      resolve()
    }
    const cleanup = () => {
      socket.off('error', onError)
      socket.off('listening', onListening)
      options.signal?.removeEventListener('abort', onAbort)
    }
    socket.once('error', onError)
    socket.once('listening', onListening)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    socket.bind(port, host)
  })
  const bound = socket.address()
  return new UdpSocket(socket, { host: normalizeHost(bound.address), port: bound.port })
}
