/**
 * The HTTP tracker: announce, scrape, `/stats` and a status page, on its
 * own small HTTP/1.1 server over `node:net` (tracker requests are one `GET`
 * line and a few headers; `node:http`'s general machinery costs most of a
 * request's time, see docs/decisions.md). Keep-alive and pipelining are
 * served in order; a head over 8 KiB, a head that takes more than 10 s, a
 * body, a method other than GET are refused and the connection closed.
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net'
import {
  encodeAnnounceResponse,
  encodeScrapeResponse,
  encodeTrackerFailure,
  parseAnnounceQuery,
  parseScrapeQuery,
  WireError,
} from '@mycel/wire'
import { forwardedAddress, OpenPerAddress, type PeerAddress, peerAddress } from '../address.js'
import { type AccessDecision, whenDecided } from '../core/access.js'
import { peerListOf } from '../core/onion-peers.js'
import type { RateLimiter } from '../core/rate-limit.js'
import { FAILURE, type TrackerCore } from '../core/tracker-core.js'
import { TrackerError } from '../errors.js'
import type { Logger } from '../log.js'
import { routeOf } from '../paths.js'
import { parseRequestHead, type RequestHead, responseHead } from './message.js'

/** Bounds and timeouts of the HTTP server; `docs/limits.md` gives the defaults. */
export interface HttpServerOptions {
  /** Largest request head, in bytes. */
  readonly maxHeadBytes: number
  /** Milliseconds a request head may take to arrive, from its first byte. */
  readonly headTimeoutMs: number
  /** Milliseconds an idle kept-alive connection stays open. */
  readonly idleTimeoutMs: number
  /** Most open connections in all. */
  readonly maxConnections: number
  /** Most open connections from one address. */
  readonly maxConnectionsPerAddress: number
  /** Take the client's address from the last `X-Forwarded-For` entry (behind a reverse proxy only). */
  readonly trustProxy: boolean
}

/** What `/stats` and the status page show, made when asked. */
export interface StatusSource {
  /** The JSON of `/stats`. */
  stats(): unknown
  /** The status page. */
  page(): string
}

/** Where an HTTP tracker listens. */
export interface HttpAddress {
  readonly host: string
  readonly port: number
}

/** One answer: status, type and body; whether the connection may stay open. */
interface Answer {
  readonly status: number
  readonly type: string
  readonly body: Uint8Array
  /** False to close the connection after it whatever the client asked. */
  readonly close?: boolean
}

const BENCODE = 'text/plain'
const HEAD_END = Buffer.from('\r\n\r\n')
/** Stop reading a connection while this much of its answers wait to be sent. */
const WRITE_BACKLOG = 256 * 1024

function failure(reason: string): Answer {
  return { status: 200, type: BENCODE, body: encodeTrackerFailure(reason) }
}

/** The HTTP tracker server. */
export class HttpTrackerServer {
  private server: Server | undefined
  private readonly connections = new Set<Socket>()
  private readonly perAddress: OpenPerAddress
  private closing: Promise<void> | undefined

  /**
   * @param core - the tracker's logic
   * @param limiter - the per-address request budgets, or none
   * @param status - what `/stats` and `/` show
   * @param options - bounds and timeouts
   * @param log - where refusals are reported (`debug`)
   */
  constructor(
    private readonly core: TrackerCore,
    private readonly limiter: RateLimiter | undefined,
    private readonly status: StatusSource,
    readonly options: HttpServerOptions,
    private readonly log: Logger,
  ) {
    this.perAddress = new OpenPerAddress(options.maxConnectionsPerAddress)
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.connections.size
  }

