import type { StateStore } from '@mycel/store'
import { parsePeerId, peerIdToString } from '@mycel/transport'
import type { MetaGetMessage, RequestMessage } from '@mycel/wire'
import { NodeError } from '../errors.js'
import type { ConnectionRefusal, NodeEvents, PeerInfo } from '../events.js'
import type { Swarm } from '../swarm/swarm.js'
import { type ServedShare, Uploader } from '../swarm/uploader.js'
import type { TypedEmitter } from '../typed-emitter.js'
import { AddressBook } from './address-book.js'
import { PeerBudget } from './budgets.js'
import type { PeerConnection, ShareMessage } from './connection.js'
import { DialQueue, type QueueOptions } from './dial-queue.js'
import type { ConnectionPool } from './pool.js'
import { ShareAsks } from './share-asks.js'

/** A peer that sends corrupt data or metadata is banned this long. */
export const BAN_MS = 60 * 60 * 1000
/** Score lost for breaking the protocol or letting requests time out. */
const FAULT_PENALTY = -2
const SCORE_FLUSH_MS = 5000

interface RegistryOptions {
  maxPeersPerShare: number
  swarmOf(infohashHex: string): Swarm | undefined
  swarms(): Swarm[]
}

/**
 * The node's view of its peers: routes each connection's messages to the
 * right swarm and its requests to the connection's uploader, keeps scores
 * (written to the state store in batches) and hour-long bans, hands the
 * addresses found for a swarm to the {@link DialQueue}, and lets a share
 * started here join the connections whose peers asked for it.
 * @internal
 */
export class PeerRegistry {
  private pool: ConnectionPool | undefined
  private dials: DialQueue<Swarm> | undefined
  private readonly book = new AddressBook()
  private readonly asks = new ShareAsks()
  private readonly uploaders = new Map<PeerConnection, Uploader>()
  private readonly budgets = new Map<PeerConnection, PeerBudget>()
  private readonly bans = new Map<string, number>()
  private readonly scoreDeltas = new Map<string, number>()
  /** Ready connections per peer id: events are about peers, not about duplicate connections. */
  private readonly connectionsOf = new Map<string, number>()
  private readonly flushTimer: ReturnType<typeof setInterval>
  private closed = false

  constructor(
    private readonly events: TypedEmitter<NodeEvents>,
    private readonly state: StateStore,
    private readonly options: RegistryOptions,
  ) {
    this.flushTimer = setInterval(() => void this.flushScores(), SCORE_FLUSH_MS)
    this.flushTimer.unref?.()
  }

  /** Connects the registry to the pool whose connections it handles (and dials through). */
  attach(pool: ConnectionPool): void {
    this.pool = pool
    this.dials = new DialQueue<Swarm>({
      book: this.book,
      dial: (address, signal) => pool.dial(address, signal),
      connection: (peerId) => pool.get(peerId),
      connectionAt: (address) => pool.connectionAt(address),
      canConnect: () => !pool.full,
      wants: (swarm) => this.wantsPeers(swarm),
    })
  }

  // handlers of the pool's connections

  onReady(peer: PeerConnection): void {
    const budget = new PeerBudget()
    this.budgets.set(peer, budget)
    // A read that fails (a seeded file was moved) is answered NOT_AVAILABLE; the peer is not at fault.
    this.uploaders.set(peer, new Uploader(peer, () => {}, budget))
    const count = this.connectionsOf.get(peer.peerIdText) ?? 0
    this.connectionsOf.set(peer.peerIdText, count + 1)
    if (count === 0) this.events.emit('peer-connected', this.info(peer))
  }

