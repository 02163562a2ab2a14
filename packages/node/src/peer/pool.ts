import {
  type ByteStream,
  type Identity,
  type Listener,
  peerIdToString,
  type SecureConnection,
  type Transport,
  transportFor,
} from '@mycel/transport'
import { secure } from '@mycel/transport/node'
import type { HelloMessage } from '@mycel/wire'
import { NodeError } from '../errors.js'
import { PeerConnection, type PeerConnectionHandler } from './connection.js'
import { canonicalAddress, reachableAt } from './reachable.js'

/** Settings and callbacks of a {@link ConnectionPool}. @internal */
export interface PoolOptions {
  identity: Identity
  transports: readonly Transport[]
  maxConnections: number
  handshakeTimeoutMs: number
  /** Our `hello`, built when a connection opens (listen addresses may change). */
  hello(): HelloMessage
  /** Whether a peer id is banned now. */
  isBanned(peerIdText: string): boolean
  /** The peer's stored score, to order peers. */
  scoreOf(peerIdText: string): Promise<number>
  /** Handlers of every ready connection's messages. */
  handler: Omit<PeerConnectionHandler, 'onReady'> & { onReady(peer: PeerConnection): void }
}

/**
 * The node's connections: one secure connection per remote peer. Listens,
 * dials (one dial per address at a time), refuses banned peers, ourselves
 * and connections over the limit, and when two connections to the same
 * peer meet (both dialled at once) keeps the one dialled by the peer with
 * the lower id, which both sides agree on.
 * @internal
 */
export class ConnectionPool {
  private readonly listeners: Listener[] = []
  private readonly peers = new Map<string, PeerConnection>()
  private readonly dialing = new Map<string, Promise<PeerConnection>>()
  private readonly handshaking = new Set<SecureConnection>()
  private readonly ownId: string
  private closed = false

  constructor(private readonly options: PoolOptions) {
    this.ownId = options.identity.toString()
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
   * Connects to `address` (or returns the connection it already leads to).
   * @throws TransportError when the dial or handshake fails; NodeError for a
   *   banned peer, ourselves, a duplicate we dropped, or the connection limit
   */
  dial(address: string, signal?: AbortSignal): Promise<PeerConnection> {
    if (this.closed) return Promise.reject(NodeError.closed())
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

  private async accept(stream: ByteStream): Promise<void> {
    if (this.closed || this.peers.size >= this.options.maxConnections) {
      await stream.close(new NodeError('PEER_LIMIT', 'too many connections'))
      return
    }
    try {
      await this.upgrade(stream, false, undefined)
    } catch {
      // A failed inbound handshake concerns nobody but that connection.
    }
  }

  private async upgrade(
    stream: ByteStream,
    outbound: boolean,
    address: string | undefined,
    signal?: AbortSignal,
  ): Promise<PeerConnection> {
    const pending = secure(stream, this.options.identity, {
      initiator: outbound,
      handshakeTimeout: this.options.handshakeTimeoutMs,
      // Handlers copy what they keep (a block into its piece, a parked bitfield).
      transientMessages: true,
      ...(signal ? { signal } : {}),
    })
    const connection = await pending
    this.handshaking.add(connection)
    try {
      const remote = peerIdToString(connection.remotePeerId)
      const score = await this.options.scoreOf(remote)
      // From here to adopt() nothing awaits, so two connections to one peer
      // finishing together are compared one after the other.
      const refusal = this.closed ? NodeError.closed() : this.refusal(remote, outbound)
      if (refusal !== undefined) {
        void connection.close(refusal)
        throw refusal
      }
      void this.peers.get(remote)?.close(new NodeError('PEER_DUPLICATE', 'replaced by the connection both sides keep'))
      return this.adopt(connection, outbound, address, score)
    } finally {
      this.handshaking.delete(connection)
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
  ): PeerConnection {
    const { handler } = this.options
    const peer: PeerConnection = new PeerConnection(
      connection,
      {
        onReady: (ready) => handler.onReady(ready),
        onShareMessage: (from, message) => handler.onShareMessage(from, message),
        onCancel: (from, id) => handler.onCancel(from, id),
        onClose: (closed, error) => {
          if (this.peers.get(closed.peerIdText) === closed) this.peers.delete(closed.peerIdText)
          handler.onClose(closed, error)
        },
      },
      { outbound, hello: this.options.hello(), ...(address !== undefined ? { address } : {}) },
    )
    peer.score = score
    this.peers.set(peer.peerIdText, peer)
    return peer
  }
}
