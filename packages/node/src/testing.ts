/**
 * Test fixtures for code built on `@mycel/node`: the compliance suite every
 * {@link index!PeerSource | PeerSource} runs before it is wired into a node.
 * Nothing here imports a test runner: the suite is given the runner's
 * `describe`, `it`, `expect` and `afterEach` (vitest's and jest's fit), so
 * this entry loads in any process.
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
export {
  type PeerSourceComplianceOptions,
  type PeerSourceHarness,
  type PeerSourceNetwork,
  peerSourceCompliance,
} from './testing/peer-source-compliance.js'
export type { ComplianceMatchers, TestRunner } from './testing/runner.js'
