/**
 * Node-only parts of `@mycel/pieces`: hashing files and folders from disk
 * for seeding in place, and the `node:crypto` hash provider.
 *
 * @example
 * ```ts
 * import { ingestPath } from '@mycel/pieces/node'
 * import { encodeMetadata, formatMagnet } from '@mycel/pieces'
 *
 * const manifest = await ingestPath('./photos', { onProgress: (p) => console.log(p.bytesHashed, '/', p.totalBytes) })
 * console.log(formatMagnet({ infohash: manifest.infohash, name: manifest.name }))
 * const metadata = encodeMetadata(manifest) // what peers fetch with meta-get
 * ```
 *
 * @module
 */

export {
  type EncryptedSourcesOptions,
  encryptedSources,
  MAX_ENCRYPT_WORKERS,
  WORKER_CHUNK_BYTES,
  WORKER_MIN_BYTES,
  WORKER_READ_MAX_FILES,
} from './node/encrypt-workers.js'
export type { SkipReason, SpecialFilePolicy } from './node/files.js'
export { nodeHashProvider } from './node/hash.js'
export { type IngestPathOptions, ingestDirectory, ingestFile, ingestPath } from './node/ingest.js'
export { type FileSources, fileSources } from './node/sources.js'
