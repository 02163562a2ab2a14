import type { SecureConnection } from '@mycel/transport'
import { peerIdToString } from '@mycel/transport'
import {
  type DataMessage,
  decodeMessage,
  encodeMessageParts,
  type HelloMessage,
  type Message,
  type MetaMessage,
  PROTOCOL_VERSION,
  type RejectMessage,
  WireError,
} from '@mycel/wire'
import type { ComponentLogger } from '@mycel/wire/log'
import { NodeError } from '../errors.js'
import type { PeerLink } from '../swarm/peer.js'
import type { ProtocolHandler, ProtocolRegistry } from './protocols.js'
import { SharePeer } from './share-peer.js'

/** A message about one share, routed to that share's swarm. @internal */
export type ShareMessage = Extract<Message, { infohash: Uint8Array }>

/** Shares a connection keeps a {@link SharePeer} for, at most (shares we run that the peer talks about). */
const MAX_SHARE_PEERS = 1024

/** `Omit` applied to each member of a union. @internal */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** The answer to one of our requests. @internal */
export type Answer = DataMessage | MetaMessage | RejectMessage

/** What a connection reports to its owner. @internal */
export interface PeerConnectionHandler {
  /** The remote's `hello` arrived and was accepted: the connection is ready. */
  onReady(peer: PeerConnection): void
  /** A share-scoped message (bitfield, have, request, meta-get, pex). */
  onShareMessage(peer: PeerConnection, message: ShareMessage): void
  /** The remote cancelled one of its requests. */
  onCancel(peer: PeerConnection, id: number): void
  /** The connection closed; `error` says why when it was not a clean close. */
  onClose(peer: PeerConnection, error: Error | undefined): void
}

interface Pending {
  sentAt: number
  timeoutMs: number
  onAnswer: (answer: Answer) => void
  onTimeout: () => void
}

const SWEEP_INTERVAL_MS = 1000
const HELLO_TIMEOUT_MS = 10_000

/**
 * One peer, over one secure connection: the msgpack-over-Noise
 * implementation of the peer seam ({@link PeerLink}, and a {@link SharePeer}
 * per share). Encodes and decodes peer-protocol messages, checks the
 * `hello`, opens the optional protocols both sides speak, numbers our
 * requests and matches answers to them, and times requests out. A message
 * that does not decode, or an answer to nothing we asked, closes the
 * connection with `PEER_PROTOCOL`.
 * @internal
 */
export class PeerConnection implements PeerLink {
  /** The remote's peer id (32 bytes). */
  readonly peerId: Uint8Array
  /** The remote's peer id as text. */
  readonly peerIdText: string
  /** Whether we dialled. */
  readonly outbound: boolean
  /** The address we dialled, or the remote address of an accepted stream. */
  readonly address: string | undefined
  /** The remote's `hello`, once received. */
  hello: HelloMessage | undefined
  /** The peer's score from the state store: better peers are asked first. */
  score = 0
  /** Bytes of payload received in `data` answers, and sent in ours. */
  bytesReceived = 0
  bytesSent = 0
  /** When the connection was adopted (ms since the epoch). */
  readonly connectedAt = Date.now()
  /** When the peer last joined a share or payload last moved either way (else {@link PeerConnection.connectedAt}). */
  lastActiveAt = this.connectedAt
  /** When payload (pieces or metadata) last moved either way; 0 if never. */
  lastTransferAt = 0
  /** Infohashes (hex) of the shares the peer joined on this connection (sent a `bitfield` we took). */
  readonly joined = new Set<string>()
  /** Messages of optional protocols that we do not speak, or that the peer did not list (ignored). */
  ignoredExtensions = 0

  private readonly registry: ProtocolRegistry
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly sweeper: ReturnType<typeof setInterval>
  private readonly helloTimer: ReturnType<typeof setTimeout>
  private closing: Promise<void> | undefined
  private readonly shares = new Map<string, SharePeer>()
  private protocols: Map<string, ProtocolHandler> = new Map()
  private readonly log: ComponentLogger | undefined

