/**
 * Simulation and test helpers: an in-memory datagram network with latency,
 * loss and churn, a manual clock for virtual time, and a testnet builder
 * that starts N connected nodes and tears them down with one `close()`.
 *
 * @example
 * ```ts
 * import { createTestnet, ManualClock, MemoryNetwork } from '@mycel/dht/testing'
 *
 * const network = new MemoryNetwork({ clock: new ManualClock(), latency: { min: 10, max: 80 } })
 * const testnet = await createTestnet(500, { network })
 * const { closest } = await testnet.settle(testnet.nodes[1].findNode(target))
 * await testnet.close()
 * ```
 *
 * @packageDocumentation
 */
export { ManualClock } from './testing/manual-clock.js'
export {
  type Latency,
  MemoryNetwork,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
  MemorySocket,
} from './testing/memory-network.js'
export { createTestnet, type Testnet, type TestnetOptions } from './testing/testnet.js'
