import { MESSAGE_LIMITS } from '@mycel/wire'

/** Bytes in a block, the leaf of every BEP 52 Merkle tree (16 KiB). */
export const BLOCK_SIZE = 16 * 1024

/** Bytes in a SHA-256 hash: a leaf, a tree node, a `pieces root`, an infohash. */
export const HASH_SIZE = 32

/** Bytes in a SHA-1 hash: a v1 piece hash, a v1 infohash. @internal */
export const SHA1_SIZE = 20

/**
 * Bounds applied to every manifest that comes from the network or a file
 * ({@link decodeMetadata}, {@link decodeTorrent}), and to manifests this
 * package builds, so that what mycel makes it also accepts. The same values
 * are listed in `docs/limits.md`.
 */
export interface ManifestLimits {
  /** Smallest piece length (16 KiB, one block). */
  readonly minPieceLength: number
  /** Largest piece length (16 MiB). */
  readonly maxPieceLength: number
  /** Most pieces in a share, all files together (2^20, as `MESSAGE_LIMITS.maxPieces`). */
  readonly maxPieces: number
  /** Most files in a share. */
  readonly maxFiles: number
  /** Longest share name and longest single path component, in UTF-8 bytes. */
  readonly maxComponentBytes: number
  /** Longest file path (its components joined with `/`), in UTF-8 bytes. */
  readonly maxPathBytes: number
  /** Most components in one file path. */
  readonly maxPathDepth: number
  /** Largest bencoded info dictionary. */
  readonly maxInfoBytes: number
  /** Largest metadata blob (info dict plus piece layers) and largest `.torrent` file. */
  readonly maxMetadataBytes: number
}

/** The default {@link ManifestLimits}. */
export const MANIFEST_LIMITS: ManifestLimits = Object.freeze({
  minPieceLength: BLOCK_SIZE,
  maxPieceLength: 16 * 1024 * 1024,
  maxPieces: MESSAGE_LIMITS.maxPieces,
  maxFiles: 100_000,
  maxComponentBytes: 255,
  maxPathBytes: 4096,
  maxPathDepth: 32,
  maxInfoBytes: 32 * 1024 * 1024,
  maxMetadataBytes: MESSAGE_LIMITS.maxMetadataBytes,
})

/** Merges caller overrides into the defaults, checking each. @internal */
export function resolveLimits(overrides: Partial<ManifestLimits> | undefined): ManifestLimits {
  if (overrides === undefined) return MANIFEST_LIMITS
  if (typeof overrides !== 'object' || overrides === null) throw new TypeError('limits must be an object')
  const merged = { ...MANIFEST_LIMITS }
  for (const key of Object.keys(MANIFEST_LIMITS) as (keyof ManifestLimits)[]) {
    const value = overrides[key]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`limits.${key} must be a non-negative safe integer, got ${String(value)}`)
    }
    ;(merged as Record<keyof ManifestLimits, number>)[key] = value
  }
  return merged
}

/** Largest number of pieces {@link choosePieceLength} aims for. */
const TARGET_PIECES = 2000

/**
 * The piece length for a share of `totalLength` bytes when the caller does
 * not choose one: the smallest power of two that gives at most 2,000 pieces
 * (so between 1,000 and 2,000 for all but the smallest and largest shares),
 * clamped to 16 KiB .. 16 MiB.
 *
 * @param totalLength - bytes in all files together
 * @returns a power of two from 16 KiB to 16 MiB
 * @throws RangeError if `totalLength` is not a non-negative safe integer
 *
 * @example
 * ```ts
 * choosePieceLength(1024 ** 3) // 1 MiB: 1,024 pieces
 * choosePieceLength(10_000)    // 16 KiB
 * ```
 */
export function choosePieceLength(totalLength: number): number {
  if (!Number.isSafeInteger(totalLength) || totalLength < 0) {
    throw new RangeError(`totalLength must be a non-negative safe integer, got ${String(totalLength)}`)
  }
  let pieceLength = MANIFEST_LIMITS.minPieceLength
  while (pieceLength < MANIFEST_LIMITS.maxPieceLength && Math.ceil(totalLength / pieceLength) > TARGET_PIECES) {
    pieceLength *= 2
  }
  return pieceLength
}