  constructor(
    private readonly connection: SecureConnection,
    private readonly handler: PeerConnectionHandler,
    options: {
      outbound: boolean
      /** The address we dialled; `null` when where an inbound stream comes from says nothing of the peer (a local proxy). */
      address?: string | null
      hello: HelloMessage
      protocols: ProtocolRegistry
      /** Where ignored messages are logged (`mycel:peer`); closes are logged by the connection's owner. */
      log?: ComponentLogger
    },
  ) {
    this.log = options.log
    this.peerId = connection.remotePeerId
    this.peerIdText = peerIdToString(this.peerId)
    this.outbound = options.outbound
    this.address = options.address === null ? undefined : (options.address ?? connection.remoteAddress)
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS)
    this.sweeper.unref?.()
    this.helloTimer = setTimeout(() => {
      void this.close(new NodeError('PEER_TIMEOUT', `${this.peerIdText} sent no hello`))
    }, HELLO_TIMEOUT_MS)
    this.helloTimer.unref?.()
    this.registry = options.protocols
    // Our hello goes first: messages that arrived during the handshake are
    // delivered as soon as the handler is set, and may make us answer.
    this.send(options.hello)
    connection.onMessage((bytes) => this.receive(bytes))
    void connection.closed.then((error) => this.finish(error))
  }

  /** The peer's key for scores and bans: its peer id (base32). */
  get key(): string {
    return this.peerIdText
  }

  /** The key as the state store keeps it: the 32-byte peer id. */
  get keyBytes(): Uint8Array {
    return this.peerId
  }

  /** The software the peer reported in its `hello`. */
  get agent(): string | undefined {
    return this.hello?.agent
  }

  /**
   * The peer as one share's swarm sees it (the same object for the same
   * share, while the connection lasts).
   */
  forShare(infohash: Uint8Array, infohashHex: string): SharePeer {
    let peer = this.shares.get(infohashHex)
    if (peer === undefined) {
      peer = new SharePeer(this, infohash.slice())
      // Kept only for shares we run (the router asks), so the map stays small; past the cap, not kept.
      if (this.shares.size < MAX_SHARE_PEERS) this.shares.set(infohashHex, peer)
    }
    return peer
  }

  /** The shares' peers made on this connection so far. */
  sharePeers(): IterableIterator<SharePeer> {
    return this.shares.values()
  }

  /** Whether the peer speaks an optional protocol (both sides listed it in `hello`). */
  speaks(protocol: string): boolean {
    return this.protocols.has(protocol)
  }

  /**
   * Sends a message of an optional protocol the peer speaks.
   * @returns false when the connection is backed up, or the peer does not speak it (nothing sent)
   */
  sendExtension(protocol: string, body: Uint8Array): boolean {
    if (!this.protocols.has(protocol)) return false
    return this.send({ type: 'ext', protocol, body })
  }

  /**
   * Where others can dial this peer: the first address of its `hello`, with
   * an unspecified host (`0.0.0.0`, `::`) replaced by the host we see it at.
   */
  get listenAddress(): string | undefined {
    const advertised = this.hello?.listen[0]
    if (advertised === undefined) return undefined
    const match = /^(\w+):\/\/(0\.0\.0\.0|\[::\]):(\d+)$/.exec(advertised)
    if (match === null) return advertised
    const seen = this.address === undefined ? undefined : /^\w+:\/\/(.+):\d+$/.exec(this.address)?.[1]
    return seen === undefined ? undefined : `${match[1]}://${seen}:${match[3]}`
  }

  /** Whether the connection is closed or closing. */
  get isClosed(): boolean {
    return this.closing !== undefined || this.connection.isClosed
  }

  /** Requests waiting for an answer. */
  get pendingRequests(): number {
    return this.pending.size
  }

  /** Whether buffered outgoing bytes are over the high-water mark. */
  get congested(): boolean {
    return this.connection.writableNeedDrain
  }

  /**
   * Sends one message. Returns false when the connection is backed up (wait
   * for {@link PeerConnection.drained}); messages to a closed connection are dropped.
   */
  send(message: Message): boolean {
    if (this.isClosed) return false
    // A data message's payload is copied once, straight into the channel's buffer.
    return this.connection.writeParts(encodeMessageParts(message))
  }

  /** Resolves when more may be sent (rejects when the connection closes). */
  drained(signal?: AbortSignal): Promise<void> {
    return this.connection.drained({ signal })
  }

  /**
   * Sends a request (`request` or `meta-get`) with a fresh id and calls
   * `onAnswer` with its `data`, `meta` or `reject`, or `onTimeout` when none
   * comes within `timeoutMs`. Returns the id, for {@link PeerConnection.cancel}.
   */
  request(
    message: OmitEach<Extract<Message, { type: 'request' | 'meta-get' }>, 'id'>,
    timeoutMs: number,
    onAnswer: (answer: Answer) => void,
    onTimeout: () => void,
  ): number {
    const id = this.nextId
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1
    this.pending.set(id, { sentAt: Date.now(), timeoutMs, onAnswer, onTimeout })
    this.send({ ...message, id } as Message)
    return id
  }

  /** Whether an optional protocol still needs this connection (see `ProtocolHandler.keepsOpen`). */
  keptOpen(): boolean {
    for (const protocol of this.protocols.values()) if (protocol.keepsOpen?.() === true) return true
    return false
  }

  /** Notes that the peer joined a share (its `bitfield` was taken): the connection is not idle. */
  joinedShare(infohashHex: string): void {
    this.joined.add(infohashHex)
    this.lastActiveAt = Date.now()
  }

  /** Notes that payload (a piece range or a metadata slice) moved either way. */
  transferred(): void {
    this.lastTransferAt = Date.now()
    this.lastActiveAt = this.lastTransferAt
  }

  /** Forgets a request of ours and tells the remote not to bother. */
  cancel(id: number): void {
    if (this.pending.delete(id)) this.send({ type: 'cancel', id })
  }

  /**
   * Closes the connection (idempotent). With an error, pending requests are
   * dropped at once and the stream is reset.
   */
  close(error?: Error): Promise<void> {
    this.closing ??= this.connection.close(error)
    return this.closing
  }

  private receive(bytes: Uint8Array): void {
    let message: Message
    try {
      message = decodeMessage(bytes)
    } catch (err) {
      if (err instanceof WireError) {
        void this.close(NodeError.protocol(`${this.peerIdText} sent a bad message: ${err.message}`, err))
        return
      }
      throw err
    }
    if (this.hello === undefined) {
      this.onHello(message)
      return
    }
    switch (message.type) {
      case 'data':
      case 'meta':
      case 'reject':
        this.onAnswer(message)
        return
      case 'cancel':
        this.handler.onCancel(this, message.id)
        return
      case 'hello':
        void this.close(NodeError.protocol(`${this.peerIdText} sent hello twice`))
        return
      case 'ext':
        this.onExtension(message.protocol, message.body)
        return
      default:
        this.handler.onShareMessage(this, message)
    }
  }

  private onHello(message: Message): void {
    if (message.type !== 'hello') {
      void this.close(NodeError.protocol(`${this.peerIdText} sent ${message.type} before hello`))
      return
    }
    if (message.version !== PROTOCOL_VERSION) {
      void this.close(
        new NodeError('PEER_VERSION', `${this.peerIdText} speaks protocol ${message.version}, not ${PROTOCOL_VERSION}`),
      )
      return
    }
    clearTimeout(this.helloTimer)
    this.hello = message
    this.protocols = this.registry.open(message.capabilities, (protocol) => ({
      link: this,
      send: (body) => this.sendExtension(protocol, body),
    }))
    this.handler.onReady(this)
  }

  private onExtension(protocol: string, body: Uint8Array): void {
    const handler = this.protocols.get(protocol)
    if (handler === undefined) {
      this.ignoredExtensions++ // a protocol we do not speak (or one the peer did not list): not fatal
      if (this.log?.enabled('debug')) {
        const why = this.registry.names.includes(protocol) ? 'it did not list it in its hello' : 'we do not speak it'
        this.log.debug(`ignored a ${JSON.stringify(protocol)} message of ${this.peerIdText}: ${why}`)
      }
      return
    }
    try {
      handler.onMessage(body)
    } catch (err) {
      if (!(err instanceof WireError)) throw err
      void this.close(NodeError.protocol(`${this.peerIdText} sent a bad ${protocol} message: ${err.message}`, err))
    }
  }

  private onAnswer(answer: Answer): void {
    const pending = this.pending.get(answer.id)
    if (pending === undefined) return // answered after we cancelled or timed out
    this.pending.delete(answer.id)
    if (answer.type === 'data') this.bytesReceived += answer.bytes.length
    if (answer.type !== 'reject') this.transferred()
    pending.onAnswer(answer)
  }

  private sweep(): void {
    const now = Date.now()
    for (const [id, pending] of this.pending) {
      if (now - pending.sentAt < pending.timeoutMs) continue
      this.pending.delete(id)
      pending.onTimeout()
    }
  }

  private finish(error: Error | undefined): void {
    clearInterval(this.sweeper)
    clearTimeout(this.helloTimer)
    this.pending.clear()
    this.closing ??= Promise.resolve()
    for (const protocol of this.protocols.values()) protocol.onClose?.()
    this.handler.onClose(this, error)
  }
}
