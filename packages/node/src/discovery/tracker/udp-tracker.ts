/**
 * UDP trackers (BEP 15) over injected datagram sockets: a connect, then
 * announces and scrapes with the connection id (kept one minute), each
 * request sent again after 15 s and 30 s, answers matched by transaction id
 * and by the address they come from (anything else is dropped), the
 * announce URL's path and query sent as BEP 41 URL data.
 * @internal
 * @module
 */

import type { DatagramSocket } from '@mycel/dht'
import {
  type AnnounceRequest,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  encodeUdpScrapeRequest,
  formatIp,
  parseIp,
  TRACKER_LIMITS,
  type UdpAnnounceResponse,
  type UdpResponse,
  type UdpScrapeResponse,
} from '@mycel/wire'
import { abortError, onAbort } from '@mycel/wire/signal'
import { NodeError } from '../../errors.js'
import { trackerFailure } from './http-tracker.js'
import { type BindUdpSocket, MAX_TRACKERS_REMEMBERED, UDP_CONNECTION_ID_MS } from './settings.js'

/** A UDP tracker, from its URL. */
export interface UdpTarget {
  /** The URL, for messages. */
  readonly url: string
  readonly host: string
  readonly port: number
  /** Path and query, sent as BEP 41 URL data ('' for none). */
  readonly pathAndQuery: string
}

/** Options of a {@link UdpTrackerClient}. */
export interface UdpTrackerOptions {
  /** First wait before a request is sent again. */
  readonly retransmitMs: number
  /** Retransmissions of one request. */
  readonly maxRetransmits: number
  /** Real time, for connection ids. */
  readonly now?: () => number
}

interface Pending {
  readonly host: string
  readonly port: number
  readonly family: 4 | 6
  readonly url: string
  readonly action: UdpResponse['action']
  resolve(response: UdpResponse): void
  reject(error: unknown): void
}

/** The announce fields a UDP request carries (the rest is the client's: ids, URL data). */
export type UdpAnnounceFields = Omit<AnnounceRequest, 'trackerId' | 'compact' | 'noPeerId' | 'ip' | 'key'> & {
  readonly key: Uint8Array
}

/** The UDP side of a tracker client: one socket per address family, shared by every UDP tracker. */
export class UdpTrackerClient {
  private readonly sockets = new Map<4 | 6, Promise<DatagramSocket>>()
  private readonly pending = new Map<number, Pending>()
  /** Connection ids by `host:port`, with when they were given. */
  private readonly connections = new Map<string, { id: Uint8Array; at: number }>()
  private readonly now: () => number
  private closed = false
  /** Datagrams dropped: from another address, for no request, of the wrong action. */
  dropped = 0

  /**
   * @param bind - binds a socket of a family
   * @param options - retransmission timing
   */
  constructor(
    private readonly bind: BindUdpSocket,
    private readonly options: UdpTrackerOptions,
  ) {
    this.now = options.now ?? Date.now
  }

  /**
   * Announces to a UDP tracker.
   * @throws `NodeError` `TRACKER_FAILURE` (its error packet), `TRACKER_UNREACHABLE`, `TRACKER_TIMEOUT`,
   *   `TRACKER_INVALID_RESPONSE`, `TRACKER_UNSUPPORTED`, `ABORTED`, `CLOSED`
   */
  async announce(target: UdpTarget, fields: UdpAnnounceFields, signal?: AbortSignal): Promise<UdpAnnounceResponse> {
    const response = await this.withConnection(target, signal, (connectionId, transactionId) =>
      encodeUdpAnnounceRequest({
        ...fields,
        connectionId,
        transactionId,
        ...(target.pathAndQuery === '' ? {} : { urlData: target.pathAndQuery }),
      }),
    )
    return response as UdpAnnounceResponse
  }

