import { assertInteger, integerOption } from '@mycel/wire/assert'
import { formatHostPort } from '../address.js'
import { DhtNode } from '../dht-node.js'
import type { DhtNodeOptions } from '../options.js'
import { ManualClock } from './manual-clock.js'
import { MemoryNetwork } from './memory-network.js'

/** Options of {@link createTestnet}. */
export interface TestnetOptions {
  /** The network to build on; default: a new one on the system clock with no latency or loss. */
  readonly network?: MemoryNetwork
  /** Options for every node (besides socket, bootstrap and clock, which the testnet sets). */
  readonly nodeOptions?: Omit<DhtNodeOptions, 'socket' | 'bootstrap' | 'clock'>
  /** Node ids by index (default random). */
  readonly id?: (index: number) => Uint8Array
  /** Nodes joining at the same time. Default 16. */
  readonly joinConcurrency?: number
}

/** A local DHT of {@link DhtNode}s on a {@link MemoryNetwork}; `close()` tears it all down. */
export interface Testnet {
  /** The network the nodes are on. */
  readonly network: MemoryNetwork
  /** The nodes; `nodes[0]` is the bootstrap node the others joined through. */
  readonly nodes: DhtNode[]
  /** `host:port` of the bootstrap node, for nodes added later. */
  readonly bootstrap: readonly string[]
  /**
   * Adds a node that joins through the bootstrap node.
   * @param options - options for this node
   * @returns the node, once it has bootstrapped
   */
  addNode(options?: Omit<DhtNodeOptions, 'socket' | 'clock'>): Promise<DhtNode>
  /**
   * Awaits `promise`, advancing the network's clock when it is a `ManualClock`.
   * @param promise - an operation on the testnet
   * @param options - `maxTime`: most virtual ms to advance (see `ManualClock.run`)
   * @returns its result
   */
  settle<T>(promise: Promise<T>, options?: { maxTime?: number }): Promise<T>
  /** Closes every node (and so every socket and timer). Idempotent. */
  close(): Promise<void>
}

/**
 * Builds `n` connected DHT nodes on a memory network: the first one only
 * serves, the others bootstrap through it, in batches that double up to
 * `joinConcurrency` nodes at a time.
 * On a network whose clock is a `ManualClock`, the clock is driven while
 * nodes join, so simulations in virtual time need no extra code.
 *
 * @param n - number of nodes (at least 1)
 * @param options - network, node options, ids, join concurrency
 * @returns the testnet
 *
 * @example
 * ```ts
 * const testnet = await createTestnet(100)
 * try {
 *   const [a, b] = testnet.nodes
 *   await a.announce(key, 7000)
 *   for await (const peer of b.lookup(key)) console.log(peer)
 * } finally {
 *   await testnet.close()
 * }
 * ```
 */
export async function createTestnet(n: number, options: TestnetOptions = {}): Promise<Testnet> {
  assertInteger(n, 'n', { min: 1 })
  const concurrency = integerOption(options.joinConcurrency, 'joinConcurrency', { min: 1, fallback: 16 })
  const network = options.network ?? new MemoryNetwork()
  const clock = network.clock
  const settle = <T>(promise: Promise<T>, settleOptions?: { maxTime?: number }): Promise<T> =>
    clock instanceof ManualClock ? clock.run(promise, settleOptions) : promise
  const nodes: DhtNode[] = []
  const make = (index: number, extra: Omit<DhtNodeOptions, 'socket' | 'clock'> = {}) => {
    const node = new DhtNode({
      ...options.nodeOptions,
      ...(options.id === undefined ? {} : { id: options.id(index) }),
      ...extra,
      socket: network.createSocket(),
      clock,
    })
    nodes.push(node)
    return node
  }
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= Promise.all(nodes.map((node) => node.close())).then(() => undefined)
    return closing
  }
  try {
    const first = make(0)
    const bootstrap = [formatHostPort(first.address)]
    // Batches grow with the network (1, 2, 4, ... up to joinConcurrency), so that
    // joiners always find the nodes before them rather than an empty network.
    for (let start = 1; start < n; ) {
      const size = Math.min(concurrency, start, n - start)
      const batch: DhtNode[] = []
      for (let index = start; index < start + size; index++) batch.push(make(index, { bootstrap }))
      await settle(Promise.all(batch.map((node) => node.ready())))
      start += size
    }
    return {
      network,
      nodes,
      bootstrap,
      async addNode(extra = {}) {
        const node = make(nodes.length, { bootstrap, ...extra })
        await settle(node.ready())
        return node
      },
      settle,
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}
