import { readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { decodeTorrent, formatMagnet, MANIFEST_LIMITS, type Manifest, PiecesError, parseMagnet } from '@mycel/pieces'
import { parseTrackerUrl } from '@mycel/wire'
import type { Context } from './context.js'
import { CliError, EXIT_USAGE, explain, V1_HINT, V1_REASON } from './errors.js'
import { formatBytes } from './format.js'
import { hexOf } from './views.js'

/** What `mycel get` was asked to download. */
export interface GetInput {
  /** The magnet link (or infohash) to hand the node; for a `.torrent` file, a v2 magnet link of its share. */
  readonly link: string
  /** The share's infohash, hex. */
  readonly infohash: string
  /** The manifest of a `.torrent` file: the download needs no metadata from peers. */
  readonly manifest?: Manifest
  /** The `.torrent` file, as an absolute path. */
  readonly torrentPath?: string
  /**
   * The trackers of a `.torrent` file, as its BEP 12 tiers (a magnet link's
   * `tr` the node reads from the link itself).
   */
  readonly trackerTiers: ReadonlyArray<readonly string[]>
}

/** Magnet links and infohashes (v2, and v1 ones that parseMagnet explains) are links, not paths. */
function looksLikeLink(text: string): boolean {
  return /^magnet:/i.test(text) || /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(text)
}

/**
 * Reads what `mycel get` was given: a magnet link, an infohash (64 hex
 * digits), or the path of a BitTorrent v2 or hybrid `.torrent` file (its
 * manifest is used as it is, and its trackers, tier by tier).
 *
 * @param context - for the notes
 * @param text - the command's argument
 * @returns the link to download and, for a `.torrent` file, its manifest
 * @throws {@link CliError} `MAGNET_INVALID`, `V1_ONLY` (a v1 infohash, magnet link or torrent),
 *   `TORRENT_INVALID`, `FILE_NOT_FOUND`
 */
export async function readGetInput(context: Context, text: string): Promise<GetInput> {
  const trimmed = text.trim()
  if (looksLikeLink(trimmed)) {
    try {
      return { link: text, infohash: hexOf(parseMagnet(text).infohash), trackerTiers: [] }
    } catch (error) {
      throw explain(error, context.explain)
    }
  }
  const path = resolve(trimmed)
  const file = await stat(path).catch(() => undefined)
  if (file === undefined && !/\.torrent$/i.test(trimmed)) {
    throw new CliError(
      'MAGNET_INVALID',
      `not a magnet link, infohash or .torrent file: ${JSON.stringify(trimmed.slice(0, 80))}`,
      V1_HINT,
      { cause: whyNotALink(text) },
    )
  }
  if (file === undefined) throw new CliError('FILE_NOT_FOUND', `no such file: ${path}`, 'check the path')
  if (!file.isFile()) throw new CliError('TORRENT_INVALID', `${path} is not a .torrent file`, V1_HINT)
  const limit = MANIFEST_LIMITS.maxMetadataBytes
  if (file.size > limit) {
    throw new CliError(
      'TORRENT_INVALID',
      `${path} is ${formatBytes(file.size)}, more than a .torrent file can be (${formatBytes(limit)})`,
      'check that this is the .torrent file',
    )
  }
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (error) {
    throw explain(error, context.explain)
  }
  const torrent = readTorrent(path, bytes)
  const { manifest } = torrent
  const usable = torrent.trackerTiers.map((tier) => tier.filter(isUsableTracker)).filter((tier) => tier.length > 0)
  const unusable = torrent.trackerTiers.flat().filter((url) => !isUsableTracker(url))
  if (usable.length > 0) {
    const count = usable.flat().length
    context.out.note(`finding peers through ${count} tracker${count === 1 ? '' : 's'} of ${path} too`)
  }
  if (unusable.length > 0) {
    context.out.note(
      `${unusable.length} tracker(s) of ${path} are left out: mycel announces to http://, https:// and udp:// trackers only`,
    )
  }
  context.out.event('torrent', {
    path,
    infohash: manifest.infohashHex,
    infohashV1: torrent.infohashV1 === undefined ? null : hexOf(torrent.infohashV1),
    name: manifest.name,
    totalBytes: manifest.totalLength,
    trackers: usable,
    trackersLeftOut: unusable,
  })
  return {
    link: formatMagnet({ infohash: manifest.infohash, name: manifest.name }),
    infohash: manifest.infohashHex,
    manifest,
    torrentPath: path,
    trackerTiers: usable,
  }
}

/** The error that reading `text` as a link gives (for --debug). */
function whyNotALink(text: string): unknown {
  try {
    parseMagnet(text)
    return undefined
  } catch (error) {
    return error
  }
}

/** Decodes a `.torrent` file, explaining why one cannot be used. */
function readTorrent(path: string, bytes: Uint8Array): ReturnType<typeof decodeTorrent> {
  try {
    return decodeTorrent(bytes)
  } catch (error) {
    if (!(error instanceof PiecesError)) throw error
    if (error.code === 'TORRENT_V1_ONLY') {
      throw new CliError(
        'V1_ONLY',
        `${path} is a BitTorrent v1 torrent, which cannot be fetched: ${V1_REASON}`,
        V1_HINT,
        {
          cause: error,
          exitCode: EXIT_USAGE,
        },
      )
    }
    throw new CliError('TORRENT_INVALID', `${path} is not a usable .torrent file: ${error.message}`, 'check the file', {
      cause: error,
    })
  }
}

/** Whether the node can announce to a tracker URL (http, https, udp). */
function isUsableTracker(url: string): boolean {
  try {
    parseTrackerUrl(url)
    return true
  } catch {
    return false
  }
}