  /**
   * Scrapes a UDP tracker (20-byte infohashes, at most 74).
   * @throws as {@link UdpTrackerClient.announce}
   */
  async scrape(target: UdpTarget, infohashes: readonly Uint8Array[], signal?: AbortSignal): Promise<UdpScrapeResponse> {
    const response = await this.withConnection(
      target,
      signal,
      (connectionId, transactionId) => encodeUdpScrapeRequest({ connectionId, transactionId, infohashes }),
      'scrape',
    )
    if ((response as UdpScrapeResponse).files.length < infohashes.length) {
      throw new NodeError('TRACKER_INVALID_RESPONSE', `${target.url} answered a scrape with too few counts`)
    }
    return response as UdpScrapeResponse
  }

  /** Ends every request in flight (`CLOSED`) and closes the sockets. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const closed = NodeError.closed('the UDP tracker client')
    for (const pending of [...this.pending.values()]) pending.reject(closed)
    this.pending.clear()
    const sockets = [...this.sockets.values()]
    this.sockets.clear()
    await Promise.allSettled(sockets.map(async (socket) => (await socket).close()))
  }

  /** A request with the tracker's connection id: connects first when there is none of the last minute. */
  private async withConnection(
    target: UdpTarget,
    signal: AbortSignal | undefined,
    packet: (connectionId: Uint8Array, transactionId: number) => Uint8Array,
    action: 'announce' | 'scrape' = 'announce',
  ): Promise<UdpResponse> {
    const to = await this.address(target, signal)
    const key = `${to.host}:${to.port}`
    for (let attempt = 0; ; attempt++) {
      const cached = this.connections.get(key)
      const fresh = cached !== undefined && this.now() - cached.at < UDP_CONNECTION_ID_MS
      const connectionId = fresh ? cached.id : await this.connect(target, to, key, signal)
      try {
        return await this.exchange(target, to, action, (id) => packet(connectionId, id), signal)
      } catch (error) {
        // A refused id may have expired at the tracker before here: connect again, once.
        if (!fresh || attempt > 0 || !(error instanceof NodeError) || error.code !== 'TRACKER_FAILURE') throw error
        this.connections.delete(key)
      }
    }
  }

  private async connect(
    target: UdpTarget,
    to: { host: string; port: number; family: 4 | 6 },
    key: string,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    const response = await this.exchange(target, to, 'connect', encodeUdpConnectRequest, signal)
    if (response.action !== 'connect') throw new NodeError('TRACKER_INVALID_RESPONSE', `${target.url}: not a connect`)
    this.connections.delete(key)
    this.connections.set(key, { id: response.connectionId, at: this.now() })
    if (this.connections.size > MAX_TRACKERS_REMEMBERED) {
      this.connections.delete(this.connections.keys().next().value as string)
    }
    return response.connectionId
  }

  /** The tracker's IP address: its literal, or what the socket's resolver gives (IPv4 first). */
  private async address(
    target: UdpTarget,
    signal: AbortSignal | undefined,
  ): Promise<{ host: string; port: number; family: 4 | 6 }> {
    this.assertOpen()
    const literal = parseIp(target.host)
    if (literal !== undefined) {
      return { host: formatIp(literal), port: target.port, family: literal.length === 4 ? 4 : 6 }
    }
    let failure: unknown
    for (const family of [4, 6] as const) {
      try {
        const socket = await this.socket(family)
        if (socket.resolve === undefined) {
          throw new NodeError('TRACKER_UNSUPPORTED', `${target.url}: the UDP socket resolves no host names`)
        }
        const [host] = await socket.resolve(target.host, signal === undefined ? {} : { signal })
        if (host !== undefined) return { host, port: target.port, family }
      } catch (error) {
        if (signal?.aborted) throw abortError(signal, NodeError)
        if (error instanceof NodeError) throw error
        failure ??= error
      }
    }
    throw new NodeError('TRACKER_UNREACHABLE', `${target.url}: ${target.host} has no address`, { cause: failure })
  }

