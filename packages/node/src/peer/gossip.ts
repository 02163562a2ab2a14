import { decodeGossipBody, encodeGossipBody, GOSSIP_PROTOCOL, toHex } from '@mycel/wire'
import type { PeerLink } from '../swarm/peer.js'
import { Allowance } from './budgets.js'
import type { ConnectionProtocol, ProtocolChannel, ProtocolHandler } from './protocols.js'

/**
 * Gossip messages one peer may send us: 32 at once, then 8 a second; the
 * others are dropped unread. A message is at most 64 KiB and costs a topic
 * lookup and the subscribers' handlers.
 */
export const GOSSIP_BUDGET = { burst: 32, perSecond: 8 } as const

/** Receives the updates pushed on a topic. */
export type GossipHandler = (payload: Uint8Array, from: PeerLink) => void

/**
 * Pushed updates on topics (`gossip/1`), an optional protocol on every
 * connection: what channels build on. A feature subscribes to a topic and
 * publishes to it; each message goes to every connected peer that speaks
 * `gossip/1`, and a peer hands it to its subscribers of that topic (a topic
 * nobody here subscribed to is dropped). Gossip does not relay by itself:
 * a subscriber that verified an update publishes it on, so what travels is
 * what each hop checked.
 *
 * @example
 * ```ts
 * const off = node.gossip.subscribe(topic, (payload, from) => console.log(from.key, payload))
 * node.gossip.publish(topic, payload)
 * node.gossip.onPeer((peer) => node.gossip.sendTo(peer, topic, latest))
 * ```
 */
export class Gossip implements ConnectionProtocol {
  readonly name = GOSSIP_PROTOCOL
  private readonly channels = new Map<PeerLink, ProtocolChannel>()
  private readonly budgets = new WeakMap<PeerLink, Allowance>()
  private readonly topics = new Map<string, Set<GossipHandler>>()
  private readonly peerHandlers = new Set<(peer: PeerLink) => void>()
  private readonly keepers = new Set<(peer: PeerLink) => boolean>()

  /** @internal */
  open(channel: ProtocolChannel): ProtocolHandler {
    this.channels.set(channel.link, channel)
    // After open returns: the connection takes our messages of the protocol only once it has every handler.
    queueMicrotask(() => {
      if (this.channels.get(channel.link) !== channel || channel.link.isClosed) return
      for (const handler of [...this.peerHandlers]) handler(channel.link)
    })
    return {
      onMessage: (body) => this.receive(channel.link, body),
      onClose: () => this.channels.delete(channel.link),
      keepsOpen: () => {
        for (const keeps of this.keepers) if (keeps(channel.link)) return true
        return false
      },
    }
  }

  /**
   * Keeps the connections `keeps` names open while it names them: they are
   * not closed for being idle (a feature that waits for updates from a peer,
   * as a channel waits for its mesh's, though nothing moves meanwhile).
   *
   * @param keeps - whether a connection is still needed
   * @returns a function that stops keeping
   */
  keepOpen(keeps: (peer: PeerLink) => boolean): () => void {
    this.keepers.add(keeps)
    return () => {
      this.keepers.delete(keeps)
    }
  }

  /** Connected peers that speak `gossip/1`. */
  get peers(): PeerLink[] {
    return [...this.channels.keys()]
  }

  /**
   * Calls `handler` with every update pushed on `topic` (1 to 64 bytes).
   * The payload is valid only while the handler runs: copy what you keep.
   * @returns a function that unsubscribes
   */
  subscribe(topic: Uint8Array, handler: GossipHandler): () => void {
    const key = topicKey(topic)
    let handlers = this.topics.get(key)
    if (handlers === undefined) {
      handlers = new Set()
      this.topics.set(key, handlers)
    }
    handlers.add(handler)
    return () => {
      handlers.delete(handler)
      if (handlers.size === 0 && this.topics.get(key) === handlers) this.topics.delete(key)
    }
  }

  /**
   * Calls `handler` for each peer whose `gossip/1` channel opens (to tell it
   * the latest of what it may want), once the channel takes messages.
   * @returns a function that removes the handler
   */
  onPeer(handler: (peer: PeerLink) => void): () => void {
    this.peerHandlers.add(handler)
    return () => this.peerHandlers.delete(handler)
  }

  /**
   * Pushes an update on `topic` to every connected peer that speaks gossip.
   * @param options - `except`: a peer not to send it to (the one it came from)
   * @returns how many peers it went to
   * @throws `WireError` for a topic of 0 or over 64 bytes, or a payload over 64 KiB
   */
  publish(topic: Uint8Array, payload: Uint8Array, options: { except?: PeerLink } = {}): number {
    const body = encodeGossipBody({ topic, payload })
    let sent = 0
    for (const [peer, channel] of this.channels) {
      if (peer === options.except || peer.isClosed) continue
      channel.send(body)
      sent++
    }
    return sent
  }

  /**
   * Pushes an update on `topic` to one peer.
   * @returns whether it went (the peer speaks gossip and is connected)
   */
  sendTo(peer: PeerLink, topic: Uint8Array, payload: Uint8Array): boolean {
    const channel = this.channels.get(peer)
    if (channel === undefined || peer.isClosed) return false
    channel.send(encodeGossipBody({ topic, payload }))
    return true
  }

  private receive(from: PeerLink, body: Uint8Array): void {
    let allowance = this.budgets.get(from)
    if (allowance === undefined) {
      allowance = new Allowance(GOSSIP_BUDGET.burst, (GOSSIP_BUDGET.burst * 1000) / GOSSIP_BUDGET.perSecond, Date.now())
      this.budgets.set(from, allowance)
    }
    if (!allowance.take(1, Date.now())) return
    const { topic, payload } = decodeGossipBody(body) // a malformed body closes the connection
    const handlers = this.topics.get(topicKey(topic))
    if (handlers === undefined) return
    for (const handler of [...handlers]) handler(payload, from)
  }
}

function topicKey(topic: Uint8Array): string {
  return toHex(topic)
}
