import {
  type ByteStream,
  type Identity,
  type Listener,
  parseAddress,
  peerIdToString,
  type SecureConnection,
  type Transport,
  transportFor,
} from '@mycel/transport'
import type { HelloMessage } from '@mycel/wire'
import { type ComponentLogger, componentLogger, type Logger } from '@mycel/wire/log'
import { NodeError } from '../errors.js'
import type { ConnectionRefusal, RefusalReason } from '../events.js'
import type { SecureUpgrade } from '../options.js'
import { Admission, type AdmissionLimits, type AdmissionTicket } from './admission.js'
import { PeerConnection, type PeerConnectionHandler } from './connection.js'
import { evictionCandidate, isIdle } from './eviction.js'
import { isOnionAddress } from './onion.js'
import type { ProtocolRegistry } from './protocols.js'
import { canonicalAddress, reachableAt } from './reachable.js'

/** Settings and callbacks of a {@link ConnectionPool}. @internal */
export interface PoolOptions {
  identity: Identity
  transports: readonly Transport[]
  /**
   * Whether the transports dial onion addresses (they go through a SOCKS
   * proxy). Without, an onion address is never dialled, so its name never
   * reaches a local resolver (`ADDRESS_NEEDS_PROXY`).
   */
  dialsOnion?: boolean
  /**
   * Whether inbound connections come through a local proxy (Tor forwarding
   * an onion service): the address they come from is then this machine's,
   * and says nothing of the peer, so it is neither kept nor used to complete
   * the peer's listen addresses (which would put a loopback address in peer
   * exchange).
   */
  inboundThroughProxy?: boolean
  /** The secure channel over each stream. */
  secure: SecureUpgrade
  maxConnections: number
  handshakeTimeoutMs: number
  /** The handshake timeout of inbound connections (shorter: they hold resources we did not ask to give). */
  inboundHandshakeTimeoutMs: number
  /** Limits on inbound connections and handshakes, overall and per address. */
  admission: AdmissionLimits
  /** A connection on which nothing happens this long is closed; 0 for never. */
  idleTimeoutMs: number
  /** Whether a peer is a member of a share we are downloading (such a connection is never evicted). */
  inDownload(peer: PeerConnection): boolean
  /** An inbound connection was refused before it became a peer. */
  onRefused(refusal: ConnectionRefusal): void
  /** Our `hello`, built when a connection opens (listen addresses may change). */
  hello(): HelloMessage
  /** Whether a peer id is banned now. */
  isBanned(peerIdText: string): boolean
  /** The peer's stored score, to order peers. */
  scoreOf(key: string, keyBytes: Uint8Array): Promise<number>
  /** The optional protocols we speak on every connection (their names go out in `hello`). */
  protocols: ProtocolRegistry
  /** Handlers of every ready connection's messages. */
  handler: Omit<PeerConnectionHandler, 'onReady'> & { onReady(peer: PeerConnection): void }
  /** Where refusals are logged (`mycel:peer`), and handshake failures (`mycel:transport`). Default: silent. */
  logger?: Logger
}

/** How often idle connections are looked for, at most (and at least every quarter of the idle timeout). */
const IDLE_SWEEP_MS = 5000

/**
 * The node's connections: one secure connection per remote peer. Listens,
 * dials (one dial per address at a time), refuses banned peers, ourselves
 * and connections over the limit, and when two connections to the same
 * peer meet (both dialled at once) keeps the one dialled by the peer with
 * the lower id, which both sides agree on.
 *
 * Inbound streams pass the {@link Admission} (limits on handshakes and on
 * connections per address) before any public-key work. When every slot is
 * taken, a new connection gets the slot of the least useful one (see
 * {@link evictionCandidate}), or is refused at once when all are useful.
 * Connections idle for `idleTimeoutMs` are closed.
 * @internal
 */
export class ConnectionPool {
  private readonly listeners: Listener[] = []
  private readonly peers = new Map<string, PeerConnection>()
  private readonly dialing = new Map<string, Promise<PeerConnection>>()
  private readonly handshaking = new Set<SecureConnection>()
  private readonly admission: Admission
  private readonly idleTimer: ReturnType<typeof setInterval> | undefined
  private readonly ownId: string
  private readonly log: ComponentLogger
  private closed = false

