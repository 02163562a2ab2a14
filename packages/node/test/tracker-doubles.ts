/**
 * Small trackers on 127.0.0.1 for the tracker client's tests: each records
 * what it is sent and answers as the test says (well, badly, or not at all).
 */
import { createSocket, type Socket } from 'node:dgram'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket as NetSocket } from 'node:net'
import {
  type AnnounceRequest,
  encodeAnnounceResponse,
  encodeCompactPeers,
  parseAnnounceQuery,
  type TrackerPeer,
} from '@mycel/wire'

/** One HTTP request a double received. */
export interface HttpTrackerRequest {
  readonly path: string
  readonly query: string
  /** The announce, when the query is one. */
  readonly announce?: AnnounceRequest
}

/** What an HTTP double does with a request. */
export type HttpHandler = (request: HttpTrackerRequest, res: ServerResponse, req: IncomingMessage) => void

/** A bencoded announce answer with these peers (IPv4 ones compact in `peers`, IPv6 ones in `peers6`). */
export function announceBody(
  peers: readonly TrackerPeer[] = [],
  fields: { interval?: number; minInterval?: number; trackerId?: Uint8Array; warning?: string } = {},
): Uint8Array {
  const v4 = peers.filter((peer) => !peer.host.includes(':'))
  const v6 = peers.filter((peer) => peer.host.includes(':'))
  return encodeAnnounceResponse({
    interval: fields.interval ?? 1800,
    ...(fields.minInterval === undefined ? {} : { minInterval: fields.minInterval }),
    peers: encodeCompactPeers(v4, 4),
    ...(v6.length > 0 ? { peers6: encodeCompactPeers(v6, 6) } : {}),
    ...(fields.trackerId === undefined ? {} : { trackerId: fields.trackerId }),
    ...(fields.warning === undefined ? {} : { warning: fields.warning }),
  })
}

/** Answers 200 with `body`. */
export function reply(res: ServerResponse, body: Uint8Array | string, status = 200): void {
  res.writeHead(status, { 'content-type': 'text/plain' })
  res.end(body)
}

/** An HTTP tracker double. */
export class HttpTrackerDouble {
  readonly requests: HttpTrackerRequest[] = []
  private readonly sockets = new Set<NetSocket>()
  private waiters: Array<() => void> = []

  private constructor(
    private readonly server: Server,
    handler: HttpHandler,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/'
      const at = url.indexOf('?')
      const query = at < 0 ? '' : url.slice(at + 1)
      let announce: AnnounceRequest | undefined
      try {
        announce = parseAnnounceQuery(query)
      } catch {
        announce = undefined
      }
      const request: HttpTrackerRequest = {
        path: at < 0 ? url : url.slice(0, at),
        query,
        ...(announce ? { announce } : {}),
      }
      this.requests.push(request)
      for (const wake of this.waiters.splice(0)) wake()
      handler(request, res, req)
    })
  }

  /** Starts a double on 127.0.0.1. */
  static async start(handler: HttpHandler): Promise<HttpTrackerDouble> {
    const server = createServer()
    const double = new HttpTrackerDouble(server, handler)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return double
  }

  /** `http://127.0.0.1:<port>`. */
  get base(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** `http://127.0.0.1:<port>/announce`. */
  get url(): string {
    return `${this.base}/announce`
  }

  /** Resolves once `count` requests have come (at once if they have). */
  async received(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  /** Stops it, cutting any connection it holds open. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** One UDP packet a double received. */
export interface UdpTrackerPacket {
  readonly bytes: Uint8Array
  readonly from: { readonly address: string; readonly port: number }
}

/** What a UDP double does with a packet: answer through `send` (from its own socket), or not. */
export type UdpHandler = (packet: UdpTrackerPacket, send: (bytes: Uint8Array) => void) => void

/** A UDP tracker double. */
export class UdpTrackerDouble {
  readonly packets: UdpTrackerPacket[] = []
  private waiters: Array<() => void> = []

  private constructor(
    private readonly socket: Socket,
    handler: UdpHandler,
  ) {
    socket.on('message', (message, remote) => {
      const packet = { bytes: new Uint8Array(message), from: { address: remote.address, port: remote.port } }
      this.packets.push(packet)
      for (const wake of this.waiters.splice(0)) wake()
      handler(packet, (bytes) => socket.send(bytes, remote.port, remote.address))
    })
  }

  /** Starts a double on 127.0.0.1. */
  static async start(handler: UdpHandler): Promise<UdpTrackerDouble> {
    const socket = createSocket('udp4')
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
    return new UdpTrackerDouble(socket, handler)
  }

  /** `udp://127.0.0.1:<port>`. */
  get url(): string {
    return `udp://127.0.0.1:${this.socket.address().port}`
  }

  /** Resolves once `count` packets have come. */
  async received(count: number): Promise<void> {
    while (this.packets.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()))
  }
}
