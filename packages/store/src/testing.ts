/**
 * Compliance suites for {@link index!PieceStore | PieceStore} and {@link index!StateStore | StateStore}
 * implementations, written against vitest (an optional peer dependency of
 * this entry): every store of this package runs them, and so should any
 * other implementation. Also the test shares they use.
 *
 * @example
 * ```ts
 * // test/my-store.test.ts
 * import { pieceStoreCompliance, stateStoreCompliance } from '@mycel/store/testing'
 *
 * pieceStoreCompliance('IndexedDbPieceStore', { create: (manifest) => IndexedDbPieceStore.open(manifest) })
 * stateStoreCompliance('IndexedDbStateStore', { create: ({ now, maxPeers }) => openIdbState({ now, maxPeers }) })
 * ```
 *
 * @module
 */
export type { StateStoreHarness, StateStoreSetup } from './testing/context.js'
export { type PieceStoreHarness, pieceStoreCompliance } from './testing/piece-store-compliance.js'
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
