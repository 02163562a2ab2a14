import { equalBytes, toHex } from '@mycel/wire'
import { assertBytes } from '@mycel/wire/assert'
import { PiecesError } from '../errors.js'
import { type HashProvider, resolveHashProvider } from '../hash/provider.js'
import { HASH_SIZE, type ManifestLimits, resolveLimits } from '../limits.js'
import { asciiBytes, concat, encodePieceLayers, readOuterDict, readPieceLayers } from './container.js'
import type { Manifest } from './model.js'
import { parseInfo } from './parse.js'

/** Options of {@link decodeMetadata} and {@link decodeTorrent}. */
export interface DecodeManifestOptions {
  /** Hash functions; default {@link getDefaultHashProvider}. */
  hash?: HashProvider
  /** Tighter or looser bounds than {@link MANIFEST_LIMITS}. */
  limits?: Partial<ManifestLimits>
}

/** The piece layers of a manifest's files, as `piece layers` entries. @internal */
export function layersOf(manifest: Manifest): Uint8Array {
  const entries = manifest.files.flatMap((file) =>
    file.pieceLayer && file.piecesRoot ? [{ root: file.piecesRoot, layer: file.pieceLayer }] : [],
  )
  return encodePieceLayers(entries)
}

/**
 * The metadata blob peers exchange with `meta-get`/`meta`: the bencoded
 * dictionary `{ "info": <info dict>, "piece layers": <pieces root -> hashes> }`,
 * canonical (keys in byte order, identical files' layers once).
 *
 * @param manifest - the share
 * @returns the blob, which {@link decodeMetadata} turns back into an equal manifest
 *
 * @example
 * ```ts
 * const blob = encodeMetadata(manifest)
 * const again = decodeMetadata(blob, manifest.infohash)
 * ```
 */
export function encodeMetadata(manifest: Manifest): Uint8Array {
  return concat([
    asciiBytes('d4:info'),
    manifest.info,
    asciiBytes('12:piece layers'),
    layersOf(manifest),
    asciiBytes('e'),
  ])
}

/**
 * Reads a metadata blob received from a peer. Nothing is trusted: the size is
 * bounded, the SHA-256 of the info dictionary must equal `infohash` (checked
 * before anything else is parsed), and then every field, path, length and
 * piece layer is validated as {@link MANIFEST_LIMITS} and BEP 52 say.
 *
 * @param bytes - the whole blob
 * @param infohash - the infohash the blob was asked for (32 bytes)
 * @param options - hash provider and limits
 * @returns the manifest
 * @throws {@link PiecesError} `INFOHASH_MISMATCH` if the info dictionary is
 *   not the one asked for; `MANIFEST_*` codes for anything malformed, unsafe
 *   or over a limit
 *
 * @example
 * ```ts
 * try {
 *   const manifest = decodeMetadata(blob, infohash)
 * } catch (err) {
 *   if (err instanceof PiecesError) penalise(peer, err.code)
 * }
 * ```
 */
export function decodeMetadata(bytes: Uint8Array, infohash: Uint8Array, options: DecodeManifestOptions = {}): Manifest {
  assertBytes(bytes, 'bytes')
  assertBytes(infohash, 'infohash', HASH_SIZE)
  const limits = resolveLimits(options.limits)
  const hash = resolveHashProvider(options.hash)
  if (bytes.length > limits.maxMetadataBytes) {
    throw PiecesError.tooLarge('metadata', bytes.length, limits.maxMetadataBytes)
  }
  let info: Uint8Array | undefined
  let layers = new Map<string, Uint8Array>()
  for (const [key, value] of readOuterDict(bytes, limits.maxPathDepth + 8)) {
    if (key === 'info') info = value
    else if (key === 'piece layers') layers = readPieceLayers(value, limits.maxFiles)
    else throw PiecesError.malformed(`metadata has an unknown key ${JSON.stringify(key)}`)
  }
  if (info === undefined) throw PiecesError.malformed('metadata has no "info"')
  const actual = hash.sha256(info)
  if (!equalBytes(actual, infohash)) {
    throw new PiecesError('INFOHASH_MISMATCH', `info dictionary hashes to ${toHex(actual)}, not ${toHex(infohash)}`)
  }
  return parseInfo(info.slice(), copyLayers(layers), hash, limits)
}

/** Copies layer views so the manifest does not keep the whole input alive. @internal */
export function copyLayers(layers: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  return new Map([...layers].map(([key, layer]) => [key, layer.slice()]))
}