  /**
   * Starts listening. `::` is dual-stack.
   *
   * @param host - the address to bind
   * @param port - the port (0 for a free one)
   * @returns where it listens
   * @throws {@link TrackerError} `LISTEN_FAILED`
   */
  listen(host: string, port: number): Promise<HttpAddress> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket))
    server.maxConnections = this.options.maxConnections
    this.server = server
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        this.server = undefined
        reject(new TrackerError('LISTEN_FAILED', `HTTP ${host}:${port}: ${err.message}`, { cause: err }))
      }
      server.once('error', fail)
      server.listen({ host, port, ipv6Only: false }, () => {
        server.off('error', fail)
        server.on('error', (err) => this.log('warn', `HTTP server: ${err.message}`))
        const bound = server.address()
        if (bound === null || typeof bound === 'string') return fail(new Error('no address'))
        resolve({ host: bound.address, port: bound.port })
      })
    })
  }

  private accept(socket: Socket): void {
    const from = peerAddress(socket.remoteAddress ?? '')
    if (from === undefined || this.closing !== undefined) {
      socket.destroy()
      return
    }
    // Behind a proxy every connection comes from it: the limit applies per request there (rate limits).
    if (!this.options.trustProxy && !this.perAddress.open(from.limitKey)) {
      this.log('debug', `HTTP ${from.text}: over ${this.options.maxConnectionsPerAddress} connections, closed`)
      socket.destroy()
      return
    }
    this.connections.add(socket)
    socket.on('close', () => {
      this.connections.delete(socket)
      if (!this.options.trustProxy) this.perAddress.closed(from.limitKey)
    })
    new HttpConnection(socket, from, this)
  }

  /** @internal The answer to one request (a promise when an authorizer answers later). */
  answer(head: RequestHead, socketAddress: PeerAddress): Answer | Promise<Answer> | undefined {
    const from = this.options.trustProxy ? (forwardedAddress(head.forwardedFor) ?? socketAddress) : socketAddress
    const queryAt = head.target.indexOf('?')
    const path = queryAt < 0 ? head.target : head.target.slice(0, queryAt)
    const query = queryAt < 0 ? '' : head.target.slice(queryAt + 1)
    const route = routeOf(path)
    if (route === undefined) return { status: 404, type: BENCODE, body: encodeTrackerFailure('not found') }
    const verdict = this.limiter?.take(from.limitKey) ?? 'serve'
    if (verdict !== 'serve') {
      this.core.stats.count('rate_limited')
      // Beyond the refusals an address is sent each second, its connection is closed unanswered.
      return verdict === 'drop' ? undefined : { ...failure(FAILURE.rateLimited), close: true }
    }
    if (route.action === 'stats') {
      return { status: 200, type: 'application/json', body: Buffer.from(JSON.stringify(this.status.stats())) }
    }
    if (route.action === 'status') {
      return { status: 200, type: 'text/html; charset=utf-8', body: Buffer.from(this.status.page()) }
    }
    const passkey = 'passkey' in route ? route.passkey : undefined
    try {
      return route.action === 'announce' ? this.announce(query, from, passkey) : this.scrape(query, from, passkey)
    } catch (err) {
      if (!(err instanceof WireError)) throw err
      this.core.stats.count('malformed')
      this.log('debug', `HTTP ${from.text}: ${err.message}`)
      return failure(`malformed request: ${err.message}`)
    }
  }

  private announce(query: string, from: PeerAddress, passkey: string | undefined): Answer | Promise<Answer> {
    const request = parseAnnounceQuery(query)
    const decision = this.core.admit({
      kind: 'announce',
      transport: 'http',
      address: from,
      ...(passkey !== undefined ? { passkey } : {}),
      infohashes: [request.infohash],
      announce: request,
    })
    return decided(decision, (allowed) => {
      const stats = this.core.stats
      if (!allowed.allowed) {
        stats.count('refused')
        this.log('debug', `HTTP announce from ${from.text} refused: ${allowed.reason}`)
        return failure(allowed.reason)
      }
      const result = this.core.announce({ request, from })
      if (!result.ok) {
        stats.count('refused')
        return failure(result.reason)
      }
      stats.count('announces_http')
      const settings = this.core.settings
      return {
        status: 200,
        type: BENCODE,
        body: encodeAnnounceResponse({
          interval: settings.interval,
          minInterval: settings.minInterval,
          complete: result.complete,
          incomplete: result.incomplete,
          downloaded: result.downloaded,
          peers: Buffer.from(result.peers4, 'latin1'),
          peers6: Buffer.from(result.peers6, 'latin1'),
          // A client that asked for no compact list gets dictionaries: the only form that holds onion peers.
          ...(request.compact === false ? { peerList: peerListOf(result) } : {}),
          externalIp: from.ip,
        }),
      }
    })
  }

  private scrape(query: string, from: PeerAddress, passkey: string | undefined): Answer | Promise<Answer> {
    const infohashes = parseScrapeQuery(query)
    if (infohashes.length === 0) return failure(FAILURE.fullScrape)
    const decision = this.core.admit({
      kind: 'scrape',
      transport: 'http',
      address: from,
      ...(passkey !== undefined ? { passkey } : {}),
      infohashes,
    })
    return decided(decision, (allowed) => {
      if (!allowed.allowed) {
        this.core.stats.count('refused')
        return failure(allowed.reason)
      }
      this.core.stats.count('scrapes_http')
      const counts = this.core.scrape(infohashes)
      // BEP 48: swarms the tracker does not hold are left out.
      const files = infohashes
        .map((infohash, i) => ({ infohash, ...(counts[i] as (typeof counts)[number]) }))
        .filter((file) => file.complete + file.incomplete + file.downloaded > 0)
      return {
        status: 200,
        type: BENCODE,
        body: encodeScrapeResponse(files, { minRequestInterval: this.core.settings.minInterval }),
      }
    })
  }

  /** @internal Reports a failure that is a bug of the tracker, not the client's doing. */
  reportError(err: unknown): void {
    this.log('error', `HTTP request: ${(err as Error).stack ?? String(err)}`)
  }

  /**
   * Stops listening and closes every connection. Idempotent.
   *
   * @returns when the server is closed
   */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      for (const socket of this.connections) socket.destroy()
      if (this.server === undefined) return resolve()
      this.server.close(() => resolve())
    })
    return this.closing
  }
}