  constructor(private readonly options: PoolOptions) {
    this.ownId = options.identity.toString()
    this.log = componentLogger(options.logger, 'mycel:peer')
    this.admission = new Admission(options.admission, (refusal) => {
      if (this.log.enabled('debug')) {
        const { address, reason, message } = refusal
        this.log.debug(`refused an inbound connection from ${address ?? 'an unknown address'}: ${message}`, {
          address,
          reason,
        })
      }
      options.onRefused(refusal)
    })
    if (options.idleTimeoutMs > 0) {
      const every = Math.max(50, Math.min(IDLE_SWEEP_MS, options.idleTimeoutMs / 4))
      this.idleTimer = setInterval(() => this.closeIdle(), every)
      this.idleTimer.unref?.()
    }
  }

  /** Inbound connections refused so far, by reason. */
  get refusals(): Readonly<Record<RefusalReason, number>> {
    return this.admission.refused
  }

  /** The addresses we listen on (ports resolved). */
  get addresses(): string[] {
    return this.listeners.flatMap((listener) => [...listener.addresses])
  }

  /** Ready connections. */
  get connections(): PeerConnection[] {
    return [...this.peers.values()]
  }

  /** The connection to a peer, if any. */
  get(peerIdText: string): PeerConnection | undefined {
    return this.peers.get(peerIdText)
  }

  /** Whether the connection limit is reached (a dial would be refused). */
  get full(): boolean {
    return this.peers.size >= this.options.maxConnections
  }

  /**
   * The connection that already leads to `address`: one we dialled there, or
   * one whose peer listens there (see {@link reachableAt}), so that a peer
   * that connected to us is not dialled a second time.
   */
  connectionAt(address: string): PeerConnection | undefined {
    const wanted = canonicalAddress(address)
    for (const peer of this.peers.values()) {
      if (!peer.isClosed && reachableAt(peer).includes(wanted)) return peer
    }
    return undefined
  }

  /** Starts listening on `address`; returns the bound addresses. */
  async listen(address: string, signal?: AbortSignal): Promise<readonly string[]> {
    const transport = transportFor(address, this.options.transports)
    const listener = await transport.listen(address, {
      onConnection: (stream) => void this.accept(stream),
      ...(signal ? { signal } : {}),
    })
    this.listeners.push(listener)
    return listener.addresses
  }

  /**
   * Whether `address` may be dialled at all: one of our transports handles
   * its scheme (a `webrtc://` address heard from a peer, say), and it is not
   * an onion address without a proxy.
   */
  canDial(address: string): boolean {
    try {
      transportFor(address, this.options.transports)
    } catch {
      return false
    }
    return this.dialsAddress(address)
  }

  /** Not an onion address without a proxy. */
  private dialsAddress(address: string): boolean {
    return this.options.dialsOnion === true || !isOnionAddress(address)
  }

  /**
   * Connects to `address` (or returns the connection it already leads to).
   * @throws TransportError when the dial or handshake fails; NodeError for a
   *   banned peer, ourselves, a duplicate we dropped, the connection limit, or
   *   an onion address without a proxy (`ADDRESS_NEEDS_PROXY`)
   */
  dial(address: string, signal?: AbortSignal): Promise<PeerConnection> {
    if (this.closed) return Promise.reject(NodeError.closed())
    if (!this.dialsAddress(address)) {
      return Promise.reject(new NodeError('ADDRESS_NEEDS_PROXY', `${address} is an onion address: it needs a proxy`))
    }
    if (this.addresses.includes(address)) return Promise.reject(new NodeError('PEER_SELF', `${address} is ourselves`))
    const existing = this.connectionAt(address)
    if (existing !== undefined) return Promise.resolve(existing)
    let dial = this.dialing.get(address)
    if (dial === undefined) {
      dial = this.open(address, signal).finally(() => this.dialing.delete(address))
      this.dialing.set(address, dial)
    }
    return dial
  }

