import { parsePeerId, peerIdToString } from '@mycel/transport'
import type { WebRtcSignaller } from '@mycel/transport/webrtc'
import { type ComponentLogger, componentLogger, describeError, type Logger } from '@mycel/wire/log'
import { NodeError } from '../errors.js'
import { Allowance } from '../peer/budgets.js'
import type { ConnectionProtocol, ProtocolChannel, ProtocolHandler } from '../peer/protocols.js'
import type { PeerLink } from '../swarm/peer.js'
import {
  decodeSignalMessage,
  encodeSignalMessage,
  SIGNAL_PROTOCOL,
  type SignalMessage,
  type SignalRefusal,
} from './messages.js'
import { Rendezvous } from './rendezvous.js'

/**
 * What one peer may make us do over `signal/1`; `docs/limits.md` gives
 * each number. An offer costs the middle peer a few bytes of state and a
 * message, and the target a peer connection (ICE gathering, sockets).
 */
export const SIGNAL_LIMITS = {
  /** Offers (to relay or to answer) one peer may send: 8 at once, then one every 2 s; more are refused `busy`. */
  offerBurst: 8,
  offerIntervalMs: 2000,
  /** Offers of one peer being relayed at once (waiting for their answer); more are refused `busy`. */
  maxRelayedPerPeer: 4,
  /** Offers being relayed at once, from every peer; more are refused `busy`. */
  maxRelayed: 64,
  /** How long a relayed offer waits for its answer before it is refused `timeout`. */
  relayTimeoutMs: 15_000,
  /** Middle peers an offer of ours is tried through, one after the other, while they answer `unreachable`. */
  maxRoutes: 4,
  /** Peers remembered as reachable through the middle peer that named them (`peers`); the oldest are forgotten. */
  maxRememberedRoutes: 4096,
  /** `join`s one peer may send: 64 at once, then one a second; more are ignored. */
  joinBurst: 64,
  joinIntervalMs: 1000,
  /** `peers` messages one peer may send: 64 at once, then one a second; more are ignored. */
  peersBurst: 64,
  peersIntervalMs: 1000,
} as const

/** Options of {@link SignalProtocol}. */
export interface SignalProtocolOptions {
  /** Our peer id in its text form: offers addressed to it are answered here. */
  localPeerId: string
  /** Whether we pass on offers between two of our peers. Default true. */
  relay?: boolean
  /** Where refused and failed offers are logged (`mycel:signal`). Default: silent. */
  logger?: Logger
}

/** The answer to our offer was a refusal. */
class OfferRefused extends NodeError {
  constructor(readonly reason: SignalRefusal) {
    super('SIGNAL_FAILED', `the offer was refused: ${reason}`)
  }
}

interface Exchange {
  readonly via: PeerLink
  resolve(sdp: string): void
  reject(error: Error): void
}

interface Relayed {
  readonly requester: ProtocolChannel
  readonly requesterId: number
  readonly target: PeerLink
  readonly timer: ReturnType<typeof setTimeout>
}

/**
 * WebRTC signalling through a peer both sides are connected to
 * (`signal/1`), an optional protocol on the connection registry and the
 * {@link WebRtcSignaller} of the node's WebRTC transport. Our offer for
 * peer B goes to a connected peer M as a `relay` message; M passes it to B
 * as an `offer` naming us as its source, and B's answer comes back the same
 * way. What M relays is bounded by {@link SIGNAL_LIMITS}. Nothing here is
 * trusted for identity: the Noise handshake over the data channel checks
 * the peer id the offer was meant for.
 */
export class SignalProtocol implements ConnectionProtocol, WebRtcSignaller {
  readonly name = SIGNAL_PROTOCOL
  private readonly channels = new Map<string, ProtocolChannel>()
  private readonly budgets = new WeakMap<PeerLink, Allowance>()
  private readonly exchanges = new Map<number, Exchange>()
  private readonly relayed = new Map<number, Relayed>()
  private readonly relayedPer = new Map<PeerLink, number>()
  private readonly answerers = new Map<string, (peerId: string, offerSdp: string) => Promise<string>>()
  private readonly joinBudgets = new WeakMap<PeerLink, Allowance>()
  private readonly peersBudgets = new WeakMap<PeerLink, Allowance>()
  private readonly rendezvous = new Rendezvous()
  private readonly joinables = new Set<(send: (key: Uint8Array) => void) => void>()
  private readonly peersHandlers = new Set<(key: Uint8Array, peers: readonly Uint8Array[]) => void>()
  /** Middle peers that named a peer in a `peers` message (it reaches that peer), by peer id, the newest last. */
  private readonly reachableVia = new Map<string, PeerLink>()
  private readonly log: ComponentLogger
  private readonly relays: boolean
  private nextId = 1

