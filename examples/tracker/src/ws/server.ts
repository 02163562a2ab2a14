/**
 * The WebSocket tracker: a `ws` server on its own listener whose sockets
 * speak WebTorrent's tracker protocol ({@link WsSignalling}). Any path is
 * accepted (`ws://host:port/announce` as clients usually write it); plain
 * HTTP requests are answered 426.
 * @module
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { type WebSocket, WebSocketServer } from 'ws'
import { forwardedAddress, OpenPerAddress, peerAddress } from '../address.js'
import { TrackerError } from '../errors.js'
import type { Logger } from '../log.js'
import type { WsSignalling } from './signalling.js'

/** Bounds of the WebSocket server; `docs/limits.md` gives the defaults. */
export interface WsServerOptions {
  /** Most sockets open at once. */
  readonly maxSockets: number
  /**
   * Most sockets open at once from one address (an IPv4 address, an IPv6
   * /64), so that one host cannot take every socket of `maxSockets`.
   */
  readonly maxSocketsPerAddress: number
  /** Largest message, in bytes. */
  readonly maxMessageBytes: number
  /** Milliseconds a socket may stay silent (no message, no pong) before it is closed. */
  readonly idleTimeoutMs: number
}

/** Where a WebSocket tracker listens. */
export interface WsAddress {
  readonly host: string
  readonly port: number
}

const TRY_AGAIN_LATER = 1013

/** The WebSocket tracker server. */
export class WsTrackerServer {
  private http: Server | undefined
  private wss: WebSocketServer | undefined
  private readonly sockets = new Set<WebSocket>()
  /** Open sockets per address. */
  private readonly perAddress: OpenPerAddress
  private closing: Promise<void> | undefined

  /**
   * @param signalling - the swarms and the relay
   * @param options - bounds
   * @param log - where refusals are reported (`debug`)
   * @param trustProxy - count sockets under the last address of the upgrade's
   *   `X-Forwarded-For` (a TLS proxy in front: every socket comes from it)
   */
  constructor(
    private readonly signalling: WsSignalling,
    private readonly options: WsServerOptions,
    private readonly log: Logger,
    private readonly trustProxy = false,
  ) {
    this.perAddress = new OpenPerAddress(options.maxSocketsPerAddress)
  }

  /** Open sockets. */
  get socketCount(): number {
    return this.sockets.size
  }

  /**
   * Starts listening. `::` is dual-stack.
   *
   * @param host - the address to bind
   * @param port - the port (0 for a free one)
   * @returns where it listens
   * @throws {@link TrackerError} `LISTEN_FAILED`
   */
  listen(host: string, port: number): Promise<WsAddress> {
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' })
      res.end('a WebSocket tracker: connect with ws:// or wss://\n')
    })
    const wss = new WebSocketServer({
      server: http,
      maxPayload: this.options.maxMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
    })
    wss.on('connection', (socket, request) => this.accept(socket, request))
    wss.on('error', (err) => this.log('warn', `WebSocket server: ${err.message}`))
    this.http = http
    this.wss = wss
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        this.http = undefined
        reject(new TrackerError('LISTEN_FAILED', `WebSocket ${host}:${port}: ${err.message}`, { cause: err }))
      }
      http.once('error', fail)
      http.listen({ host, port, ipv6Only: false }, () => {
        http.off('error', fail)
        http.on('error', (err) => this.log('warn', `WebSocket server: ${err.message}`))
        const bound = http.address()
        if (bound === null || typeof bound === 'string') return fail(new Error('no address'))
        resolve({ host: bound.address, port: bound.port })
      })
    })
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const from = this.addressOf(request)
    if (this.closing !== undefined || from === undefined) {
      socket.terminate()
      return
    }
    if (this.sockets.size >= this.options.maxSockets) {
      this.log('debug', `WebSocket: over ${this.options.maxSockets} sockets, refused`)
      socket.close(TRY_AGAIN_LATER, 'too many sockets')
      return
    }
    if (!this.perAddress.open(from.limitKey)) {
      this.log('debug', `WebSocket ${from.text}: over ${this.options.maxSocketsPerAddress} sockets, refused`)
      socket.close(TRY_AGAIN_LATER, 'too many sockets from this address')
      return
    }
    this.sockets.add(socket)
    const state = this.signalling.join({
      send: (message) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message))
      },
      close: (code, reason) => {
        this.log('debug', `WebSocket: closed a socket: ${reason}`)
        socket.close(code, reason)
      },
    })
    let alive = true
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate()
      alive = false
      socket.ping()
    }, this.options.idleTimeoutMs)
    heartbeat.unref()
    socket.on('pong', () => {
      alive = true
    })
    socket.on('message', (data, isBinary) => {
      alive = true
      if (isBinary) return socket.close(1003, 'text messages only')
      this.signalling.receive(state, (data as Buffer).toString('utf8'))
    })
    // A frame over the size bound, or broken framing: `ws` closes the socket (1009 or 1002).
    socket.on('error', (err) => this.log('debug', `WebSocket: ${err.message}`))
    socket.on('close', () => {
      clearInterval(heartbeat)
      this.sockets.delete(socket)
      this.perAddress.closed(from.limitKey)
      this.signalling.leave(state)
    })
  }

  /** Where a socket comes from: its peer, or with `trustProxy` the last hop the proxy names. */
  private addressOf(request: IncomingMessage) {
    const socketAddress = peerAddress(request.socket.remoteAddress ?? '')
    if (!this.trustProxy) return socketAddress
    const header = request.headers['x-forwarded-for']
    return forwardedAddress(Array.isArray(header) ? header.at(-1) : header) ?? socketAddress
  }

  /**
   * Stops listening and closes every socket. Idempotent.
   *
   * @returns when the server is closed
   */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      for (const socket of this.sockets) socket.terminate()
      this.wss?.close()
      if (this.http === undefined) return resolve()
      this.http.closeAllConnections()
      this.http.close(() => resolve())
    })
    return this.closing
  }
}
