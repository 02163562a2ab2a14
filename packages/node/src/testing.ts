/**
 * Test helpers of `@mycel/node`, usable without a test runner: a network of
 * real nodes in one process ({@link createTestnet}), an in-memory
 * {@link ContentStorage} for it ({@link memoryContent}), {@link nextEvent}
 * to await an event in place of polling for what it changes, and the compliance
 * suites that every implementation of a node seam runs
 * ({@link peerSourceCompliance} for peer sources: it is given the runner's
 * `describe`, `it`, `expect` and `afterEach`, vitest's and jest's fit).
 *
 * @example
 * ```ts
 * import { createTestnet } from '@mycel/node/testing'
 *
 * const net = await createTestnet(2)
 * const [seeder, leecher] = net.nodes
 * net.content(seeder).put('/share/a.bin', new Uint8Array(100_000))
 * const share = await seeder.share('/share/a.bin')
 * await leecher.download(share.magnet, { peers: [net.address(seeder)] }).done()
 * await net.close()
 * ```
 *
 * @example
 * ```ts
 * // test/my-tracker-source.test.ts
 * import * as vitest from 'vitest'
 * import { peerSourceCompliance } from '@mycel/node/testing'
 *
 * peerSourceCompliance(vitest, 'TrackerSource', async () => {
 *   const tracker = await startTestTracker()
 *   return {
 *     sources: [new TrackerSource(tracker.url, { host: '127.0.0.1' }), new TrackerSource(tracker.url)],
 *     addressOf: (port) => `tcp://127.0.0.1:${port}`,
 *     close: () => tracker.close(),
 *   }
 * })
 * ```
 *
 * @packageDocumentation
 */

export type { ContentStorage } from './content.js'
export { MemoryContent, memoryContent } from './testing/memory-content.js'
export { type EventSource, type NextEventOptions, nextEvent } from './testing/next-event.js'
export {
  type PeerSourceComplianceOptions,
  type PeerSourceHarness,
  type PeerSourceNetwork,
  peerSourceCompliance,
} from './testing/peer-source-compliance.js'
export type { ComplianceMatchers, TestRunner } from './testing/runner.js'
export {
  createTestnet,
  type NodeTestnet,
  type NodeTestnetOptions,
  type TestnetNodeOptions,
} from './testing/testnet.js'
