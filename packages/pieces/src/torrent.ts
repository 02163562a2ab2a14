import { type BencodeDict, type BencodeInput, type BencodeValue, decodeBencode, encodeBencode } from '@mycel/wire'
import { assertBytes } from '@mycel/wire/assert'
import { PiecesError } from './errors.js'
import { type HashProvider, resolveHashProvider } from './hash/provider.js'
import { resolveLimits, SHA1_SIZE } from './limits.js'
import { asciiBytes, concat, readOuterDict, readPieceLayers, wireToPieces } from './manifest/container.js'
import { sha1, usesSingleFileForm, type V1Entry, v1FilesList, v1Layout } from './manifest/hybrid.js'
import { copyLayers, type DecodeManifestOptions, layersOf } from './manifest/metadata.js'
import type { Manifest } from './manifest/model.js'
import { parseInfo } from './manifest/parse.js'
import type { V1PieceHashes } from './merkle/file-hasher.js'

/** Options of {@link encodeTorrent}. */
export interface EncodeTorrentOptions {
  /**
   * Write a hybrid v1+v2 torrent (SHA-1 `pieces` and a file list with BEP 47
   * pad files) that v1-only clients also accept. Needs v1 piece hashes:
   * `manifest.v1` (ingest with `v1: true`) or {@link EncodeTorrentOptions.v1}.
   * Default false. A manifest whose info dictionary is already hybrid is
   * written as it is, whatever this says.
   */
  hybrid?: boolean
  /**
   * Pad the last file too, as libtorrent 2.0 does by default (true, the
   * default), or not, as its `canonical_files_no_tail_padding` flag does.
   * Only matters for hybrid torrents.
   */
  tailPadding?: boolean
  /** v1 piece hashes to use instead of `manifest.v1`. */
  v1?: V1PieceHashes
  /** Tracker URL (`announce`). */
  announce?: string
  /** Tracker tiers (`announce-list`, BEP 12). */
  announceList?: readonly (readonly string[])[]
  /** Free text (`comment`). */
  comment?: string
  /** Software that made the torrent (`created by`). */
  createdBy?: string
  /** Seconds since 1970 (`creation date`). Left out by default so that exports are reproducible. */
  creationDate?: number
  /** Hash functions; default {@link getDefaultHashProvider}. */
  hash?: HashProvider
}

/** A `.torrent` file made by {@link encodeTorrent}. */
export interface EncodedTorrent {
  /** The file's bytes. */
  readonly bytes: Uint8Array
  /**
   * The v2 infohash: SHA-256 of the torrent's info dictionary. For a hybrid
   * export this differs from `manifest.infohash`, because the info dictionary
   * gains the v1 keys: the hybrid torrent is a different share.
   */
  readonly infohash: Uint8Array
  /** The v1 infohash (SHA-1 of the info dictionary), for hybrid torrents. */
  readonly infohashV1?: Uint8Array
}

/** What {@link decodeTorrent} reads from a `.torrent` file. */
export interface DecodedTorrent {
  /** The share, validated like metadata from the network. Its infohash is the torrent's v2 infohash. */
  readonly manifest: Manifest
  /** The v1 infohash, for hybrid torrents. */
  readonly infohashV1?: Uint8Array
  /** Tracker URLs from `announce` and `announce-list`, without duplicates. */
  readonly trackers: readonly string[]
  /**
   * The trackers as tiers (BEP 12): the `announce-list` when the torrent has
   * one (each tier's URLs in the order written, a URL only in its first
   * tier, empty tiers left out), else one tier of the `announce` URL; empty
   * when the torrent names no tracker. At most 256 URLs in all.
   */
  readonly trackerTiers: readonly (readonly string[])[]
  /** `comment`, if present and UTF-8. */
  readonly comment?: string
  /** `created by`, if present and UTF-8. */
  readonly createdBy?: string
  /** `creation date` in seconds since 1970, if present. */
  readonly creationDate?: number
}