  onShareMessage(peer: PeerConnection, message: ShareMessage): void {
    const infohashHex = Buffer.from(message.infohash).toString('hex')
    const swarm = this.options.swarmOf(infohashHex)
    if (swarm === undefined) {
      // Say nothing about shares we do not have; refuse requests for them. A peer asking to join
      // one is answered if we start it while connected (answerAsks).
      if (message.type === 'request' || message.type === 'meta-get') {
        this.uploaders.get(peer)?.refuse(message.id, 'NOT_AVAILABLE')
      } else if (message.type === 'bitfield') {
        this.asks.remember(peer, infohashHex, message.bits)
      }
      return
    }
    const budget = this.budgets.get(peer)
    if (message.type === 'bitfield') {
      // A share with enough peers ignores a newcomer's bitfield (it costs nothing, so it costs no budget:
      // the newcomer asks again now and then, and must not be cut off for it).
      if (!swarm.peers.includes(peer) && swarm.memberCount >= this.options.maxPeersPerShare) return
      if (budget !== undefined && !budget.bitfield(swarm.infohashHex)) {
        void peer.close(NodeError.protocol(`${peer.peerIdText} sent bitfields for one share too often`))
        return
      }
      peer.joinedShare(swarm.infohashHex)
    }
    if (message.type === 'pex' && budget !== undefined && !budget.pex(swarm.infohashHex)) return
    swarm.receive(peer, message)
  }

  /** An inbound connection was refused before it became a peer. */
  onRefused(refusal: ConnectionRefusal): void {
    this.events.emit('connection-refused', refusal)
  }

  onCancel(peer: PeerConnection, id: number): void {
    this.uploaders.get(peer)?.cancel(id)
  }

  onClose(peer: PeerConnection, error: Error | undefined): void {
    this.uploaders.get(peer)?.close()
    this.uploaders.delete(peer)
    this.budgets.delete(peer)
    this.asks.forget(peer)
    const joined = this.options.swarms().filter((swarm) => swarm.leave(peer))
    // A connection that replaced this one (the duplicate rule, a reconnect) carries its shares on.
    const replacement = this.pool?.get(peer.peerIdText)
    if (replacement !== undefined && replacement !== peer) for (const swarm of joined) swarm.invite(replacement)
    if (peer.outbound && peer.address !== undefined) this.book.scored(peer.address, peer.peerIdText, peer.score)
    this.dials?.pump() // a slot may be free under the connection limit
    if (peer.hello === undefined) return // it never counted as connected
    const count = (this.connectionsOf.get(peer.peerIdText) ?? 1) - 1
    if (count > 0) {
      this.connectionsOf.set(peer.peerIdText, count)
      return
    }
    this.connectionsOf.delete(peer.peerIdText)
    this.events.emit('peer-disconnected', this.info(peer), error)
  }

  // what the node and the swarms ask

  /**
   * Queues addresses found for a swarm; the peers that answer are invited
   * into it (see {@link DialQueue}).
   * @param options - `direct` for addresses the user gave (magnet `x.pe`, `peers`)
   */
  connect(addresses: readonly string[], swarm: Swarm, options: QueueOptions = {}): void {
    if (this.closed) return
    this.dials?.add(swarm, addresses, options)
  }

  /**
   * Dials an address now, ahead of the queue (the user asked for it).
   * @throws as {@link DialQueue.dial}
   */
  dial(address: string, signal?: AbortSignal): Promise<PeerConnection> {
    if (this.closed || this.dials === undefined) return Promise.reject(NodeError.closed())
    return this.dials.dial(address, signal)
  }

  /**
   * A share started here: the connected peers that asked to join it before
   * (and only they) are answered now, as if their `bitfield` came now.
   */
  answerAsks(swarm: Swarm): void {
    for (const [peer, bits] of this.asks.take(swarm.infohashHex)) {
      if (!peer.isClosed) this.onShareMessage(peer, { type: 'bitfield', infohash: swarm.infohash, bits })
    }
  }

  /** Hands a piece or metadata request to the connection's uploader (`share` undefined: refused `NOT_AVAILABLE`). */
  serve(peer: PeerConnection, message: RequestMessage | MetaGetMessage, share: ServedShare | undefined): void {
    this.uploaders.get(peer)?.enqueue(message, share)
  }

  /** Whether a peer is a member of a share we are downloading. */
  inDownload(peer: PeerConnection): boolean {
    for (const infohashHex of peer.joined) {
      const swarm = this.options.swarmOf(infohashHex)
      if (swarm !== undefined && !swarm.complete) return true
    }
    return false
  }

