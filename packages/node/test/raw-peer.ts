import { Identity, type SecureConnection, type Transport } from '@mycel/transport'
import { secure } from '@mycel/transport/node'
import { decodeMessage, encodeMessage, type Message, PROTOCOL_VERSION } from '@mycel/wire'

/**
 * A hand-driven peer for hostile-input tests: it speaks the protocol only as
 * far as the test script says, and can send anything.
 */
export class RawPeer {
  readonly identity = Identity.generate()
  readonly received: Message[] = []
  connection: SecureConnection | undefined
  private listeners: Array<(message: Message) => void> = []

  /**
   * Dials `address` over `transport` and completes the secure handshake and hello.
   * @param capabilities - the optional protocols its `hello` lists (`pex/1`, ...)
   * @param listen - the listen addresses its `hello` gives
   */
  static async dial(
    transport: Transport,
    address: string,
    capabilities: string[] = [],
    listen: string[] = [],
  ): Promise<RawPeer> {
    const peer = new RawPeer()
    const stream = await transport.dial(address)
    peer.connection = await secure(stream, peer.identity, { initiator: true })
    peer.connection.onMessage((bytes) => {
      const message = decodeMessage(bytes)
      peer.received.push(message)
      for (const listener of peer.listeners) listener(message)
    })
    peer.send({ type: 'hello', version: PROTOCOL_VERSION, agent: 'raw-test-peer', listen, capabilities })
    return peer
  }

  send(message: Message): void {
    this.connection?.write(encodeMessage(message))
  }

  /** Sends bytes that are not a valid message. */
  sendRaw(bytes: Uint8Array): void {
    this.connection?.write(bytes)
  }

  /** Calls `handler` for every message from now on. */
  on(handler: (message: Message) => void): void {
    this.listeners.push(handler)
  }

  /** Resolves with the first message of a type (already received or to come). */
  next<T extends Message['type']>(type: T): Promise<Extract<Message, { type: T }>> {
    const found = this.received.find((message) => message.type === type)
    if (found) return Promise.resolve(found as Extract<Message, { type: T }>)
    return new Promise((resolve) => this.on((message) => message.type === type && resolve(message as never)))
  }

  close(): Promise<void> {
    return this.connection?.close() ?? Promise.resolve()
  }
}
