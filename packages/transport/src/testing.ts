/**
 * Test fixtures for code built on `@mycel/transport`: the in-process memory
 * network (with latency and bandwidth for simulations) and the transport
 * compliance suite, written against vitest, that every transport runs.
 *
 * @example
 * ```ts
 * import { createMemoryNetwork, transportCompliance } from '@mycel/transport/testing'
 *
 * transportCompliance('memory', () => {
 *   const network = createMemoryNetwork()
 *   return { transport: network.transport(), listenAddress: 'memory://0', close: () => network.close() }
 * })
 * ```
 *
 * @packageDocumentation
 */
export { createMemoryNetwork, type MemoryNetwork, type MemoryNetworkOptions } from './memory/network.js'
export type { LinkOptions } from './memory/pipe.js'
export { type ComplianceFixture, type ComplianceOptions, transportCompliance } from './testing/compliance.js'
export { type CollectedStream, collectStream, openPair } from './testing/streams.js'
