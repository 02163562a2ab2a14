/**
 * Tracker clients for tests, made of the `@mycel/wire` codec (the same the
 * node's tracker client uses) over real sockets.
 */
import { randomBytes } from 'node:crypto'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { connect } from 'node:net'
import {
  type AnnounceReply,
  type AnnounceRequest,
  decodeAnnounceResponse,
  decodeScrapeResponse,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  encodeUdpScrapeRequest,
  formatAnnounceQuery,
  formatScrapeQuery,
  type ScrapeReply,
  type TrackerFailure,
  type UdpAnnounceRequest,
  type UdpResponse,
} from '@mycel/wire'

/** A random 20-byte id. */
export function id20(): Uint8Array {
  return new Uint8Array(randomBytes(20))
}

/** An announce with defaults: a leecher on port 6881. */
export function announceOf(infohash: Uint8Array, fields: Partial<AnnounceRequest> = {}): AnnounceRequest {
  return { infohash, peerId: id20(), port: 6881, uploaded: 0, downloaded: 0, left: 1000, ...fields }
}

/** GETs a path and returns status and body. */
export async function get(base: string, path: string): Promise<{ status: number; body: Uint8Array; type: string }> {
  const response = await fetch(`${base}${path}`)
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: new Uint8Array(await response.arrayBuffer()),
  }
}

/** An HTTP announce. */
export async function httpAnnounce(
  base: string,
  request: AnnounceRequest,
  path = '/announce',
): Promise<AnnounceReply | TrackerFailure> {
  const { body } = await get(base, `${path}?${formatAnnounceQuery(request)}`)
  return decodeAnnounceResponse(body)
}

/** An HTTP announce that must succeed. */
export async function httpAnnounceOk(base: string, request: AnnounceRequest, path?: string): Promise<AnnounceReply> {
  const reply = await httpAnnounce(base, request, path)
  if (reply.kind !== 'announce') throw new Error(`announce refused: ${reply.reason}`)
  return reply
}

/** An HTTP scrape. */
export async function httpScrape(base: string, infohashes: Uint8Array[]): Promise<ScrapeReply | TrackerFailure> {
  const { body } = await get(base, `/scrape?${formatScrapeQuery(infohashes)}`)
  return decodeScrapeResponse(body)
}

/**
 * Sends raw bytes on a new TCP connection and reads until the server closes
 * it (`closed`) or `timeoutMs` passes.
 */
export function rawHttp(
  port: number,
  chunks: Array<string | Uint8Array>,
  options: { timeoutMs?: number; gapMs?: number } = {},
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const received: Buffer[] = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      socket.destroy()
    }, options.timeoutMs ?? 5000)
    socket.on('data', (chunk) => received.push(chunk))
    // The server may reset a connection it refuses; that is a close too.
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ text: Buffer.concat(received).toString('latin1'), closed: !timedOut })
    })
    socket.on('connect', async () => {
      try {
        for (const chunk of chunks) {
          if (socket.destroyed) break
          socket.write(chunk)
          if (options.gapMs !== undefined) await new Promise((r) => setTimeout(r, options.gapMs))
        }
      } catch (err) {
        reject(err)
      }
    })
  })
}

/** A UDP tracker client over one socket, one request at a time. */
export class UdpClient {
  private readonly socket: UdpSocket
  private waiting: ((packet: Buffer) => void) | undefined
  connectionId: Uint8Array | undefined

  constructor(
    private readonly host: string,
    private readonly port: number,
    readonly family: 4 | 6 = 4,
  ) {
    this.socket = createSocket(family === 4 ? 'udp4' : 'udp6')
    this.socket.on('message', (packet) => this.waiting?.(packet))
  }

  /** Sends bytes and waits for one packet back, or `undefined` after `timeoutMs`. */
  exchange(packet: Uint8Array, timeoutMs = 2000): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined
        resolve(undefined)
      }, timeoutMs)
      this.waiting = (answer) => {
        clearTimeout(timer)
        this.waiting = undefined
        resolve(answer)
      }
      this.socket.send(packet, this.port, this.host)
    })
  }

  /** Sends a request and decodes the answer. */
  async request(packet: Uint8Array, timeoutMs?: number): Promise<UdpResponse | undefined> {
    const answer = await this.exchange(packet, timeoutMs)
    return answer === undefined ? undefined : decodeUdpResponse(answer, { family: this.family })
  }

  async connect(): Promise<Uint8Array> {
    const transactionId = randomBytes(4).readUInt32BE()
    const response = await this.request(encodeUdpConnectRequest(transactionId))
    if (response?.action !== 'connect' || response.transactionId !== transactionId) {
      throw new Error(`no connect response: ${JSON.stringify(response)}`)
    }
    this.connectionId = response.connectionId
    return response.connectionId
  }

  async announce(request: AnnounceRequest, extra: Partial<UdpAnnounceRequest> = {}): Promise<UdpResponse | undefined> {
    const connectionId = this.connectionId ?? (await this.connect())
    const { compact: _compact, noPeerId: _noPeerId, trackerId: _trackerId, ...rest } = request
    return this.request(
      encodeUdpAnnounceRequest({
        ...rest,
        key: rest.key?.length === 4 ? rest.key : new Uint8Array(4),
        connectionId,
        transactionId: randomBytes(4).readUInt32BE(),
        ...extra,
      }),
    )
  }

  async scrape(infohashes: Uint8Array[]): Promise<UdpResponse | undefined> {
    const connectionId = this.connectionId ?? (await this.connect())
    return this.request(
      encodeUdpScrapeRequest({ connectionId, transactionId: randomBytes(4).readUInt32BE(), infohashes }),
    )
  }

  close(): void {
    this.socket.close()
  }
}

/** The base URL of an HTTP tracker on 127.0.0.1. */
export function baseOf(address: { port: number }): string {
  return `http://127.0.0.1:${address.port}`
}
