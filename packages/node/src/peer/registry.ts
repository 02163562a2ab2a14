import type { StateStore } from '@mycel/store'
import { toHex } from '@mycel/wire'
import { type ComponentLogger, componentLogger, describeError, type Logger } from '@mycel/wire/log'
import { type Clock, every, systemClock } from '../clock.js'
import { NodeError } from '../errors.js'
import type { ConnectionRefusal, NodeEvents, PeerInfo } from '../events.js'
import type { BlockRequest, MetadataRequest, PeerLink, SwarmPeer } from '../swarm/peer.js'
import type { Swarm } from '../swarm/swarm.js'
import { type ServedShare, Uploader } from '../swarm/uploader.js'
import type { TypedEmitter } from '../typed-emitter.js'
import { AddressBook } from './address-book.js'
import { PeerBudget } from './budgets.js'
import type { PeerConnection, ShareMessage } from './connection.js'
import { DialQueue, type QueueOptions } from './dial-queue.js'
import { isOnionAddress } from './onion.js'
import { peerKeyOf } from './peer-key.js'
import type { ConnectionPool } from './pool.js'
import { ShareAsks } from './share-asks.js'
import { SharePeer } from './share-peer.js'

/** A peer that sends corrupt data or metadata is banned this long. */
export const BAN_MS = 60 * 60 * 1000
/** Score lost for breaking the protocol or letting requests time out. */
const FAULT_PENALTY = -2
const SCORE_FLUSH_MS = 5000

interface RegistryOptions {
  maxPeersPerShare: number
  swarmOf(infohashHex: string): Swarm | undefined
  swarms(): Swarm[]
  /** Where closes, bans and penalties are logged (`mycel:peer`), and refused requests (`mycel:swarm`). */
  logger?: Logger
  /** Time and timers of the score flushes; default the system clock. */
  clock?: Clock
}

/**
 * The node's view of its peers: routes each mycel connection's messages to
 * the right swarm (through the connection's {@link SharePeer} for that share)
 * and its requests to the connection's uploader, keeps scores (written to
 * the state store in batches) and hour-long bans under each peer's opaque
 * key, hands the addresses found for a swarm to the {@link DialQueue}, and
 * lets a share started here join the connections whose peers asked for it.
 * @internal
 */
export class PeerRegistry {
  private pool: ConnectionPool | undefined
  private dials: DialQueue<Swarm> | undefined
  private readonly book = new AddressBook()
  private readonly asks = new ShareAsks()
  private readonly uploaders = new Map<PeerLink, Uploader>()
  private readonly budgets = new Map<PeerConnection, PeerBudget>()
  private readonly bans = new Map<string, number>()
  /** Score changes not yet written, by peer key (with the key's bytes, as the store keeps it). */
  private readonly scoreDeltas = new Map<string, { keyBytes: Uint8Array; delta: number }>()
  /** Ready connections per peer id: events are about peers, not about duplicate connections. */
  private readonly connectionsOf = new Map<string, number>()
  private readonly stopFlushes: () => void
  private readonly log: ComponentLogger
  /** The uploaders' logger: what they refuse concerns a share's swarm. */
  private readonly swarmLog: ComponentLogger
  private closed = false