/**
 * Writes a BitTorrent v2 `.torrent` file for a manifest, or a hybrid v1+v2 one.
 * For the same files and piece length the bytes, infohashes and pieces roots
 * equal libtorrent 2.0's (without its `creation date`).
 *
 * @param manifest - the share
 * @param options - hybrid, trackers and other optional keys
 * @returns the bytes and infohashes
 * @throws TypeError if a hybrid torrent is asked for without v1 piece hashes
 *
 * @example
 * ```ts
 * const manifest = await ingestPath('./photos', { v1: true })
 * const { bytes, infohashV1 } = encodeTorrent(manifest, { hybrid: true })
 * await writeFile('photos.torrent', bytes)
 * ```
 */
export function encodeTorrent(manifest: Manifest, options: EncodeTorrentOptions = {}): EncodedTorrent {
  const hash = resolveHashProvider(options.hash)
  let info = manifest.info
  let infohashV1 = manifest.hybrid?.infohashV1
  if (options.hybrid === true && manifest.hybrid === undefined) {
    info = hybridInfo(manifest, options)
    infohashV1 = sha1(info, hash)
  }
  const head = encodeBencode(outerKeys(options))
  const bytes = concat([
    head.subarray(0, head.length - 1),
    asciiBytes('4:info'),
    info,
    asciiBytes('12:piece layers'),
    layersOf(manifest),
    asciiBytes('e'),
  ])
  return { bytes, infohash: hash.sha256(info), ...(infohashV1 ? { infohashV1 } : {}) }
}

function outerKeys(options: EncodeTorrentOptions): Record<string, BencodeInput | undefined> {
  const { announce, announceList, comment, createdBy, creationDate } = options
  if (creationDate !== undefined && !Number.isSafeInteger(creationDate)) {
    throw new TypeError('creationDate must be an integer number of seconds')
  }
  return {
    announce,
    'announce-list': announceList?.map((tier) => [...tier]),
    comment,
    'created by': createdBy,
    'creation date': creationDate,
  }
}

/** The manifest's info dictionary with the v1 keys added. */
function hybridInfo(manifest: Manifest, options: EncodeTorrentOptions): Uint8Array {
  const v1 = options.v1 ?? manifest.v1
  if (v1 === undefined) {
    throw new TypeError('a hybrid torrent needs v1 piece hashes: ingest with { v1: true } or pass options.v1')
  }
  if (v1.pieces.length !== SHA1_SIZE * manifest.pieceCount || v1.lastPieceUnpadded.length !== SHA1_SIZE) {
    throw new RangeError(`v1 piece hashes do not match the ${manifest.pieceCount} pieces of the manifest`)
  }
  const dict: Record<string, BencodeInput> = { ...(decodeBencode(manifest.info) as BencodeDict) }
  const single = usesSingleFileForm(manifest.name, manifest.files)
  let lastPadded = false
  if (single) {
    dict.length = manifest.totalLength
  } else {
    const layout = v1Layout(manifest.files, manifest.pieceLength, options.tailPadding ?? true)
    dict.files = v1FilesList(layout)
    lastPadded = padFollowsLastData(layout)
  }
  const pieces = v1.pieces.slice()
  if (!lastPadded) pieces.set(v1.lastPieceUnpadded, pieces.length - SHA1_SIZE)
  dict.pieces = pieces
  return encodeBencode(dict)
}

/** Whether a pad file comes after the last non-empty file, so the last v1 piece is full. */
function padFollowsLastData(layout: readonly V1Entry[]): boolean {
  for (let i = layout.length - 1; i >= 0; i--) {
    const entry = layout[i] as V1Entry
    if (entry.pad) return true
    if (entry.length > 0) return false
  }
  return false
}

/**
 * Reads a `.torrent` file. Only BitTorrent v2 and hybrid torrents describe
 * their files with SHA-256 Merkle roots, so v1-only torrents are refused.
 * The info dictionary and piece layers are validated exactly as
 * {@link decodeMetadata} does; for hybrid torrents the v1 file list and
 * `pieces` must also agree with the v2 file tree.
 *
 * @param bytes - the file's bytes
 * @param options - hash provider and limits
 * @returns the manifest and the torrent's other fields
 * @throws {@link PiecesError} `TORRENT_V1_ONLY` for a v1-only torrent,
 *   `MANIFEST_HYBRID_MISMATCH` if the v1 and v2 parts disagree, and the
 *   `MANIFEST_*` codes of {@link decodeMetadata}
 *
 * @example
 * ```ts
 * const { manifest, trackers } = decodeTorrent(await readFile('photos.torrent'))
 * ```
 */