  constructor(private readonly options: SignalProtocolOptions) {
    this.log = componentLogger(options.logger, 'mycel:signal')
    this.relays = options.relay ?? true
  }

  /** Connected peers that speak `signal/1`, by peer id. */
  get peers(): string[] {
    return [...this.channels.keys()]
  }

  /** Offers being relayed now (waiting for their answer). */
  get relaying(): number {
    return this.relayed.size
  }

  /** Shares some peer joined here (as a middle peer). */
  get rendezvousShares(): number {
    return this.rendezvous.shares
  }

  /** @internal */
  open(channel: ProtocolChannel): ProtocolHandler {
    this.channels.set(channel.link.key, channel)
    // After open returns: the connection takes our messages of the protocol only once it has every handler.
    queueMicrotask(() => {
      if (this.channels.get(channel.link.key) !== channel || channel.link.isClosed) return
      const send = (key: Uint8Array): void => {
        channel.send(encodeSignalMessage({ type: 'join', key }))
      }
      for (const joinable of [...this.joinables]) joinable(send)
    })
    return {
      onMessage: (body) => this.receive(channel, decodeSignalMessage(body)),
      onClose: () => this.closed(channel),
    }
  }

  /**
   * Sends our offer to `peerId` through connected peers that speak
   * `signal/1` (at most {@link SIGNAL_LIMITS}.maxRoutes of them, one after
   * the other while they cannot reach it) and waits for the answer.
   *
   * @param peerId - the target's peer id, in text
   * @param offerSdp - our complete offer
   * @param options - aborting gives up
   * @returns the target's complete answer
   * @throws NodeError `SIGNAL_FAILED` when no middle peer got an answer (the message says why); `ABORTED`
   */
  async exchange(peerId: string, offerSdp: string, options: { signal: AbortSignal }): Promise<string> {
    // A middle peer that named the target in a `peers` message first: it reaches it.
    const named = this.reachableVia.get(peerId)
    const routes = [...this.channels.values()]
      .filter((channel) => channel.link.key !== peerId && !channel.link.isClosed)
      .sort((a, b) => Number(b.link === named) - Number(a.link === named))
      .slice(0, SIGNAL_LIMITS.maxRoutes)
    if (routes.length === 0) {
      throw new NodeError('SIGNAL_FAILED', `no connected peer speaks ${SIGNAL_PROTOCOL} to reach ${peerId} through`)
    }
    const target = parsePeerId(peerId)
    let last: Error | undefined
    for (const route of routes) {
      options.signal.throwIfAborted()
      try {
        return await this.exchangeVia(route, target, offerSdp, options.signal)
      } catch (error) {
        if (options.signal.aborted) throw error
        last = error as Error
        if (!(error instanceof OfferRefused && error.reason === 'unreachable')) break
      }
    }
    throw last ?? new NodeError('SIGNAL_FAILED', `no answer from ${peerId}`)
  }

  /**
   * Answers offers addressed to `localPeerId` (ours) with `answer`.
   * @throws Error for another peer id than ours
   */
  onOffer(localPeerId: string, answer: (peerId: string, offerSdp: string) => Promise<string>): () => void {
    if (localPeerId !== this.options.localPeerId) throw new Error(`offers come here for ${this.options.localPeerId}`)
    this.answerers.set(localPeerId, answer)
    return () => {
      if (this.answerers.get(localPeerId) === answer) this.answerers.delete(localPeerId)
    }
  }

  /**
   * Tells every connected `signal/1` peer that we have or want the share
   * announced under `key` (a `join`); each answers with the other joiners.
   * @returns how many peers it went to
   */
  join(key: Uint8Array): number {
    const body = encodeSignalMessage({ type: 'join', key })
    let sent = 0
    for (const channel of this.channels.values()) {
      if (channel.link.isClosed) continue
      channel.send(body)
      sent++
    }
    return sent
  }

