import type { BencodeDict } from '@mycel/wire'
import { type DhtNode, decodeKrpc, encodeKrpc, type KrpcMessage, type PeerAddress } from '../src/index.js'
import type { ManualClock, MemoryNetwork, MemorySocket } from '../src/testing.js'

/**
 * A bare KRPC endpoint on a memory network: sends hand-made packets to a
 * node and collects what comes back, to test the node as a black box.
 */
export class RawClient {
  readonly socket: MemorySocket
  readonly id: Uint8Array
  /** What came back: the decoded message, its sender and the datagram's size in bytes. */
  readonly received: { message: KrpcMessage; from: PeerAddress; size: number }[] = []
  /** Whether to answer pings (as a live node would). */
  answerPings = true
  private tid = 0

  constructor(
    readonly network: MemoryNetwork,
    private readonly clock: ManualClock,
    host?: string,
    id = new Uint8Array(20).fill(0x42),
  ) {
    this.socket = network.createSocket(host === undefined ? {} : { host, port: 6881 })
    this.id = id
    this.socket.onDatagram((bytes, from) => {
      const message = decodeKrpc(bytes, 4096)
      this.received.push({ message, from, size: bytes.length })
      if (this.answerPings && message.kind === 'query' && message.method === 'ping') {
        this.socket.send(
          encodeKrpc({ kind: 'response', transactionId: message.transactionId, values: { id: this.id } }),
          from,
        )
      }
    })
  }

  get address(): PeerAddress {
    return this.socket.localAddress
  }

  /** Sends raw bytes. */
  sendRaw(bytes: Uint8Array, to: PeerAddress | DhtNode): void {
    this.socket.send(bytes, 'address' in to ? to.address : to)
  }

  /** Sends a query (adding our id unless `args.id` is set to something) and returns its transaction id. */
  send(
    to: PeerAddress | DhtNode,
    method: string,
    args: Record<string, unknown> = {},
    extra: { readOnly?: boolean } = {},
  ): number {
    const tid = ++this.tid & 0xffff
    const message = encodeKrpc({
      kind: 'query',
      transactionId: new Uint8Array([tid >> 8, tid & 0xff]),
      method,
      args: { id: this.id, ...args },
      readOnly: extra.readOnly,
    })
    this.sendRaw(message, to)
    return tid
  }

  /** Sends a query and waits (in virtual time) for its answer; undefined if none comes. */
  async ask(
    to: PeerAddress | DhtNode,
    method: string,
    args: Record<string, unknown> = {},
    extra: { readOnly?: boolean } = {},
  ): Promise<KrpcMessage | undefined> {
    const tid = this.send(to, method, args, extra)
    await this.clock.advance(1)
    const match = this.received.find(
      (r) =>
        r.message.kind !== 'query' &&
        r.message.transactionId.length === 2 &&
        r.message.transactionId[0] === tid >> 8 &&
        r.message.transactionId[1] === (tid & 0xff),
    )
    return match?.message
  }

  /** The values of a response, or throws with what came instead. */
  async values(to: PeerAddress | DhtNode, method: string, args: Record<string, unknown> = {}): Promise<BencodeDict> {
    const answer = await this.ask(to, method, args)
    if (answer?.kind !== 'response') throw new Error(`expected a response, got ${JSON.stringify(answer)}`)
    return answer.values
  }

  /** The error code of an error reply, or throws. */
  async errorCode(to: PeerAddress | DhtNode, method: string, args: Record<string, unknown> = {}): Promise<number> {
    const answer = await this.ask(to, method, args)
    if (answer?.kind !== 'error') throw new Error(`expected an error, got ${answer?.kind}`)
    return answer.code
  }

  close(): Promise<void> {
    return this.socket.close()
  }
}