export function decodeTorrent(bytes: Uint8Array, options: DecodeManifestOptions = {}): DecodedTorrent {
  assertBytes(bytes, 'bytes')
  const limits = resolveLimits(options.limits)
  const hash = resolveHashProvider(options.hash)
  if (bytes.length > limits.maxMetadataBytes) {
    throw PiecesError.tooLarge('.torrent file', bytes.length, limits.maxMetadataBytes)
  }
  const fields = readOuterDict(bytes, limits.maxPathDepth + 8)
  const info = fields.get('info')
  if (info === undefined) throw PiecesError.malformed('the torrent has no "info"')
  const layerBytes = fields.get('piece layers')
  const layers = layerBytes ? readPieceLayers(layerBytes, limits.maxFiles) : new Map<string, Uint8Array>()
  const manifest = parseInfo(info.slice(), copyLayers(layers), hash, limits)
  const text = (key: string) => optionalText(fields.get(key))
  const comment = text('comment')
  const createdBy = text('created by')
  const date = optionalValue(fields.get('creation date'))
  return {
    manifest,
    ...(manifest.hybrid ? { infohashV1: manifest.hybrid.infohashV1 } : {}),
    trackers: trackers(fields),
    trackerTiers: trackerTiers(fields),
    ...(comment !== undefined ? { comment } : {}),
    ...(createdBy !== undefined ? { createdBy } : {}),
    ...(typeof date === 'number' ? { creationDate: date } : {}),
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function optionalValue(bytes: Uint8Array | undefined): BencodeValue | undefined {
  if (bytes === undefined) return undefined
  return wireToPieces('torrent field', () => decodeBencode(bytes, { maxDepth: 4 }))
}

/** A byte-string field as text, or undefined when absent or not UTF-8. */
function optionalText(bytes: Uint8Array | undefined): string | undefined {
  const value = optionalValue(bytes)
  if (!(value instanceof Uint8Array)) return undefined
  try {
    return utf8.decode(value)
  } catch {
    return undefined
  }
}

/** Most tracker URLs read from one torrent. */
const MAX_TRACKERS = 256

/** A byte string of UTF-8 text, or undefined. */
function urlText(value: BencodeValue): string | undefined {
  if (!(value instanceof Uint8Array)) return undefined
  try {
    const text = utf8.decode(value).trim()
    return text === '' ? undefined : text
  } catch {
    return undefined // a tracker URL that is not text is skipped
  }
}

function trackerTiers(fields: ReadonlyMap<string, Uint8Array>): string[][] {
  const list = optionalValue(fields.get('announce-list'))
  const seen = new Set<string>()
  const tiers: string[][] = []
  if (Array.isArray(list)) {
    for (const tier of list) {
      if (!Array.isArray(tier)) continue
      const urls: string[] = []
      for (const value of tier) {
        const url = urlText(value)
        if (url === undefined || seen.has(url) || seen.size >= MAX_TRACKERS) continue
        seen.add(url)
        urls.push(url)
      }
      if (urls.length > 0) tiers.push(urls)
    }
    if (tiers.length > 0) return tiers
  }
  const announce = optionalText(fields.get('announce'))?.trim()
  return announce ? [[announce]] : []
}

function trackers(fields: ReadonlyMap<string, Uint8Array>): string[] {
  const found = new Set<string>()
  const announce = optionalText(fields.get('announce'))
  if (announce) found.add(announce)
  const list = optionalValue(fields.get('announce-list'))
  if (Array.isArray(list)) {
    for (const tier of list) {
      if (!Array.isArray(tier)) continue
      for (const url of tier) {
        if (!(url instanceof Uint8Array)) continue
        try {
          found.add(utf8.decode(url))
        } catch {
          // a tracker URL that is not text is skipped
        }
      }
    }
  }
  return [...found].slice(0, 256)
}
