/**
 * Compliance suites for {@link index!PieceStore | PieceStore} and {@link index!StateStore | StateStore}
 * implementations: every store of this package runs them, and so should any
 * other implementation. Also the test shares they use. Nothing here imports
 * a test runner: the suites are given the runner's `describe`, `it`,
 * `expect` and `afterEach` (vitest's and jest's fit), so this entry loads in
 * any process.
 *
 * @example
 * ```ts
 * // test/my-store.test.ts
 * import * as vitest from 'vitest'
 * import { pieceStoreCompliance, stateStoreCompliance } from '@mycel/store/testing'
 *
 * pieceStoreCompliance(vitest, 'IndexedDbPieceStore', { create: (manifest) => IndexedDbPieceStore.open(manifest) })
 * stateStoreCompliance(vitest, 'IndexedDbStateStore', { create: ({ now, maxPeers }) => openIdbState({ now, maxPeers }) })
 * ```
 *
 * @module
 */
export type { StateStoreHarness, StateStoreSetup } from './testing/context.js'
export { type PieceStoreHarness, pieceStoreCompliance } from './testing/piece-store-compliance.js'
export type { ComplianceMatchers, TestRunner } from './testing/runner.js'
export {
  compareTestBytes,
  makeTestShare,
  multiFileShare,
  pieceBytes,
  shuffled,
  singleFileShare,
  type TestFileSpec,
  type TestShare,
  testBytes,
} from './testing/shares.js'
export { stateStoreCompliance } from './testing/state-store-compliance.js'
