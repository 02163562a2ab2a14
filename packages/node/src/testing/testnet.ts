import { type Clock, DhtNode, formatHostPort, systemClock } from '@mycel/dht'
import { ManualClock, MemoryNetwork } from '@mycel/dht/testing'
import { MemoryStateStore, type StateStore } from '@mycel/store'
import { Identity } from '@mycel/transport'
import { createMemoryNetwork } from '@mycel/transport/testing'
import type { ChannelOptions } from '../channels/limits.js'
import { createCoreNode } from '../create-core-node.js'
import { DhtPeerSource } from '../discovery/dht-source.js'
import type { PeerSource } from '../discovery/peer-source.js'
import type { MycelNode } from '../node.js'
import type { NodeLimits } from '../options.js'
import type { ConnectionProtocol } from '../peer/protocols.js'
import { type MemoryContent, memoryContent } from './memory-content.js'

/** Options of {@link createTestnet}. */
export interface NodeTestnetOptions {
  /** Limits of every node (the memory transport's addresses are no IP addresses: per-address limits do not apply). */
  limits?: NodeLimits
  /** One-way latency of every connection, in ms (default 0). */
  latencyMs?: number
  /**
   * Give every node a DHT node on one memory DHT network (each node a host
   * of its own /24), through which shares are announced and found; default
   * true. Without it, nodes find each other only through the peers given to
   * `download()` and peer exchange.
   */
  dht?: boolean
  /**
   * Time of the DHT network and of every node's scheduled work (announces,
   * lookups, retries, peer exchange, saves). Default the system clock. With a
   * `ManualClock`, advance it (or `settle()` what you await) for time to pass.
   */
  clock?: Clock
}

/** Options of one node of a testnet ({@link NodeTestnet.add}): what tells it apart from the others. */
export interface TestnetNodeOptions {
  /** Its limits, in place of the testnet's. */
  limits?: NodeLimits
  /** Optional protocols it runs on every connection (see `CoreNodeOptions.protocols`). */
  protocols?: ConnectionProtocol[]
  /** Its state store (default a fresh `MemoryStateStore`): give one to read what it saved, or to start a node again on it. */
  state?: StateStore
  /** Its identity (default a new one). */
  identity?: Identity
  /** Timing of its channels' DHT work (see `NodeOptions.channels`). */
  channels?: ChannelOptions
}

/** A network of mycel nodes in one process: see {@link createTestnet}. */
export interface NodeTestnet {
  /** The nodes, in the order they were made. */
  readonly nodes: readonly MycelNode[]
  /** The in-memory files of a node: put what it shares, read what it downloaded. */
  content(node: MycelNode): MemoryContent
  /** Where a node accepts peers (`memory://...`), to give a download as a direct peer. */
  address(node: MycelNode): string
  /**
   * Adds a node to the network.
   * @param options - its own limits, protocols, state store or identity
   * @returns the node, started
   */
  add(options?: TestnetNodeOptions): Promise<MycelNode>
  /** The DHT node of a node (undefined without `dht`). */
  dhtOf(node: MycelNode): DhtNode | undefined
  /**
   * The memory network the DHT nodes talk over (undefined without `dht`):
   * take a DHT node offline and back (`setOnline(dhtOf(node).address, false)`),
   * add loss or latency.
   */
  readonly dhtNetwork: MemoryNetwork | undefined
  /** The clock of the testnet. */
  readonly clock: Clock
  /**
   * Awaits `promise`, advancing the clock while it waits when the clock is a
   * `ManualClock` (else just awaits it).
   */
  settle<T>(promise: Promise<T>, options?: { maxTime?: number }): Promise<T>
  /** Closes every node. Idempotent. */
  close(): Promise<void>
}

/**
 * A network of `n` real mycel nodes in one process: the runtime-neutral
 * node core over the memory transport (Noise and the peer protocol run as
 * between machines), with memory state and {@link memoryContent} files. It
 * needs no test runner, no disk and no socket, so simulations of dozens of
 * nodes run in a second; close it with the test.
 *
 * @param n - nodes to start with
 * @param options - limits, latency
 * @returns the network
 *
 * @example
 * ```ts
 * const net = await createTestnet(3)
 * const [seeder, a, b] = net.nodes
 * net.content(seeder).put('/share/clip.mp4', bytes)
 * const share = await seeder.share('/share/clip.mp4')
 * await a.download(share.magnet, { peers: [net.address(seeder)] }).done()
 * net.content(a).get('/downloads/clip.mp4') // the bytes
 * await net.close()
 * ```
 */
