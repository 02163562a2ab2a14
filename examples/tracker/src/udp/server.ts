/**
 * The UDP tracker (BEP 15) on one socket: connect, announce and scrape, an
 * error packet for what it refuses, nothing at all for a flood beyond the
 * refusals it sends. Answers to a request over IPv4 carry IPv4 peers (6
 * bytes each), over IPv6 IPv6 peers (18 bytes each).
 * @module
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import {
  decodeUdpRequest,
  encodeUdpAnnounceResponse,
  encodeUdpConnectResponse,
  encodeUdpError,
  encodeUdpScrapeResponse,
  type UdpAnnounceRequest,
  type UdpScrapeRequest,
  udpTransactionId,
  WireError,
} from '@mycel/wire'
import { type PeerAddress, peerAddress } from '../address.js'
import { whenDecided } from '../core/access.js'
import type { RateLimiter } from '../core/rate-limit.js'
import { FAILURE, type TrackerCore } from '../core/tracker-core.js'
import { TrackerError } from '../errors.js'
import type { Logger } from '../log.js'
import { routeOf } from '../paths.js'
import type { ConnectionIds } from './connection-id.js'

/** The error text for an announce or scrape whose connection id is not (or no longer) valid. */
export const BAD_CONNECTION_ID = 'connection id expired or invalid, connect again'

/** Where a UDP tracker listens. */
export interface UdpAddress {
  readonly host: string
  readonly port: number
}

/** One UDP socket serving the tracker. */
export class UdpTrackerServer {
  private socket: Socket | undefined
  private closing: Promise<void> | undefined

  /**
   * @param core - the tracker's logic
   * @param ids - the connection id signer
   * @param limiter - the per-address budgets, or none
   * @param log - where refusals are reported (`debug`)
   */
  constructor(
    private readonly core: TrackerCore,
    private readonly ids: ConnectionIds,
    private readonly limiter: RateLimiter | undefined,
    private readonly log: Logger,
  ) {}

  /**
   * Binds the socket. `::` is dual-stack (IPv4 clients arrive as IPv4-mapped
   * addresses and are answered as IPv4).
   *
   * @param host - the address to bind
   * @param port - the port (0 for a free one)
   * @returns where it listens
   * @throws {@link TrackerError} `LISTEN_FAILED`
   */
  listen(host: string, port: number): Promise<UdpAddress> {
    const socket = host.includes(':')
      ? createSocket({ type: 'udp6', ipv6Only: host !== '::' })
      : createSocket({ type: 'udp4' })
    this.socket = socket
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        this.socket = undefined
        socket.close()
        reject(new TrackerError('LISTEN_FAILED', `UDP ${host}:${port}: ${err.message}`, { cause: err }))
      }
      socket.once('error', fail)
      socket.bind(port, host, () => {
        socket.off('error', fail)
        socket.on('error', (err) => this.log('warn', `UDP socket: ${err.message}`))
        socket.on('message', (message, remote) => {
          try {
            this.receive(message, remote)
          } catch (err) {
            // A bug, not the client's doing: one packet lost, the tracker goes on.
            this.log('error', `UDP request from ${remote.address}: ${(err as Error).stack ?? String(err)}`)
          }
        })
        const bound = socket.address()
        resolve({ host: bound.address, port: bound.port })
      })
    })
  }

  private readonly onLateError = (err: unknown) =>
    this.log('error', `UDP request: ${(err as Error).stack ?? String(err)}`)

  private send(packet: Uint8Array, remote: RemoteInfo): void {
    this.socket?.send(packet, remote.port, remote.address, (err) => {
      if (err) this.log('debug', `UDP send to ${remote.address}: ${err.message}`)
    })
  }

  private refuse(transactionId: number, reason: string, remote: RemoteInfo): void {
    this.send(encodeUdpError({ transactionId, message: reason }), remote)
  }

  private receive(message: Buffer, remote: RemoteInfo): void {
    const from = peerAddress(remote.address)
    if (from === undefined) return
    const verdict = this.limiter?.take(from.limitKey) ?? 'serve'
    const stats = this.core.stats
    if (verdict === 'drop') {
      stats.count('rate_limited')
      return
    }
    let request: ReturnType<typeof decodeUdpRequest>
    try {
      request = decodeUdpRequest(message)
    } catch (err) {
      if (!(err instanceof WireError)) throw err
      stats.count('malformed')
      this.log('debug', `UDP ${from.text}: ${err.message}`)
      const transactionId = udpTransactionId(message)
      if (transactionId !== undefined) this.refuse(transactionId, `malformed request: ${err.message}`, remote)
      return
    }
    if (verdict === 'refuse') {
      stats.count('rate_limited')
      this.refuse(request.transactionId, FAILURE.rateLimited, remote)
      return
    }
    if (request.action === 'connect') {
      stats.count('connects_udp')
      this.send(
        encodeUdpConnectResponse({ transactionId: request.transactionId, connectionId: this.ids.issue(from) }),
        remote,
      )
      return
    }
    if (!this.ids.check(request.connectionId, from)) {
      stats.count('refused')
      this.log('debug', `UDP ${from.text}: bad connection id`)
      this.refuse(request.transactionId, BAD_CONNECTION_ID, remote)
      return
    }
    if (request.action === 'announce') this.announce(request, from, remote)
    else this.scrape(request, from, remote)
  }

  private announce(request: UdpAnnounceRequest, from: PeerAddress, remote: RemoteInfo): void {
    const route = request.urlData === undefined ? undefined : routeOf(request.urlData.split('?')[0] as string)
    const passkey = route !== undefined && 'passkey' in route ? route.passkey : undefined
    const decision = this.core.admit({
      kind: 'announce',
      transport: 'udp',
      address: from,
      ...(passkey !== undefined ? { passkey } : {}),
      infohashes: [request.infohash],
      announce: request,
    })
    whenDecided(
      decision,
      (decided) => {
        const stats = this.core.stats
        if (!decided.allowed) {
          stats.count('refused')
          this.log('debug', `UDP announce from ${from.text} refused: ${decided.reason}`)
          this.refuse(request.transactionId, decided.reason, remote)
          return
        }
        const result = this.core.announce({ request, from, family: from.family })
        if (!result.ok) {
          stats.count('refused')
          this.refuse(request.transactionId, result.reason, remote)
          return
        }
        stats.count('announces_udp')
        this.send(
          encodeUdpAnnounceResponse({
            transactionId: request.transactionId,
            interval: this.core.settings.interval,
            leechers: result.incomplete,
            seeders: result.complete,
            peers: Buffer.from(from.family === 4 ? result.peers4 : result.peers6, 'latin1'),
          }),
          remote,
        )
      },
      this.onLateError,
    )
  }

  private scrape(request: UdpScrapeRequest, from: PeerAddress, remote: RemoteInfo): void {
    const decision = this.core.admit({
      kind: 'scrape',
      transport: 'udp',
      address: from,
      infohashes: request.infohashes,
    })
    whenDecided(
      decision,
      (decided) => {
        if (!decided.allowed) {
          this.core.stats.count('refused')
          this.refuse(request.transactionId, decided.reason, remote)
          return
        }
        this.core.stats.count('scrapes_udp')
        const files = this.core.scrape(request.infohashes)
        this.send(encodeUdpScrapeResponse({ transactionId: request.transactionId, files }), remote)
      },
      this.onLateError,
    )
  }

  /** Closes the socket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      const socket = this.socket
      if (socket === undefined) return resolve()
      socket.close(() => resolve())
    })
    return this.closing
  }
}