  /** Bans a peer for an hour and disconnects it. */
  ban(peer: PeerConnection | string, reason: string): void {
    const peerId = typeof peer === 'string' ? peer : peer.peerIdText
    if (this.isBanned(peerId)) return
    const until = Date.now() + BAN_MS
    this.bans.set(peerId, until)
    void this.state.banPeer(parsePeerId(peerId), until).catch(() => {})
    this.score(peerId, -10)
    const connection = typeof peer === 'string' ? this.pool?.get(peerId) : peer
    void connection?.close(new NodeError('PEER_BANNED', `${peerId} ${reason}`))
    this.events.emit('peer-banned', peerId, reason, connection === undefined ? undefined : this.info(connection))
  }

  /**
   * Changes a peer's score (kept now, written to the state store in
   * batches). A loss given with a `reason` is reported as `peer-penalised`.
   */
  score(peer: PeerConnection | string, delta: number, reason?: string): void {
    if (delta === 0) return
    const peerId = typeof peer === 'string' ? peer : peer.peerIdText
    this.scoreDeltas.set(peerId, (this.scoreDeltas.get(peerId) ?? 0) + delta)
    const connection = typeof peer === 'string' ? this.pool?.get(peerId) : peer
    if (connection !== undefined) connection.score += delta
    if (delta < 0 && reason !== undefined) {
      this.events.emit('peer-penalised', {
        peerId,
        address: connection?.address,
        reason,
        penalty: -delta,
        disconnected: false,
      })
    }
  }

  /** Lowers a peer's score and disconnects it. */
  fault(peer: PeerConnection, reason: string): void {
    this.score(peer, FAULT_PENALTY)
    void peer.close(NodeError.protocol(`${peer.peerIdText}: ${reason}`))
    this.events.emit('peer-penalised', {
      peerId: peer.peerIdText,
      address: peer.address,
      reason,
      penalty: -FAULT_PENALTY,
      disconnected: true,
    })
  }

  /** Whether a peer is banned now. */
  isBanned(peerId: string): boolean {
    return (this.bans.get(peerId) ?? 0) > Date.now()
  }

  /** A peer's stored score plus what is not yet written. */
  async scoreOf(peerId: string): Promise<number> {
    const record = await this.state.getPeer(parsePeerId(peerId)).catch(() => undefined)
    return (record?.score ?? 0) + (this.scoreDeltas.get(peerId) ?? 0)
  }

  /** Loads the bans that outlived a restart. */
  async loadBans(): Promise<void> {
    const now = Date.now()
    for (const record of await this.state.listPeers()) {
      const until = record.bannedUntil ?? 0
      if (until > now) this.bans.set(peerIdToString(record.peerId), until)
    }
  }

  /** Writes pending score changes. */
  async flushScores(): Promise<void> {
    const deltas = [...this.scoreDeltas]
    this.scoreDeltas.clear()
    for (const [peerId, delta] of deltas) {
      await this.state.adjustPeerScore(parsePeerId(peerId), delta).catch(() => {})
    }
  }

  /** What events and `peers()` say about a connection. */
  info(peer: PeerConnection): PeerInfo {
    return {
      peerId: peer.peerIdText,
      address: peer.address,
      outbound: peer.outbound,
      agent: peer.hello?.agent,
      bytesReceived: peer.bytesReceived,
      bytesSent: peer.bytesSent,
    }
  }

  /** Stops the dials, the uploaders and the score timer. */
  close(): void {
    this.closed = true
    this.dials?.close()
    clearInterval(this.flushTimer)
    for (const uploader of this.uploaders.values()) uploader.close()
    this.uploaders.clear()
    this.budgets.clear()
  }

  /** Whether a swarm of this node wants more peers: a download that is not complete nor full. */
  private wantsPeers(swarm: Swarm): boolean {
    return (
      this.options.swarmOf(swarm.infohashHex) === swarm &&
      !swarm.complete &&
      swarm.memberCount < this.options.maxPeersPerShare
    )
  }
}