export async function createTestnet(n: number, options: NodeTestnetOptions = {}): Promise<NodeTestnet> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a whole number of nodes, not ${n}`)
  const network = createMemoryNetwork(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs })
  const clock = options.clock ?? systemClock
  const dhtNetwork = options.dht === false ? undefined : new MemoryNetwork({ clock })
  const settle = <T>(promise: Promise<T>, settleOptions?: { maxTime?: number }): Promise<T> =>
    clock instanceof ManualClock ? clock.run(promise, settleOptions) : promise
  const nodes: MycelNode[] = []
  const contents = new Map<MycelNode, MemoryContent>()
  const dhts = new Map<MycelNode, DhtNode>()
  const bootstrap: string[] = []
  let closing: Promise<void> | undefined
  const add = async (nodeOptions: TestnetNodeOptions = {}): Promise<MycelNode> => {
    if (closing !== undefined) throw new Error('the testnet is closed')
    const index = nodes.length + dhts.size // unique per node made
    const content = memoryContent()
    let dht: DhtNode | undefined
    const sources: PeerSource[] = []
    // The node listens where its DHT host is: a peer the DHT lists is dialled at memory://<host>.
    let listen = 'memory://0'
    if (dhtNetwork !== undefined) {
      // A /24 of its own, so the DHT's per-network shares of a key never bind in a testnet.
      const host = `10.${(index >> 8) & 255}.${index & 255}.1`
      dht = new DhtNode({ socket: dhtNetwork.createSocket({ host, port: 6881 }), clock, bootstrap: [...bootstrap] })
      if (bootstrap.length === 0) bootstrap.push(formatHostPort(dht.address))
      await settle(dht.ready())
      sources.push(memoryDhtSource(dht))
      listen = `memory://${host}`
    }
    const limits = nodeOptions.limits ?? options.limits
    const node = await createCoreNode({
      identity: nodeOptions.identity ?? Identity.generate(),
      state: nodeOptions.state ?? new MemoryStateStore(),
      content,
      transports: [network.transport()],
      listen: [listen],
      downloadDir: '/downloads',
      peerSources: sources,
      clock,
      ...(limits === undefined ? {} : { limits }),
      ...(nodeOptions.protocols === undefined ? {} : { protocols: nodeOptions.protocols }),
      channels: { ...(dht === undefined ? {} : { dht }), ...nodeOptions.channels },
    }).catch(async (error) => {
      await dht?.close()
      throw error
    })
    nodes.push(node)
    contents.set(node, content)
    if (dht !== undefined) dhts.set(node, dht)
    return node
  }
  const testnet: NodeTestnet = {
    nodes,
    content: (node) => {
      const content = contents.get(node)
      if (content === undefined) throw new Error('not a node of this testnet')
      return content
    },
    address: (node) => node.addresses[0] as string,
    add,
    dhtOf: (node) => dhts.get(node),
    dhtNetwork,
    clock,
    settle,
    close: () => {
      closing ??= (async () => {
        await Promise.allSettled(nodes.map((node) => node.close()))
        await Promise.allSettled([...dhts.values()].map((dht) => dht.close()))
      })()
      return closing
    },
  }
  try {
    for (let i = 0; i < n; i++) await add()
  } catch (error) {
    await testnet.close()
    throw error
  }
  return testnet
}

/**
 * The DHT as a peer source inside a testnet: a peer it lists is dialled over
 * the memory transport at its DHT host, and the port it announces is the
 * DHT's (the memory transport has none).
 */
function memoryDhtSource(dht: DhtNode): PeerSource {
  const source = new DhtPeerSource(dht, { toAddress: (peer) => `memory://${peer.host}` })
  return {
    name: source.name,
    announce: (share, announceOptions) => source.announce(share, { ...announceOptions, port: dht.address.port }),
    lookup: (share, lookupOptions) => source.lookup(share, lookupOptions),
    close: () => source.close(),
  }
}
