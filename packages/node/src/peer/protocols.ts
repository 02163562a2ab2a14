import { MESSAGE_LIMITS } from '@mycel/wire'
import type { PeerLink } from '../swarm/peer.js'

/**
 * An optional protocol that a feature runs on every mycel connection whose
 * two sides both speak it (peer exchange, gossip for channels, signalling,
 * receipts...). The connection never learns its messages: it carries their
 * bytes in `ext` messages tagged with the protocol's name, and negotiates
 * the names in `hello` (each side lists the names it speaks; a protocol
 * opens where both listed it). A message of a protocol we do not speak is
 * ignored.
 *
 * @example
 * ```ts
 * const echo: ConnectionProtocol = {
 *   name: 'echo/1',
 *   open: (channel) => ({ onMessage: (body) => channel.send(body) }),
 * }
 * const node = await createNode({ protocols: [echo] })
 * ```
 */
export interface ConnectionProtocol {
  /**
   * Name and version, as listed in `hello.capabilities` (1 to 32
   * characters, e.g. `pex/1`). A new version of a protocol is a new name.
   */
  readonly name: string
  /**
   * A connection on which both sides speak the protocol is ready (its
   * `hello` arrived).
   * @param channel - sends the protocol's messages to that peer
   * @returns what receives the peer's messages of the protocol
   */
  open(channel: ProtocolChannel): ProtocolHandler
}

/** One connection's end of a {@link ConnectionProtocol}. */
export interface ProtocolChannel {
  /** The peer at the other end. */
  readonly link: PeerLink
  /**
   * Sends one message of the protocol (its own encoding, at most
   * `MESSAGE_LIMITS.maxExtensionBytes`). Dropped once the connection is closed.
   * @returns false when the connection is backed up (wait for `link.drained()`)
   */
  send(body: Uint8Array): boolean
}

/** Receives one connection's messages of a protocol. */
export interface ProtocolHandler {
  /**
   * A message of the protocol from the peer. The bytes are valid only while
   * the call runs: copy what you keep. Throwing a `WireError` (a message
   * that does not decode) closes the connection with `PEER_PROTOCOL`.
   */
  onMessage(body: Uint8Array): void
  /** The connection closed. */
  onClose?(): void
  /**
   * Whether the protocol still needs this connection (a channel's mesh
   * peer, say): while it does, the connection is not closed for being idle.
   * It is still closed to make room under `maxConnections`, and by the peer.
   */
  keepsOpen?(): boolean
}

const NAME = /^[\x21-\x7e]{1,32}$/

/**
 * The protocols a node speaks on its connections. Register them before the
 * node connects: the names go out in `hello`, so a protocol registered later
 * opens only on connections made after it.
 * @internal
 */
export class ProtocolRegistry {
  private readonly protocols = new Map<string, ConnectionProtocol>()

  /**
   * Adds a protocol.
   * @returns a function that removes it again (connections keep the channels they opened)
   * @throws TypeError for a malformed protocol; Error for a name taken already
   */
  register(protocol: ConnectionProtocol): () => void {
    if (typeof protocol !== 'object' || protocol === null || typeof protocol.open !== 'function') {
      throw new TypeError('a protocol needs a name and an open() function')
    }
    if (typeof protocol.name !== 'string' || !NAME.test(protocol.name)) {
      throw new TypeError(
        `a protocol name is 1 to ${MESSAGE_LIMITS.maxCapabilityLength} printable characters, not ${JSON.stringify(protocol.name)}`,
      )
    }
    if (this.protocols.has(protocol.name)) throw new Error(`protocol ${protocol.name} is registered already`)
    if (this.protocols.size >= MESSAGE_LIMITS.maxCapabilities) {
      throw new RangeError(`at most ${MESSAGE_LIMITS.maxCapabilities} protocols`)
    }
    this.protocols.set(protocol.name, protocol)
    return () => {
      if (this.protocols.get(protocol.name) === protocol) this.protocols.delete(protocol.name)
    }
  }

  /** The names we list in `hello.capabilities`. */
  get names(): string[] {
    return [...this.protocols.keys()]
  }

  /**
   * Opens, on one connection, every protocol that both sides speak.
   * @param theirs - the names the peer listed in its `hello`
   * @param channelFor - makes the connection's channel of a protocol
   * @returns the handlers, by protocol name
   */
  open(theirs: readonly string[], channelFor: (name: string) => ProtocolChannel): Map<string, ProtocolHandler> {
    const handlers = new Map<string, ProtocolHandler>()
    for (const name of new Set(theirs)) {
      const protocol = this.protocols.get(name)
      if (protocol !== undefined) handlers.set(name, protocol.open(channelFor(name)))
    }
    return handlers
  }
}
