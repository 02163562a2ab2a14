import type { BencodeDict } from '@mycel/wire'
import {
  type DatagramSocket,
  type DhtNode,
  decodeKrpc,
  encodeKrpc,
  type KrpcMessage,
  type PeerAddress,
} from '../src/index.js'
import type { ManualClock, MemoryNetwork } from '../src/testing.js'
import { bindUdpSocket } from '../src/udp.js'

/** Waits until `arrived()` holds (or gives up); how depends on the network. */
type Settle = (arrived: () => boolean) => Promise<void>

/**
 * A bare KRPC endpoint, on a memory network (`new RawClient(network, clock)`)
 * or a real UDP socket (`RawClient.udp(host)`): sends hand-made packets to a
 * node and collects what comes back, to test the node as a black box.
 */
export class RawClient {
  readonly socket: DatagramSocket
  readonly id: Uint8Array
  /** What came back: the decoded message, its sender and the datagram's size in bytes. */
  readonly received: { message: KrpcMessage; from: PeerAddress; size: number }[] = []
  /** Whether to answer pings (as a live node would). */
  answerPings = true
  /**
   * Whether to answer every other query too, with just our id (a node that
   * knows nothing): nodes that learnt of us then do not wait on us in lookups.
   */
  answerQueries = false
  private tid = 0
  private readonly settle: Settle
  private readonly waiting = new Set<() => void>()

  constructor(
    network: MemoryNetwork | { readonly socket: DatagramSocket; readonly timeout: number },
    clock?: ManualClock,
    host?: string,
    id = new Uint8Array(20).fill(0x42),
  ) {
    if ('socket' in network) {
      this.socket = network.socket
      this.settle = (arrived) => this.waitFor(arrived, network.timeout)
    } else {
      this.socket = network.createSocket(host === undefined ? {} : { host, port: 6881 })
      // In virtual time, one tick delivers every answer a memory node gives at once.
      this.settle = () => (clock as ManualClock).advance(1)
    }
    this.id = id
    this.socket.onDatagram((bytes, from) => {
      const message = decodeKrpc(bytes, 4096)
      this.received.push({ message, from, size: bytes.length })
      for (const wake of this.waiting) wake()
      if (message.kind === 'query' && (message.method === 'ping' ? this.answerPings : this.answerQueries)) {
        this.socket.send(
          encodeKrpc({ kind: 'response', transactionId: message.transactionId, values: { id: this.id } }),
          from,
        )
      }
    })
  }

  /**
   * A client on a real UDP socket bound to `host` (any address of 127/8 on
   * Linux), waiting up to `timeout` ms for each answer.
   */
  static async udp(
    host = '127.0.0.1',
    options: { id?: Uint8Array<ArrayBuffer>; timeout?: number } = {},
  ): Promise<RawClient> {
    const socket = await bindUdpSocket({ host, port: 0 })
    return new RawClient({ socket, timeout: options.timeout ?? 2000 }, undefined, undefined, options.id)
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
    const match = () =>
      this.received.find(
        (r) =>
          r.message.kind !== 'query' &&
          r.message.transactionId.length === 2 &&
          r.message.transactionId[0] === tid >> 8 &&
          r.message.transactionId[1] === (tid & 0xff),
      )
    await this.settle(() => match() !== undefined)
    return match()?.message
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

  /** Resolves once `arrived()` holds after a datagram, or after `timeout` ms. */
  private waitFor(arrived: () => boolean, timeout: number): Promise<void> {
    if (arrived()) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiting.delete(check)
        resolve()
      }
      const check = () => {
        if (arrived()) done()
      }
      const timer = setTimeout(done, timeout)
      this.waiting.add(check)
    })
  }
}