  private socket(family: 4 | 6): Promise<DatagramSocket> {
    this.assertOpen()
    let socket = this.sockets.get(family)
    if (socket === undefined) {
      socket = this.bind(family === 4 ? 'udp4' : 'udp6').then((bound) => {
        if (this.closed) {
          void bound.close()
          throw NodeError.closed('the UDP tracker client')
        }
        bound.onDatagram((datagram, from) => this.receive(family, datagram, from))
        return bound
      })
      // A socket that could not be bound is tried again next time.
      socket.catch(() => this.sockets.delete(family))
      this.sockets.set(family, socket)
    }
    return socket.catch((error) => {
      if (error instanceof NodeError) throw error
      throw new NodeError('TRACKER_UNREACHABLE', `no UDP socket: ${error instanceof Error ? error.message : error}`, {
        cause: error,
      })
    })
  }

  /**
   * One request and its answer: sent, then sent again after the
   * retransmission wait (doubling), and given up after the last.
   */
  private async exchange(
    target: UdpTarget,
    to: { host: string; port: number; family: 4 | 6 },
    action: UdpResponse['action'],
    packet: (transactionId: number) => Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<UdpResponse> {
    const socket = await this.socket(to.family)
    const transactionId = this.transactionId()
    const bytes = packet(transactionId)
    const { retransmitMs, maxRetransmits } = this.options
    return new Promise<UdpResponse>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      let sent = 0
      const finish = (): void => {
        clearTimeout(timer)
        unlisten()
        this.pending.delete(transactionId)
      }
      const send = (): void => {
        if (sent > maxRetransmits) {
          finish()
          const waited = retransmitMs * (2 ** sent - 1)
          reject(new NodeError('TRACKER_TIMEOUT', `${target.url} did not answer within ${waited} ms`))
          return
        }
        socket.send(bytes, to)
        timer = setTimeout(send, retransmitMs * 2 ** sent++)
        ;(timer as { unref?: () => void }).unref?.()
      }
      const unlisten = onAbort(signal, () => {
        finish()
        reject(abortError(signal as AbortSignal, NodeError))
      })
      if (signal?.aborted) return
      this.pending.set(transactionId, {
        host: to.host,
        port: to.port,
        family: to.family,
        url: target.url,
        action,
        resolve: (response) => {
          finish()
          resolve(response)
        },
        reject: (error) => {
          finish()
          reject(error)
        },
      })
      send()
    })
  }

  /** A datagram: the answer to a request in flight from that address, or dropped. */
  private receive(family: 4 | 6, datagram: Uint8Array, from: { host: string; port: number }): void {
    if (datagram.length < 8) {
      this.dropped++
      return
    }
    const transactionId = new DataView(datagram.buffer, datagram.byteOffset, 8).getUint32(4)
    const pending = this.pending.get(transactionId)
    if (
      pending === undefined ||
      pending.family !== family ||
      pending.host !== from.host ||
      pending.port !== from.port
    ) {
      this.dropped++ // late, spoofed, or for nobody
      return
    }
    let response: UdpResponse
    try {
      response = decodeUdpResponse(datagram, { family, maxPeers: TRACKER_LIMITS.maxPeers })
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      pending.reject(
        new NodeError('TRACKER_INVALID_RESPONSE', `${pending.url} answered a malformed packet: ${why}`, {
          cause: error,
        }),
      )
      return
    }
    if (response.action === 'error') {
      pending.reject(trackerFailure(pending.url, { reason: response.message }))
    } else if (response.action !== pending.action) {
      pending.reject(
        new NodeError(
          'TRACKER_INVALID_RESPONSE',
          `${pending.url} answered a ${pending.action} with a ${response.action}`,
        ),
      )
    } else {
      pending.resolve(response)
    }
  }

  private transactionId(): number {
    const random = new Uint32Array(1)
    do crypto.getRandomValues(random)
    while (this.pending.has(random[0] as number))
    return random[0] as number
  }

  private assertOpen(): void {
    if (this.closed) throw NodeError.closed('the UDP tracker client')
  }
}
