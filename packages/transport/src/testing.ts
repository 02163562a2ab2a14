/**
 * Test fixtures for code built on `@mycel/transport`: the in-process memory
 * network (with latency and bandwidth for simulations) and the transport
 * compliance suite that every transport runs. Nothing here imports a test
 * runner: the suite is given the runner's `describe`, `it`, `expect` and
 * `afterEach`, so this entry loads in any process.
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest'
 * import { createMemoryNetwork, transportCompliance } from '@mycel/transport/testing'
 *
 * transportCompliance(vitest, 'memory', () => {
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
export type { ComplianceMatchers, TestRunner } from './testing/runner.js'
export { type CollectedStream, collectStream, openPair } from './testing/streams.js'
