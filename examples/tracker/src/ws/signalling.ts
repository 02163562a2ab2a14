/**
 * WebSocket signalling: the swarms of connected sockets per infohash, and
 * the relay of WebRTC offers and answers between their peers
 * (WebTorrent's tracker protocol). Nothing here is stored: a swarm is the
 * sockets open now.
 * @module
 */
import { decodeWsMessage, type WsAnnounce, type WsMessageLimits, type WsScrape } from './message.js'

/** One connected client, as the signalling sees it. */
export interface WsClient {
  /** Sends one JSON message. */
  send(message: object): void
  /** Closes the socket (WebSocket close code and reason). */
  close(code: number, reason: string): void
}

/** Bounds of the signalling; `docs/limits.md` gives the defaults. */
export interface WsSignallingLimits extends WsMessageLimits {
  /** Most swarms one socket is in at once. */
  readonly maxSwarmsPerSocket: number
  /** Messages one socket may send in a burst. */
  readonly messageBurst: number
  /** Messages per second one socket may send over time. */
  readonly messagesPerSecond: number
}

/** A peer of a swarm: its socket and what it said. */
interface Member {
  readonly client: WsSocketState
  complete: boolean
}

/** What is kept per socket. */
export interface WsSocketState {
  readonly client: WsClient
  /** Swarm (infohash) to the peer id this socket announced in it. */
  readonly swarms: Map<string, string>
  tokens: number
  refilledAt: number
}

function isComplete(message: WsAnnounce): boolean {
  return message.event === 'completed' || message.left === 0
}

/** WebSocket close codes. */
const POLICY_VIOLATION = 1008
const UNSUPPORTED_DATA = 1003

/** The WebSocket swarms now, as `/stats` shows them. */
export interface WsFigures {
  /** Sockets open, on every `--ws` listener. */
  readonly sockets: number
  /** Swarms with at least one socket. */
  readonly swarms: number
  /** Peers of every swarm (a socket in three swarms counts three times). */
  readonly peers: number
}

/** The WebSocket signalling of a tracker. */
export class WsSignalling {
  /** Infohash to (peer id to member). */
  private readonly swarms = new Map<string, Map<string, Member>>()
  /** Sockets joined and not left. */
  private sockets = 0
  /** Members of every swarm, counted once per swarm they are in. */
  private members = 0