  /**
   * Calls `joinable` for each `signal/1` connection that opens, with a
   * function that sends it a `join` (to join there what we joined before).
   * @returns a function that removes it
   */
  onJoinable(joinable: (send: (key: Uint8Array) => void) => void): () => void {
    this.joinables.add(joinable)
    return () => this.joinables.delete(joinable)
  }

  /**
   * Calls `handler` with the peers a middle peer names for a share (its
   * answer to our `join`, or a peer that joined after us).
   * @returns a function that removes it
   */
  onPeers(handler: (key: Uint8Array, peers: readonly Uint8Array[]) => void): () => void {
    this.peersHandlers.add(handler)
    return () => this.peersHandlers.delete(handler)
  }

  private exchangeVia(route: ProtocolChannel, target: Uint8Array, sdp: string, signal: AbortSignal): Promise<string> {
    const id = this.takeId()
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => {
        this.exchanges.delete(id)
        reject(signal.reason)
      }
      const settle = (): void => {
        this.exchanges.delete(id)
        signal.removeEventListener('abort', onAbort)
      }
      this.exchanges.set(id, {
        via: route.link,
        resolve: (answer) => {
          settle()
          resolve(answer)
        },
        reject: (error) => {
          settle()
          reject(error)
        },
      })
      signal.addEventListener('abort', onAbort, { once: true })
      route.send(encodeSignalMessage({ type: 'relay', id, target, sdp }))
    })
  }

  private receive(from: ProtocolChannel, message: SignalMessage): void {
    switch (message.type) {
      case 'relay':
        this.relay(from, message.id, message.target, message.sdp)
        return
      case 'offer':
        this.answerOffer(from, message.id, peerIdToString(message.source), message.sdp)
        return
      case 'join':
        if (this.relays && budget(this.joinBudgets, from.link, SIGNAL_LIMITS.joinBurst, SIGNAL_LIMITS.joinIntervalMs)) {
          this.rendezvous.join(from, message.key)
        }
        return
      case 'peers':
        if (budget(this.peersBudgets, from.link, SIGNAL_LIMITS.peersBurst, SIGNAL_LIMITS.peersIntervalMs)) {
          for (const peer of message.peers) this.noteReachable(peerIdToString(peer), from.link)
          for (const handler of [...this.peersHandlers]) handler(message.key, message.peers)
        }
        return
      case 'answer':
      case 'refuse': {
        const relayed = this.relayed.get(message.id)
        if (relayed !== undefined && relayed.target === from.link) {
          this.finishRelay(message.id, relayed)
          relayed.requester.send(encodeSignalMessage({ ...message, id: relayed.requesterId }))
          return
        }
        const exchange = this.exchanges.get(message.id)
        if (exchange === undefined || exchange.via !== from.link) return // late, or not ours to take
        if (message.type === 'answer') exchange.resolve(message.sdp)
        else exchange.reject(new OfferRefused(message.reason))
        return
      }
    }
  }

  /** Whether `link` may send one more offer now. */
  private allowed(link: PeerLink): boolean {
    let allowance = this.budgets.get(link)
    if (allowance === undefined) {
      allowance = new Allowance(
        SIGNAL_LIMITS.offerBurst,
        SIGNAL_LIMITS.offerBurst * SIGNAL_LIMITS.offerIntervalMs,
        Date.now(),
      )
      this.budgets.set(link, allowance)
    }
    return allowance.take(1, Date.now())
  }

  private relay(from: ProtocolChannel, id: number, target: Uint8Array, sdp: string): void {
    const refuse = (reason: 'unreachable' | 'busy'): void => {
      this.log.debug(`refused to relay an offer of ${from.link.key}: ${reason}`)
      from.send(encodeSignalMessage({ type: 'refuse', id, reason }))
    }
    const targetId = peerIdToString(target)
    // An offer for us needs no middle peer.
    if (targetId === this.options.localPeerId) {
      this.answerOffer(from, id, from.link.key, sdp)
      return
    }
    if (!this.allowed(from.link)) {
      refuse('busy')
      return
    }
    if (!this.relays) {
      refuse('unreachable')
      return
    }
    const to = this.channels.get(targetId)
    if (to === undefined || to.link.isClosed || to.link === from.link) {
      refuse('unreachable')
      return
    }
    const pending = this.relayedPer.get(from.link) ?? 0
    if (pending >= SIGNAL_LIMITS.maxRelayedPerPeer || this.relayed.size >= SIGNAL_LIMITS.maxRelayed) {
      refuse('busy')
      return
    }
    const relayId = this.takeId()
    const timer = setTimeout(() => {
      const entry = this.relayed.get(relayId)
      if (entry === undefined) return
      this.finishRelay(relayId, entry)
      entry.requester.send(encodeSignalMessage({ type: 'refuse', id: entry.requesterId, reason: 'timeout' }))
    }, SIGNAL_LIMITS.relayTimeoutMs)
    ;(timer as { unref?: () => void }).unref?.()
    this.relayed.set(relayId, { requester: from, requesterId: id, target: to.link, timer })
    this.relayedPer.set(from.link, pending + 1)
    to.send(encodeSignalMessage({ type: 'offer', id: relayId, source: from.link.keyBytes, sdp }))
  }

  private finishRelay(id: number, entry: Relayed): void {
    clearTimeout(entry.timer)
    this.relayed.delete(id)
    const left = (this.relayedPer.get(entry.requester.link) ?? 1) - 1
    if (left <= 0) this.relayedPer.delete(entry.requester.link)
    else this.relayedPer.set(entry.requester.link, left)
  }

  private answerOffer(from: ProtocolChannel, id: number, sourceId: string, sdp: string): void {
    const refuse = (reason: 'busy' | 'refused'): void => {
      from.send(encodeSignalMessage({ type: 'refuse', id, reason }))
    }
    if (!this.allowed(from.link)) {
      refuse('busy')
      return
    }
    const answer = this.answerers.get(this.options.localPeerId)
    if (answer === undefined) {
      refuse('refused')
      return
    }
    answer(sourceId, sdp).then(
      (answerSdp) => {
        if (!from.link.isClosed) from.send(encodeSignalMessage({ type: 'answer', id, sdp: answerSdp }))
      },
      (error) => {
        this.log.debug(`did not answer the offer of ${sourceId} through ${from.link.key}: ${describeError(error)}`)
        if (!from.link.isClosed) refuse('refused')
      },
    )
  }

  /** Remembers that `via` reaches `peerId` (at most {@link SIGNAL_LIMITS}.maxRememberedRoutes peers, the oldest forgotten). */
  private noteReachable(peerId: string, via: PeerLink): void {
    this.reachableVia.delete(peerId)
    this.reachableVia.set(peerId, via)
    if (this.reachableVia.size > SIGNAL_LIMITS.maxRememberedRoutes) {
      this.reachableVia.delete(this.reachableVia.keys().next().value as string)
    }
  }

  private closed(channel: ProtocolChannel): void {
    const link = channel.link
    if (this.channels.get(link.key) === channel) this.channels.delete(link.key)
    this.rendezvous.leave(link)
    for (const [peerId, via] of [...this.reachableVia]) if (via === link) this.reachableVia.delete(peerId)
    for (const exchange of [...this.exchanges.values()]) {
      if (exchange.via === link) exchange.reject(new NodeError('SIGNAL_FAILED', 'the middle peer disconnected'))
    }
    for (const [id, entry] of [...this.relayed]) {
      if (entry.requester.link === link) this.finishRelay(id, entry)
      else if (entry.target === link) {
        this.finishRelay(id, entry)
        entry.requester.send(encodeSignalMessage({ type: 'refuse', id: entry.requesterId, reason: 'unreachable' }))
      }
    }
  }

  private takeId(): number {
    const id = this.nextId
    this.nextId = this.nextId >= 2 ** 32 - 1 ? 1 : this.nextId + 1
    return id
  }
}

/** Takes one unit of `link`'s allowance in `budgets` (made on first use); whether there was one. */
function budget(budgets: WeakMap<PeerLink, Allowance>, link: PeerLink, burst: number, intervalMs: number): boolean {
  let allowance = budgets.get(link)
  if (allowance === undefined) {
    allowance = new Allowance(burst, burst * intervalMs, Date.now())
    budgets.set(link, allowance)
  }
  return allowance.take(1, Date.now())
}