  /** Closes every connection and listener. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.idleTimer)
    this.admission.abortAll(NodeError.closed())
    await Promise.allSettled(this.listeners.map((listener) => listener.close()))
    await Promise.allSettled([...this.handshaking].map((connection) => connection.close()))
    await Promise.allSettled([...this.peers.values()].map((peer) => peer.close()))
    await Promise.allSettled([...this.dialing.values()])
  }

  private async open(address: string, signal?: AbortSignal): Promise<PeerConnection> {
    if (this.peers.size >= this.options.maxConnections) {
      throw new NodeError('PEER_LIMIT', `already ${this.peers.size} connections`)
    }
    const stream = await transportFor(address, this.options.transports).dial(address, signal ? { signal } : {})
    return this.upgrade(stream, true, address, signal)
  }

  /**
   * Takes an inbound stream, or closes it at once: everything here is
   * decided before any public-key work.
   */
  private accept(stream: ByteStream): void {
    const address = stream.remoteAddress
    if (this.closed) {
      void stream.close(NodeError.closed())
      return
    }
    if (this.peers.size >= this.options.maxConnections && this.evictable() === undefined) {
      const message = `${this.peers.size} connections (maxConnections), none idle enough to make room`
      void stream.close(this.admission.refuse(address, 'connections', message))
      return
    }
    const ticket = this.admission.admit(address)
    if (ticket instanceof NodeError) {
      void stream.close(ticket)
      return
    }
    // A failed inbound handshake concerns nobody but that connection.
    this.upgrade(stream, false, undefined, undefined, ticket).catch(() => {})
  }

  private async upgrade(
    stream: ByteStream,
    outbound: boolean,
    address: string | undefined,
    signal?: AbortSignal,
    ticket?: AdmissionTicket,
  ): Promise<PeerConnection> {
    // An inbound handshake is aborted by its ticket when a newer one takes its place.
    const handshakeSignal = ticket?.signal ?? signal
    let connection: SecureConnection
    try {
      connection = await this.options.secure(stream, this.options.identity, {
        initiator: outbound,
        handshakeTimeout: outbound ? this.options.handshakeTimeoutMs : this.options.inboundHandshakeTimeoutMs,
        // Handlers copy what they keep (a block into its piece, a parked bitfield).
        transientMessages: true,
        logger: this.options.logger,
        // A WebRTC address names the peer: whoever answered the offer must be that peer.
        ...(outbound && address !== undefined ? expectedPeer(address) : {}),
        ...(handshakeSignal ? { signal: handshakeSignal } : {}),
      })
    } catch (error) {
      if (ticket !== undefined) this.admission.release(ticket)
      throw error
    }
    if (ticket !== undefined) this.admission.established(ticket)
    this.handshaking.add(connection)
    try {
      const remote = peerIdToString(connection.remotePeerId)
      const score = await this.options.scoreOf(remote, connection.remotePeerId)
      // From here to adopt() nothing awaits, so two connections to one peer
      // finishing together are compared one after the other.
      const refusal = this.closed ? NodeError.closed() : (this.refusal(remote, outbound) ?? this.makeRoom(remote))
      if (refusal !== undefined) {
        if (ticket !== undefined) {
          this.admission.release(ticket)
          if (refusal.code === 'PEER_BANNED') this.admission.refuse(ticket.address, 'banned', refusal.message)
          else if (refusal.code === 'PEER_LIMIT') this.admission.refuse(ticket.address, 'connections', refusal.message)
          // (a refused dial is logged by whoever dialled)
          else this.log.debug(`dropped the inbound connection of ${remote} at ${ticket.address}: ${refusal.message}`)
        }
        void connection.close(refusal)
        throw refusal
      }
      void this.peers.get(remote)?.close(new NodeError('PEER_DUPLICATE', 'replaced by the connection both sides keep'))
      return this.adopt(connection, outbound, address, score, ticket)
    } finally {
      this.handshaking.delete(connection)
    }
  }

