/**
 * The node's client of WebSocket (WebTorrent-style) trackers: one socket
 * per tracker URL, shared by every share announced to it. An announce
 * carries a few WebRTC offers addressed to nobody; the tracker hands each
 * to another peer of the swarm, whose answer comes back through it. Offers
 * the tracker passes on from other peers are answered, and those
 * connections arrive on the WebRTC listener like any inbound connection.
 * @module
 */

import { componentLogger, type Logger } from '@mycel/wire/log'
import { NodeError } from '../../errors.js'
import { binaryString, WS_ID_CHARS } from './messages.js'
import { MAX_WS_TRACKER_SOCKETS, WsTrackerSocket } from './tracker-socket.js'

export {
  MAX_ANSWERED_WAITING,
  MAX_ANSWERING_PER_SOCKET,
  MAX_PENDING_OFFERS_PER_SHARE,
  MAX_WS_TRACKER_SOCKETS,
  WS_OFFER_TTL_MS,
  WS_OFFERS_PER_ANNOUNCE,
  WS_RECONNECT_MAX_MS,
  WS_RECONNECT_MIN_MS,
  WS_TRACKER_TIMEOUT_MS,
  WsTrackerSocket,
} from './tracker-socket.js'

/** The parts of a WebSocket (the browser's, or the `ws` package's) the client uses. */
export interface TrackerWebSocket {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void
}

/** Opens a WebSocket to a tracker URL (`ws:` or `wss:`); in Node it may first load the WebSocket library. */
export type OpenTrackerSocket = (url: string) => TrackerWebSocket | Promise<TrackerWebSocket>

/** What the client needs of the WebRTC transport (`WebRtcTransport` of `@mycel/transport/webrtc`). */
export interface UnaddressedRtc {
  createOffer(options?: { signal?: AbortSignal }): Promise<{ id: string; sdp: string }>
  acceptAnswer(id: string, answerSdp: string): Promise<string>
  cancelOffer(id: string): void
  answerOffer(offerSdp: string): Promise<string>
}

/** Options of a {@link WsTrackerClient}. */
export interface WsTrackerClientOptions {
  readonly rtc: UnaddressedRtc
  readonly openSocket: OpenTrackerSocket
  readonly logger?: Logger | undefined
}

/**
 * The WebSocket trackers of a node: one socket per tracker URL, and the
 * peer id the node is known by at them, random for this run (never the
 * node's identity: trackers and the peers they talk to learn nothing
 * lasting about the node from it).
 * @internal
 */
export class WsTrackerClient {
  /** Our peer id at WebSocket trackers: 20 random bytes as a binary string, new each run. */
  readonly peerId: string
  readonly rtc: UnaddressedRtc
  readonly openSocket: OpenTrackerSocket
  readonly log
  private readonly sockets = new Map<string, WsTrackerSocket>()

  constructor(options: WsTrackerClientOptions) {
    this.rtc = options.rtc
    this.openSocket = options.openSocket
    this.log = componentLogger(options.logger, 'mycel:tracker')
    this.peerId = binaryString(globalThis.crypto.getRandomValues(new Uint8Array(WS_ID_CHARS)))
  }

  /**
   * The socket of a tracker URL (made on first use; at most
   * {@link MAX_WS_TRACKER_SOCKETS}).
   * @throws `NodeError` `TRACKER_UNREACHABLE` when that many trackers are connected already
   */
  socket(url: string): WsTrackerSocket {
    let socket = this.sockets.get(url)
    if (socket === undefined) {
      if (this.sockets.size >= MAX_WS_TRACKER_SOCKETS) {
        throw new NodeError('TRACKER_UNREACHABLE', `${MAX_WS_TRACKER_SOCKETS} WebSocket trackers are connected already`)
      }
      socket = new WsTrackerSocket(url, this)
      this.sockets.set(url, socket)
    }
    return socket
  }

  /** The socket of a tracker URL, if one is open or opening. */
  existing(url: string): WsTrackerSocket | undefined {
    return this.sockets.get(url)
  }

  /** A socket closed for good. @internal */
  forget(socket: WsTrackerSocket): void {
    if (this.sockets.get(socket.url) === socket) this.sockets.delete(socket.url)
  }

  /** Closes every socket. Idempotent. */
  close(): void {
    for (const socket of [...this.sockets.values()]) socket.close()
  }
}