  constructor(
    private readonly events: TypedEmitter<NodeEvents>,
    private readonly state: StateStore,
    private readonly options: RegistryOptions,
  ) {
    this.log = componentLogger(options.logger, 'mycel:peer')
    this.swarmLog = componentLogger(options.logger, 'mycel:swarm')
    this.stopFlushes = every(options.clock ?? systemClock, SCORE_FLUSH_MS, () => void this.flushScores())
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
      invite: (swarm, peer) => this.invite(swarm, peer),
      log: this.log,
    })
  }

  // handlers of the pool's connections

  onReady(peer: PeerConnection): void {
    if (this.log.enabled('debug')) {
      const way = peer.outbound ? 'outbound' : 'inbound'
      const agent = JSON.stringify(peer.hello?.agent ?? '')
      this.log.debug(
        `${way} connection of ${peer.peerIdText} at ${peer.address ?? 'an unknown address'} ready (${agent})`,
      )
    }
    const budget = new PeerBudget()
    this.budgets.set(peer, budget)
    // A read that fails (a seeded file was moved) is answered NOT_AVAILABLE; the peer is not at fault.
    const onReadError = (error: unknown) =>
      this.swarmLog.debug(`a read for ${peer.peerIdText} failed, answered NOT_AVAILABLE: ${describeError(error)}`)
    this.uploaders.set(peer, new Uploader(peer, onReadError, budget, this.swarmLog))
    const count = this.connectionsOf.get(peer.peerIdText) ?? 0
    this.connectionsOf.set(peer.peerIdText, count + 1)
    if (count === 0) this.events.emit('peer-connected', this.info(peer))
  }

  onShareMessage(peer: PeerConnection, message: ShareMessage): void {
    const infohashHex = toHex(message.infohash)
    const swarm = this.options.swarmOf(infohashHex)
    if (swarm === undefined) {
      // Say nothing about shares we do not have; refuse requests for them. A peer asking to join
      // one is answered if we start it while connected (answerAsks).
      if (message.type === 'request' || message.type === 'meta-get') {
        this.uploaders.get(peer)?.refuse(new SharePeer(peer, message.infohash), message.id, 'NOT_AVAILABLE')
      } else if (message.type === 'bitfield') {
        this.asks.remember(peer, infohashHex, message.bits)
      }
      return
    }
    const sharePeer = peer.forShare(message.infohash, infohashHex)
    switch (message.type) {
      case 'bitfield': {
        // A share with enough peers ignores a newcomer's bitfield (it costs nothing, so it costs no budget:
        // the newcomer asks again now and then, and must not be cut off for it).
        if (!swarm.isMember(sharePeer) && swarm.memberCount >= this.options.maxPeersPerShare) {
          if (this.log.enabled('debug')) {
            const limit = this.options.maxPeersPerShare
            this.log.debug(
              `ignored the bitfield of ${peer.peerIdText} for ${infohashHex}: ${limit} peers in it already`,
            )
          }
          return
        }
        const budget = this.budgets.get(peer)
        if (budget !== undefined && !budget.bitfield(infohashHex)) {
          void peer.close(NodeError.protocol(`${peer.peerIdText} sent bitfields for one share too often`))
          return
        }
        peer.joinedShare(infohashHex)
        swarm.onBitfield(sharePeer, message.bits)
        return
      }
      case 'have':
        swarm.onHave(sharePeer, message.piece)
        return
      case 'request': {
        const { id, piece, offset, length, proof } = message
        swarm.onRequest(sharePeer, { id, piece, offset, length, proof })
        return
      }
      case 'meta-get':
        swarm.onMetadataRequest(sharePeer, { id: message.id, offset: message.offset })
        return
    }
  }

  /** An inbound connection was refused before it became a peer. */
  onRefused(refusal: ConnectionRefusal): void {
    this.events.emit('connection-refused', refusal)
  }

  onCancel(peer: PeerConnection, id: number): void {
    this.uploaders.get(peer)?.cancel(id)
  }

  onClose(peer: PeerConnection, error: Error | undefined): void {
    if (this.log.enabled('debug')) {
      const way = peer.outbound ? 'outbound' : 'inbound'
      const why = error === undefined ? 'closed cleanly' : `closed: ${describeError(error)}`
      this.log.debug(`${way} connection of ${peer.peerIdText} at ${peer.address ?? 'an unknown address'} ${why}`, {
        peer: peer.peerIdText,
        address: peer.address,
        code: (error as { code?: unknown } | undefined)?.code,
      })
    }
    this.uploaders.get(peer)?.close()
    this.uploaders.delete(peer)
    this.budgets.delete(peer)
    this.asks.forget(peer)
    const joined: Swarm[] = []
    for (const sharePeer of peer.sharePeers()) {
      const swarm = this.options.swarmOf(sharePeer.infohashHex)
      if (swarm?.leave(sharePeer)) joined.push(swarm)
    }
    // A connection that replaced this one (the duplicate rule, a reconnect) carries its shares on.
    const replacement = this.pool?.get(peer.peerIdText)
    if (replacement !== undefined && replacement !== peer) for (const swarm of joined) this.invite(swarm, replacement)
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
    const dialable = addresses.filter((address) => this.pool?.canDial(address) ?? true)
    if (dialable.length < addresses.length && this.log.enabled('debug')) {
      const skipped = addresses.filter((address) => !dialable.includes(address))
      const onion = skipped.filter((address) => isOnionAddress(address))
      const other = skipped.filter((address) => !isOnionAddress(address))
      if (onion.length > 0) {
        this.log.debug(`skipped onion addresses for ${swarm.infohashHex}, which need a proxy: ${onion.join(', ')}`)
      }
      if (other.length > 0) {
        this.log.debug(`skipped addresses for ${swarm.infohashHex} that no transport here dials: ${other.join(', ')}`)
      }
    }
    this.dials?.add(swarm, dialable, options)
  }

  /**
   * Dials an address now, ahead of the queue (the user asked for it).
   * @throws as {@link DialQueue.dial}
   */
  dial(address: string, signal?: AbortSignal): Promise<PeerConnection> {
    if (this.closed || this.dials === undefined) return Promise.reject(NodeError.closed())
    return this.dials.dial(address, signal)
  }

  /** Asks a connected peer to join a share (sends it our bitfield of the share). */
  invite(swarm: Swarm, peer: PeerConnection): void {
    if (!peer.isClosed) swarm.invite(peer.forShare(swarm.infohash, swarm.infohashHex))
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

  /** Hands a block request to the uploader of the peer's link (`share` undefined: refused `NOT_AVAILABLE`). */
  serveBlock(peer: SwarmPeer, request: BlockRequest, share: ServedShare | undefined): void {
    this.uploaders.get(peer.link)?.enqueueBlock(peer, request, share)
  }

  /** Hands a metadata request to the uploader of the peer's link (`share` undefined: refused `NOT_AVAILABLE`). */
  serveMetadata(peer: SwarmPeer, request: MetadataRequest, share: ServedShare | undefined): void {
    this.uploaders.get(peer.link)?.enqueueMetadata(peer, request, share)
  }

  /** Whether a peer is a member of a share we are downloading. */
  inDownload(peer: PeerConnection): boolean {
    for (const infohashHex of peer.joined) {
      const swarm = this.options.swarmOf(infohashHex)
      if (swarm !== undefined && !swarm.complete) return true
    }
    return false
  }

  /**
   * Bans a peer (by its key) for an hour and disconnects it. The link may
   * be one that closed since the peer misbehaved; its current connection,
   * if any, is closed too. `share` is the infohash of the share it
   * misbehaved in, told with `peer-banned`.
   */
  ban(peer: PeerLink, reason: string, share?: Uint8Array): void {
    const { key } = peer
    if (this.isBanned(key)) return
    const until = Date.now() + BAN_MS
    this.bans.set(key, until)
    this.log.info(`banned ${key} for ${BAN_MS / 60_000} minutes: it ${reason}`, { peer: key, address: peer.address })
    void this.state.banPeer(peer.keyBytes, until).catch((error) => {
      this.log.warn(`saving the ban of ${key} failed (it holds until the node stops): ${describeError(error)}`)
    })
    this.score(peer, -10)
    const connection = this.current(peer)
    void connection?.close(new NodeError('PEER_BANNED', `${key} ${reason}`))
    this.events.emit(
      'peer-banned',
      key,
      reason,
      connection === undefined ? undefined : this.info(connection),
      share === undefined ? undefined : toHex(share),
    )
  }

  /**
   * Changes a peer's score (kept now, written to the state store in
   * batches). A loss given with a `reason` is reported as `peer-penalised`.
   */
  score(peer: PeerLink, delta: number, reason?: string): void {
    if (delta === 0) return
    const { key } = peer
    const pending = this.scoreDeltas.get(key)
    if (pending === undefined) this.scoreDeltas.set(key, { keyBytes: peer.keyBytes, delta })
    else pending.delta += delta
    const connection = this.current(peer)
    if (connection !== undefined) connection.score += delta
    if (connection !== peer) peer.score += delta
    if (delta < 0 && reason !== undefined) {
      if (this.log.enabled('debug')) this.log.debug(`penalised ${key} by ${-delta}: it ${reason}`, { peer: key })
      this.events.emit('peer-penalised', {
        peerId: key,
        address: connection?.address ?? peer.address,
        reason,
        penalty: -delta,
        disconnected: false,
      })
    }
  }

  /** Lowers a peer's score and disconnects it (`share`: the infohash of the share it failed in, if any). */
  fault(peer: PeerLink, reason: string, share?: Uint8Array): void {
    this.score(peer, FAULT_PENALTY)
    void peer.close(NodeError.protocol(`${peer.key}: ${reason}`))
    this.events.emit('peer-penalised', {
      peerId: peer.key,
      address: peer.address,
      reason,
      penalty: -FAULT_PENALTY,
      disconnected: true,
      ...(share === undefined ? {} : { infohash: toHex(share) }),
    })
  }

  /** The open connection to a peer: the link itself, or the one that replaced it. */
  private current(peer: PeerLink): PeerConnection | undefined {
    const connection = this.pool?.get(peer.key)
    return connection ?? (peer.isClosed ? undefined : (peer as PeerConnection))
  }

  /** Whether a peer is banned now. */
  isBanned(peerId: string): boolean {
    return (this.bans.get(peerId) ?? 0) > Date.now()
  }

  /** A peer's stored score plus what is not yet written. */
  async scoreOf(key: string, keyBytes: Uint8Array): Promise<number> {
    const record = await this.state.getPeer(keyBytes).catch((error) => {
      this.log.warn(`reading the score of ${key} failed, taken as 0: ${describeError(error)}`)
      return undefined
    })
    return (record?.score ?? 0) + (this.scoreDeltas.get(key)?.delta ?? 0)
  }

  /** Loads the bans that outlived a restart. */
  async loadBans(): Promise<void> {
    const now = Date.now()
    for (const record of await this.state.listPeers()) {
      const until = record.bannedUntil ?? 0
      if (until > now) this.bans.set(peerKeyOf(record.peerId), until)
    }
  }

  /** Writes pending score changes. */
  async flushScores(): Promise<void> {
    const deltas = [...this.scoreDeltas.values()]
    this.scoreDeltas.clear()
    let failed = 0
    for (const { keyBytes, delta } of deltas) {
      await this.state.adjustPeerScore(keyBytes, delta).catch((error) => {
        if (failed++ === 0) this.log.warn(`saving peer scores failed, changes dropped: ${describeError(error)}`)
      })
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
    this.stopFlushes()
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
