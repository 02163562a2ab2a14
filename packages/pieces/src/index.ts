/**
 * BitTorrent v2 content addressing for mycel: per-file SHA-256 Merkle trees
 * (BEP 52), manifests (the info dictionary and piece layers) and their
 * infohash, magnet links, `.torrent` export and import (v2 and hybrid),
 * piece and block verification with Merkle proofs, bitfields and a piece
 * picker. Everything here runs in browsers; reading files from disk is in
 * `@mycel/pieces/node`.
 *
 * Hashing goes through a {@link HashProvider}: `node:crypto` when the runtime
 * has it, `@noble/hashes` elsewhere ({@link getDefaultHashProvider}); every
 * function that hashes also takes a `hash` option.
 *
 * @example
 * ```ts
 * import { decodeMetadata, encodeMetadata, ingest, parseMagnet, verifyPiece } from '@mycel/pieces'
 *
 * // seeder: hash, then serve the metadata
 * const manifest = await ingest([{ path: ['notes.txt'], content: [new TextEncoder().encode('hello')], length: 5 }], {
 *   name: 'notes.txt',
 * })
 * const metadata = encodeMetadata(manifest)
 *
 * // downloader: from a magnet link to verified pieces
 * const { infohash } = parseMagnet(`magnet:?xt=urn:btmh:1220${manifest.infohashHex}`)
 * const received = decodeMetadata(metadata, infohash)
 * verifyPiece(received, 0, new TextEncoder().encode('hello')) // true
 * ```
 *
 * @packageDocumentation
 */
export { Bitfield } from './bitfield.js'
export { PiecesError, type PiecesErrorCode } from './errors.js'
export {
  type BatchHashProvider,
  createWebCryptoHashProvider,
  getDefaultHashProvider,
  type HashProvider,
  type IncrementalHash,
  isBatchHashProvider,
  nobleHashProvider,
} from './hash/provider.js'
export {
  type HashedBlocks,
  type HashedIngestSource,
  type IngestOptions,
  type IngestProgress,
  type IngestSource,
  ingest,
} from './ingest.js'
export { BLOCK_SIZE, choosePieceLength, HASH_SIZE, MANIFEST_LIMITS, type ManifestLimits } from './limits.js'
export { discoveryKey, formatMagnet, MAGNET_LIMITS, type MagnetLink, parseMagnet } from './magnet.js'
export { type CreateManifestOptions, createManifest, type ManifestFileInput } from './manifest/create.js'
export { type DecodeManifestOptions, decodeMetadata, encodeMetadata } from './manifest/metadata.js'
export { type HybridInfo, Manifest, type ManifestFile, type PieceLocation } from './manifest/model.js'
export { FileHasher, type FileHasherOptions, type FileHashes, type V1PieceHashes } from './merkle/file-hasher.js'
export { PiecePicker, type PiecePickerOptions, type PieceRange } from './picker/picker.js'
export {
  type DecodedTorrent,
  decodeTorrent,
  type EncodedTorrent,
  type EncodeTorrentOptions,
  encodeTorrent,
} from './torrent.js'
export {
  createBlockProof,
  isProofRange,
  PieceTree,
  pieceHash,
  type VerifyOptions,
  verifyBlocks,
  verifyPiece,
  verifyPieceAsync,
} from './verify.js'