/** The answer made from a decision now, or a promise of it when the decision comes later. */
function decided(
  decision: AccessDecision | Promise<AccessDecision>,
  make: (d: AccessDecision) => Answer,
): Answer | Promise<Answer> {
  if (!(decision instanceof Promise)) return make(decision)
  return new Promise((resolve, reject) =>
    whenDecided(
      decision,
      (d) => resolve(make(d)),
      (err) => reject(err),
    ),
  )
}

/** One client connection: reads heads, answers them in order. */
class HttpConnection {
  private pending: Buffer | undefined
  /** When the head being read started to arrive (ms), if one is partly read. */
  private headStarted: number | undefined
  /** Whether an answer is being made (an authorizer answering later): requests after it wait. */
  private busy = false

  constructor(
    private readonly socket: Socket,
    private readonly from: PeerAddress,
    private readonly server: HttpTrackerServer,
  ) {
    socket.setTimeout(server.options.idleTimeoutMs)
    socket.on('timeout', () => socket.destroy())
    socket.on('error', () => socket.destroy())
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('drain', () => {
      if (this.socket.isPaused()) {
        this.socket.resume()
        this.process()
      }
    })
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
    this.process()
  }

  /** Answers every complete head in the buffer, in order. */
  private process(): void {
    const options = this.server.options
    while (!this.busy && this.pending !== undefined && !this.socket.destroyed && !this.socket.isPaused()) {
      const end = this.pending.indexOf(HEAD_END)
      if (end < 0) {
        this.headStarted ??= Date.now()
        if (this.pending.length > options.maxHeadBytes) this.refuse(431, 'request head too large')
        else if (Date.now() - this.headStarted > options.headTimeoutMs) this.refuse(400, 'request head too slow')
        return
      }
      if (end > options.maxHeadBytes) {
        this.refuse(431, 'request head too large')
        return
      }
      const head = parseRequestHead(this.pending.toString('latin1', 0, end))
      this.pending = end + 4 < this.pending.length ? this.pending.subarray(end + 4) : undefined
      this.headStarted = undefined
      if ('status' in head) {
        this.refuse(head.status, head.reason)
        return
      }
      let answer: Answer | Promise<Answer> | undefined
      try {
        answer = this.server.answer(head, this.from)
      } catch (err) {
        this.serverError(err)
        return
      }
      if (answer === undefined) {
        this.socket.destroy()
        return
      }
      if (answer instanceof Promise) {
        this.busy = true
        answer.then(
          (made) => {
            this.busy = false
            this.write(made, head.keepAlive)
            this.process()
          },
          (err: unknown) => this.serverError(err),
        )
        return
      }
      this.write(answer, head.keepAlive)
    }
  }

  private write(answer: Answer, keepAlive: boolean): void {
    if (this.socket.destroyed) return
    const open = keepAlive && answer.close !== true
    const socket = this.socket
    // One buffer, one write: cheaper than a corked head and body (a writev).
    const head = responseHead(answer.status, answer.type, answer.body.length, open)
    const out = Buffer.allocUnsafe(head.length + answer.body.length)
    out.write(head, 0, 'latin1')
    out.set(answer.body, head.length)
    socket.write(out)
    if (!open) {
      this.pending = undefined
      socket.end()
    } else if (socket.writableLength > WRITE_BACKLOG) {
      socket.pause()
    }
  }

  private refuse(status: number, reason: string): void {
    this.pending = undefined
    const body = Buffer.from(`${reason}\n`)
    this.socket.end(`${responseHead(status, 'text/plain', body.length, false)}${body.toString('latin1')}`, 'latin1')
  }

  private serverError(err: unknown): void {
    // A bug, not the client's doing: this connection is closed, the tracker goes on.
    this.server.reportError(err)
    this.socket.destroy()
  }
}
