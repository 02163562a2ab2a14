import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'
import { CliError } from '../errors.js'
import { type AccessPolicy, checkAccess, ownOrigins } from './auth.js'
import type { NotificationHub } from './notifications.js'
import { DAEMON_LIMITS, RPC_ERRORS, RPC_PATH, TRANSMISSION_PATH, UPLOAD_PATH, WS_PATH } from './protocol.js'
import type { RpcDispatcher } from './rpc.js'
import { type DaemonUploads, UPLOAD_LIMITS } from './uploads.js'
import type { WebUiFiles } from './web-ui.js'

/** What a Transmission RPC handler answers. */
export interface HttpReply {
  status: number
  headers: Record<string, string>
  body: string
}

/** Answers `/transmission/rpc` (after the credential and Origin checks). */
export type TransmissionHandler = (request: IncomingMessage, body: string) => Promise<HttpReply>

/** What the server serves. */
export interface DaemonServerOptions {
  host: string
  /** 0 for a free one. */
  port: number
  /** The token, and the `--password` when one was given. */
  credentials: readonly string[]
  /** Web origins allowed besides the daemon's own. */
  allowOrigins?: readonly string[]
  rpc: RpcDispatcher
  hub: NotificationHub
  transmission: TransmissionHandler
  /** The web UI, served at `GET /` (every path that is not the API's); none: those paths are 404. */
  webUi?: WebUiFiles
  /** Where the chunks of `POST /upload` go; none: that path is 404. */
  uploads?: DaemonUploads
}

/** A body over the limit. */
class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, limit = DAEMON_LIMITS.maxBodyBytes): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'])
    if (declared > limit) {
      reject(new BodyTooLarge())
      return
    }
    const chunks: Buffer[] = []
    let length = 0
    request.on('data', (chunk: Buffer) => {
      length += chunk.length
      if (length > limit) {
        request.removeAllListeners('data')
        request.pause()
        reject(new BodyTooLarge())
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  response.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers })
  response.end(body)
}

function sendRpcError(response: ServerResponse, status: number, code: number, message: string, data?: object): void {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: null,
    error: data === undefined ? { code, message } : { code, message, data },
  })
  send(response, status, { 'content-type': 'application/json' }, body)
}

/** The refusal of a request without the credential or from another origin. */
function refuse(response: ServerResponse, why: 'origin' | 'credential', transmission: boolean): void {
  if (why === 'origin') {
    sendRpcError(response, 403, RPC_ERRORS.methodFailed, 'requests from this web origin are refused', {
      code: 'ORIGIN_REFUSED',
      hint: 'open the page from the daemon itself, or start it with --allow-origin',
    })
    return
  }
  if (transmission) {
    send(response, 401, { 'www-authenticate': 'Basic realm="mycel"', 'content-type': 'text/plain' }, 'Unauthorized\n')
    return
  }
  sendRpcError(response, 401, RPC_ERRORS.methodFailed, 'the daemon token is missing or wrong', {
    code: 'UNAUTHORIZED',
    hint: 'send Authorization: Bearer <the token in daemon.token of the data folder>',
  })
}

/**
 * The daemon's HTTP server: JSON-RPC 2.0 at `POST /rpc`, notifications (and
 * requests) over a WebSocket at `/ws`, Transmission RPC at
 * `/transmission/rpc`, and the web UI's files at `/`. Every API request
 * needs the token and, when it comes from a web page, one of the daemon's
 * own origins; the UI's files hold no secret and need neither.
 */
export class DaemonServer {
  private readonly sockets = new Set<Socket>()
  private closing: Promise<void> | undefined

  private constructor(
    private readonly server: Server,
    private readonly webSockets: WebSocketServer,
    private readonly hub: NotificationHub,
    /** `http://host:port`. */
    readonly url: string,
  ) {}

  /**
   * Starts listening.
   *
   * @param options - address, policy, handlers
   * @returns the server
   * @throws the `listen` error (`EADDRINUSE`, `EADDRNOTAVAIL`)
   */
  static async start(options: DaemonServerOptions): Promise<DaemonServer> {
    const server = createServer()
    server.requestTimeout = DAEMON_LIMITS.requestTimeoutMs
    server.headersTimeout = DAEMON_LIMITS.requestTimeoutMs
    server.maxConnections = DAEMON_LIMITS.maxConnections
    const webSockets = new WebSocketServer({ noServer: true, maxPayload: DAEMON_LIMITS.maxWebSocketMessageBytes })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : options.port
    const host = options.host.includes(':') ? `[${options.host}]` : options.host
    const daemon = new DaemonServer(server, webSockets, options.hub, `http://${host}:${port}`)
    const policy: AccessPolicy = {
      credentials: options.credentials,
      origins: ownOrigins(options.host, port, options.allowOrigins),
    }
    server.on('connection', (socket) => {
      daemon.sockets.add(socket)
      socket.on('close', () => daemon.sockets.delete(socket))
    })
    server.on('request', (request, response) => {
      daemon.serve(request, response, options, policy).catch(() => {
        if (!response.headersSent) sendRpcError(response, 500, RPC_ERRORS.internalError, 'internal error')
        else response.destroy()
      })
    })
    server.on('upgrade', (request, socket, head) => daemon.upgrade(request, socket as Socket, head, options, policy))
    return daemon
  }