  /**
   * @param limits - the bounds
   * @param interval - seconds between announces clients are told
   * @param admits - whether an infohash (20 bytes) may be announced (the whitelist)
   * @param nowMs - the clock
   */
  constructor(
    private readonly limits: WsSignallingLimits,
    private readonly interval: number,
    private readonly admits: (infohash: Uint8Array) => boolean,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Swarms with at least one socket. */
  get swarmCount(): number {
    return this.swarms.size
  }

  /** What `/stats` shows of the WebSocket swarms. */
  figures(): WsFigures {
    return { sockets: this.sockets, swarms: this.swarms.size, peers: this.members }
  }

  /**
   * A new socket.
   *
   * @param client - how to reach it
   * @returns its state, to pass to {@link receive} and {@link leave}
   */
  join(client: WsClient): WsSocketState {
    this.sockets++
    return { client, swarms: new Map(), tokens: this.limits.messageBurst, refilledAt: this.nowMs() }
  }

  /**
   * One message of a socket. A malformed message or one over a bound closes that socket only.
   *
   * @param socket - the socket's state
   * @param text - the message
   */
  receive(socket: WsSocketState, text: string): void {
    if (!this.takeToken(socket)) {
      socket.client.close(POLICY_VIOLATION, 'too many messages')
      return
    }
    let message: ReturnType<typeof decodeWsMessage>
    try {
      message = decodeWsMessage(text, this.limits)
    } catch (err) {
      socket.client.close(UNSUPPORTED_DATA, (err as Error).message.slice(0, 100))
      return
    }
    if (message.action === 'scrape') this.scrape(socket, message)
    else this.announce(socket, message)
  }

  /**
   * A socket closed: it leaves every swarm it was in.
   *
   * @param socket - the socket's state
   */
  leave(socket: WsSocketState): void {
    this.sockets--
    for (const [infoHash, peerId] of socket.swarms) this.remove(infoHash, peerId)
    socket.swarms.clear()
  }

  private takeToken(socket: WsSocketState): boolean {
    const now = this.nowMs()
    const { messageBurst, messagesPerSecond } = this.limits
    socket.tokens = Math.min(messageBurst, socket.tokens + ((now - socket.refilledAt) / 1000) * messagesPerSecond)
    socket.refilledAt = now
    if (socket.tokens < 1) return false
    socket.tokens -= 1
    return true
  }

  private announce(socket: WsSocketState, message: WsAnnounce): void {
    const { infoHash, peerId } = message
    const failure = (reason: string) =>
      socket.client.send({ action: 'announce', info_hash: infoHash, 'failure reason': reason })
    if (!this.admits(Buffer.from(infoHash, 'latin1'))) {
      failure('infohash not registered with this tracker')
      return
    }
    const joined = socket.swarms.get(infoHash)
    if (joined !== undefined && joined !== peerId) {
      failure('one peer id per swarm and socket')
      return
    }
    if (message.event === 'stopped') {
      if (joined !== undefined) {
        this.remove(infoHash, peerId)
        socket.swarms.delete(infoHash)
      }
      return
    }
    let swarm = this.swarms.get(infoHash)
    const member = swarm?.get(peerId)
    if (member !== undefined && member.client !== socket) {
      failure('peer id in use in this swarm')
      return
    }
    if (joined === undefined) {
      if (socket.swarms.size >= this.limits.maxSwarmsPerSocket) {
        failure(`at most ${this.limits.maxSwarmsPerSocket} swarms per socket`)
        return
      }
      if (swarm === undefined) {
        swarm = new Map()
        this.swarms.set(infoHash, swarm)
      }
      swarm.set(peerId, { client: socket, complete: isComplete(message) })
      this.members++
      socket.swarms.set(infoHash, peerId)
    } else if (member !== undefined && isComplete(message)) {
      member.complete = true
    }
    const peers = swarm as Map<string, Member>
    if (message.answer !== undefined) {
      // An answer goes to the one peer whose offer it answers, in this swarm.
      const to = peers.get(message.toPeerId as string)
      to?.client.client.send({
        action: 'announce',
        info_hash: infoHash,
        peer_id: peerId,
        answer: message.answer,
        offer_id: message.offerId,
      })
      return
    }
    let complete = 0
    for (const peer of peers.values()) if (peer.complete) complete++
    socket.client.send({
      action: 'announce',
      interval: this.interval,
      info_hash: infoHash,
      complete,
      incomplete: peers.size - complete,
    })
    this.forwardOffers(socket, message, peers)
  }

  /** Each offer goes to a different other peer of the swarm, picked at random. */
  private forwardOffers(socket: WsSocketState, message: WsAnnounce, peers: Map<string, Member>): void {
    const count = Math.min(message.offers.length, message.numwant)
    if (count === 0) return
    const others = [...peers.values()].filter((peer) => peer.client !== socket)
    for (let i = 0; i < count && others.length > 0; i++) {
      const at = Math.floor(Math.random() * others.length)
      const target = others[at] as Member
      others[at] = others[others.length - 1] as Member
      others.pop()
      const offer = message.offers[i] as WsAnnounce['offers'][number]
      target.client.client.send({
        action: 'announce',
        info_hash: message.infoHash,
        peer_id: message.peerId,
        offer: offer.offer,
        offer_id: offer.offerId,
      })
    }
  }

  private scrape(socket: WsSocketState, message: WsScrape): void {
    const files: Record<string, { complete: number; incomplete: number; downloaded: number }> = {}
    for (const infoHash of message.infoHashes) {
      const peers = this.swarms.get(infoHash)
      let complete = 0
      for (const peer of peers?.values() ?? []) if (peer.complete) complete++
      files[infoHash] = { complete, incomplete: (peers?.size ?? 0) - complete, downloaded: 0 }
    }
    socket.client.send({ action: 'scrape', files })
  }

  private remove(infoHash: string, peerId: string): void {
    const swarm = this.swarms.get(infoHash)
    if (swarm === undefined || !swarm.delete(peerId)) return
    this.members--
    if (swarm.size === 0) this.swarms.delete(infoHash)
  }
}
