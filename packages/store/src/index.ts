/**
 * Storage for mycel behind two interfaces: {@link PieceStore} holds a share's
 * bytes (addressed by file and offset, as the manifest lays them out) and
 * {@link StateStore} what a node remembers between runs (manifests, verified
 * pieces, shares, search, peer scores, a key/value area). This entry has the
 * interfaces, the memory implementations and {@link recheck}; it runs in
 * browsers. The file-system piece store is `@mycel/store/fs`, the SQLite
 * state store `@mycel/store/sqlite`, and the compliance suites that every
 * implementation passes `@mycel/store/testing`.
 *
 * Crash safety rests on one order: write a piece's bytes, then mark it
 * verified. A state store only ever vouches for pieces whose bytes were
 * written; {@link recheck} rebuilds the bitfield from the bytes themselves.
 *
 * @example
 * ```ts
 * import { ingest, verifyPiece } from '@mycel/pieces'
 * import { MemoryPieceStore, MemoryStateStore, recheck } from '@mycel/store'
 *
 * const bytes = new TextEncoder().encode('hello')
 * const manifest = await ingest([{ path: ['hello.txt'], content: [bytes], length: 5 }], { name: 'hello.txt' })
 * const pieces = new MemoryPieceStore(manifest)
 * const state = new MemoryStateStore()
 * await state.putManifest(manifest)
 *
 * if (verifyPiece(manifest, 0, bytes)) {
 *   await pieces.writePiece(0, bytes) // bytes first...
 *   state.markVerified(manifest.infohash, 0) // ...then the record
 * }
 * const verified = await recheck(manifest, pieces) // the same bitfield, from the bytes
 * ```
 *
 * @packageDocumentation
 */
export { StoreError, type StoreErrorCode } from './errors.js'
export { DEFAULT_MAX_OPEN_FILES, DEFAULT_MAX_PEERS, STORE_LIMITS, type StoreLimits } from './limits.js'
export { MemoryPieceStore, type MemoryPieceStoreOptions } from './memory/memory-piece-store.js'
export { MemoryStateStore, type MemoryStateStoreOptions } from './memory/memory-state-store.js'
export { AbstractPieceStore, type PieceIoOptions, type PieceStore } from './piece-store.js'
export { type RecheckOptions, type RecheckProgress, recheck } from './recheck.js'
export type {
  ListPeersOptions,
  PeerRecord,
  SearchHit,
  SearchOptions,
  SeedInit,
  ShareFilter,
  ShareInit,
  ShareRecord,
  ShareRole,
  ShareStatus,
  ShareUpdate,
  StateOptions,
  StateStore,
} from './state-store.js'