  /** Stops listening and closes every connection and WebSocket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.hub.close()
      for (const client of this.webSockets.clients) client.terminate()
      this.webSockets.close()
      this.server.close(() => resolve())
      for (const socket of this.sockets) socket.destroy()
    })
    return this.closing
  }

  private async serve(
    request: IncomingMessage,
    response: ServerResponse,
    options: DaemonServerOptions,
    policy: AccessPolicy,
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://daemon')
    const path = url.pathname.replace(/\/+$/, '') || '/'
    const transmission = path === TRANSMISSION_PATH
    if (path === UPLOAD_PATH && options.uploads !== undefined) {
      await this.upload(request, response, url, policy, options.uploads)
      return
    }
    if (path !== RPC_PATH && !transmission) {
      if (options.webUi !== undefined && path !== WS_PATH) await options.webUi.serve(request, response, url.pathname)
      else send(response, 404, { 'content-type': 'text/plain' }, 'not found\n')
      return
    }
    const access = checkAccess(request, url, policy, false)
    if (access !== 'ok') {
      request.resume()
      refuse(response, access, transmission)
      return
    }
    if (request.method !== 'POST') {
      send(response, 405, { allow: 'POST', 'content-type': 'text/plain' }, 'use POST\n')
      return
    }
    let body: string
    try {
      body = (await readBody(request)).toString('utf8')
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error
      response.setHeader('connection', 'close')
      sendRpcError(
        response,
        413,
        RPC_ERRORS.invalidRequest,
        `a request body over ${DAEMON_LIMITS.maxBodyBytes} bytes`,
        {
          code: 'REQUEST_TOO_LARGE',
          hint: 'add a large .torrent by its path on the daemon machine',
        },
      )
      request.socket.end()
      return
    }
    if (transmission) {
      const reply = await options.transmission(request, body)
      send(response, reply.status, reply.headers, reply.body)
      return
    }
    const answer = await options.rpc.handle(body)
    if (answer === undefined) {
      send(response, 204, {}, '')
      return
    }
    send(response, 200, { 'content-type': 'application/json' }, JSON.stringify(answer))
  }

  /** `POST /upload?id=<upload>&offset=<bytes>`: the next chunk of an upload begun with `upload.begin`. */
  private async upload(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    policy: AccessPolicy,
    uploads: DaemonUploads,
  ): Promise<void> {
    const access = checkAccess(request, url, policy, false)
    if (access !== 'ok') {
      request.resume()
      refuse(response, access, false)
      return
    }
    if (request.method !== 'POST') {
      request.resume()
      send(response, 405, { allow: 'POST', 'content-type': 'text/plain' }, 'use POST\n')
      return
    }
    const failed = (status: number, code: string, message: string, hint = '') =>
      sendRpcError(response, status, RPC_ERRORS.methodFailed, message, { code, hint })
    let chunk: Buffer
    try {
      chunk = await readBody(request, UPLOAD_LIMITS.maxChunkBytes)
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error
      response.setHeader('connection', 'close')
      failed(413, 'REQUEST_TOO_LARGE', `a chunk over ${UPLOAD_LIMITS.maxChunkBytes} bytes`, 'send smaller chunks')
      request.socket.end()
      return
    }
    const offset = Number(url.searchParams.get('offset'))
    try {
      const received = await uploads.write(url.searchParams.get('id') ?? '', offset, chunk)
      send(response, 200, { 'content-type': 'application/json' }, JSON.stringify({ received }))
    } catch (error) {
      if (!(error instanceof CliError)) throw error
      failed(error.code === 'UPLOAD_NOT_FOUND' ? 404 : 400, error.code, error.message, error.hint)
    }
  }

  private upgrade(
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
    options: DaemonServerOptions,
    policy: AccessPolicy,
  ): void {
    const url = new URL(request.url ?? '/', 'http://daemon')
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
    }
    const access = checkAccess(request, url, policy, true)
    if (url.pathname !== WS_PATH) reject(404, 'Not Found')
    else if (access === 'origin') reject(403, 'Forbidden')
    else if (access === 'credential') reject(401, 'Unauthorized')
    else if (options.hub.full) reject(503, 'Service Unavailable')
    else this.accept(request, socket, head, options)
  }

  private accept(request: IncomingMessage, socket: Socket, head: Buffer, options: DaemonServerOptions): void {
    this.webSockets.handleUpgrade(request, socket, head, (client: WebSocket) => {
      if (!options.hub.add(client)) return
      let inFlight = 0
      const answer = (value: unknown) => {
        if (client.readyState !== client.OPEN) return
        const text = JSON.stringify(value)
        // a client that sends requests and does not read the answers is dropped, as a slow reader of notifications
        if (client.bufferedAmount + text.length > DAEMON_LIMITS.maxQueuedBytesPerClient) client.terminate()
        else client.send(text)
      }
      client.on('message', (data, isBinary) => {
        if (isBinary) return
        if (inFlight >= DAEMON_LIMITS.maxRequestsInFlightPerClient) {
          answer({
            jsonrpc: '2.0',
            id: null,
            error: {
              code: RPC_ERRORS.methodFailed,
              message: `more than ${DAEMON_LIMITS.maxRequestsInFlightPerClient} requests in flight on this WebSocket`,
              data: { code: 'BUSY', hint: 'wait for the answers before sending more' },
            },
          })
          return
        }
        inFlight++
        void options.rpc
          .handle(data.toString())
          .then((response) => {
            if (response !== undefined) answer(response)
          })
          .finally(() => inFlight--)
      })
    })
  }
}
