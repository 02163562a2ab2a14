import { MemoryStateStore } from '@mycel/store'
import { Identity } from '@mycel/transport'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { createCoreNode } from '../create-core-node.js'
import type { MycelNode } from '../node.js'
import type { NodeLimits } from '../options.js'
import { type MemoryContent, memoryContent } from './memory-content.js'

/** Options of {@link createTestnet}. */
export interface NodeTestnetOptions {
  /** Limits of every node (the memory transport's addresses are no IP addresses: per-address limits do not apply). */
  limits?: NodeLimits
  /** One-way latency of every connection, in ms (default 0). */
  latencyMs?: number
}

/** A network of mycel nodes in one process: see {@link createTestnet}. */
export interface NodeTestnet {
  /** The nodes, in the order they were made. */
  readonly nodes: readonly MycelNode[]
  /** The in-memory files of a node: put what it shares, read what it downloaded. */
  content(node: MycelNode): MemoryContent
  /** Where a node accepts peers (`memory://...`), to give a download as a direct peer. */
  address(node: MycelNode): string
  /** Adds a node to the network. */
  add(): Promise<MycelNode>
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
  const nodes: MycelNode[] = []
  const contents = new Map<MycelNode, MemoryContent>()
  let closing: Promise<void> | undefined
  const add = async (): Promise<MycelNode> => {
    if (closing !== undefined) throw new Error('the testnet is closed')
    const content = memoryContent()
    const node = await createCoreNode({
      identity: Identity.generate(),
      state: new MemoryStateStore(),
      content,
      transports: [network.transport()],
      listen: ['memory://0'],
      downloadDir: '/downloads',
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    })
    nodes.push(node)
    contents.set(node, content)
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
    close: () => {
      closing ??= Promise.allSettled(nodes.map((node) => node.close())).then(() => {})
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