  /**
   * When every slot is taken, closes the least useful connection to make
   * room for one to `remote`; a refusal when none may go.
   */
  private makeRoom(remote: string): NodeError | undefined {
    if (this.peers.has(remote) || this.peers.size < this.options.maxConnections) return undefined
    const victim = this.evictable()
    if (victim === undefined) {
      return new NodeError(
        'PEER_LIMIT',
        `${this.peers.size} connections (maxConnections), none idle enough to make room`,
      )
    }
    const inactive = Math.round((Date.now() - victim.lastActiveAt) / 1000)
    this.peers.delete(victim.peerIdText)
    void victim.close(
      new NodeError(
        'PEER_LIMIT',
        `${victim.peerIdText} was closed to make room for a new peer (${this.options.maxConnections} connections; it moved nothing for ${inactive} s)`,
      ),
    )
    return undefined
  }

  /** The connection that would give its slot to a new one, if any. */
  private evictable(): PeerConnection | undefined {
    return evictionCandidate(this.peers.values(), Date.now(), (peer) => this.options.inDownload(peer))
  }

  /** Closes the connections idle for the idle timeout. */
  private closeIdle(): void {
    const now = Date.now()
    const timeout = this.options.idleTimeoutMs
    for (const peer of this.peers.values()) {
      if (!isIdle(peer, now, timeout) || peer.keptOpen()) continue
      const seconds = Math.round(timeout / 1000)
      void peer.close(
        new NodeError(
          'PEER_TIMEOUT',
          `${peer.peerIdText} was idle for ${seconds} s: it joined no share and moved nothing`,
        ),
      )
    }
  }

  /** Why a freshly secured connection must go, if it must. */
  private refusal(remote: string, outbound: boolean): NodeError | undefined {
    if (remote === this.ownId) return new NodeError('PEER_SELF', 'connected to ourselves')
    if (this.options.isBanned(remote)) return new NodeError('PEER_BANNED', `${remote} is banned`)
    const existing = this.peers.get(remote)
    if (existing === undefined) return undefined
    // Two connections to one peer: keep the one dialled by the lower peer id.
    const lowerDialled = (conn: { outbound: boolean }) => (conn.outbound ? this.ownId < remote : remote < this.ownId)
    if (existing.outbound === outbound || lowerDialled(existing)) {
      return new NodeError('PEER_DUPLICATE', `already connected to ${remote}`)
    }
    return undefined
  }

  private adopt(
    connection: SecureConnection,
    outbound: boolean,
    address: string | undefined,
    score: number,
    ticket: AdmissionTicket | undefined,
  ): PeerConnection {
    const { handler } = this.options
    const peer: PeerConnection = new PeerConnection(
      connection,
      {
        onReady: (ready) => {
          // A hello read during the handshake makes the connection ready while it is built: list it
          // first, so that whoever hears of it (a 'peer-connected' listener) finds it in peers().
          this.peers.set(ready.peerIdText, ready)
          handler.onReady(ready)
        },
        onShareMessage: (from, message) => handler.onShareMessage(from, message),
        onCancel: (from, id) => handler.onCancel(from, id),
        onClose: (closed, error) => {
          if (this.peers.get(closed.peerIdText) === closed) this.peers.delete(closed.peerIdText)
          if (ticket !== undefined) this.admission.release(ticket)
          handler.onClose(closed, error)
        },
      },
      {
        outbound,
        hello: { ...this.options.hello(), capabilities: this.options.protocols.names },
        protocols: this.options.protocols,
        log: this.log,
        ...(address !== undefined ? { address } : {}),
        ...(!outbound && this.options.inboundThroughProxy === true ? { address: null } : {}),
      },
    )
    peer.score = score
    this.peers.set(peer.peerIdText, peer)
    return peer
  }
}

/** The peer id a dialled address names (`webrtc://<peer id>`), for the handshake to check. */
function expectedPeer(address: string): { remotePeerId?: string } {
  try {
    const { scheme, host } = parseAddress(address)
    return scheme === 'webrtc' ? { remotePeerId: host } : {}
  } catch {
    return {}
  }
}
