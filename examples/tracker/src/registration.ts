/**
 * What registering a torrent adds to the registry: the 20-byte keys clients
 * announce it under, and the swarm each joins.
 *
 * - A hybrid torrent: its v1 infohash and its truncated v2 infohash, one
 *   swarm (v1 and v2 clients of the same files find each other).
 * - A v2 torrent: its truncated v2 infohash.
 * - A v1 torrent: its v1 infohash.
 * - A v2 infohash (64 hex digits): its first 20 bytes. A v1 or truncated
 *   infohash (40 hex digits): itself.
 * - Every v2 infohash also registers mycel's discovery key of it (the key
 *   a mycel node announces a share under when its policy hides the
 *   infohash), as a swarm of its own: those nodes speak mycel's protocol,
 *   not BitTorrent's.
 * @module
 */
import { createHash } from 'node:crypto'
import { decodeTorrent, discoveryKey, PiecesError } from '@mycel/pieces'
import { type BencodeDict, decodeBencode, decodeBencodeEntries, fromHex, TRACKER_INFOHASH_LENGTH } from '@mycel/wire'
import type { RegisteredInfohash } from './core/registry.js'
import { TrackerError } from './errors.js'

const utf8 = new TextDecoder('utf-8', { fatal: false })

function entry(
  infohash: Uint8Array,
  swarm: Uint8Array,
  torrent: Uint8Array,
  addedAt: number,
  name?: string,
): RegisteredInfohash {
  return { infohash, swarm, torrent, addedAt, ...(name !== undefined ? { name } : {}) }
}

/** The entries of a v2 infohash: truncated (in `swarm`), and its discovery key (its own swarm). */
function v2Entries(infohash: Uint8Array, swarm: Uint8Array, addedAt: number, name?: string): RegisteredInfohash[] {
  const truncated = infohash.slice(0, TRACKER_INFOHASH_LENGTH)
  const discovery = discoveryKey(infohash)
  return [entry(truncated, swarm, swarm, addedAt, name), entry(discovery, discovery, swarm, addedAt, name)]
}

/**
 * The registry entries of a `.torrent` file (v1, v2 or hybrid).
 *
 * @param bytes - the file
 * @param addedAt - seconds since 1970
 * @returns the entries, and the torrent's name
 * @throws {@link TrackerError} `TORRENT_INVALID` when it is not a torrent this can read
 */
export function torrentEntries(bytes: Uint8Array, addedAt: number): { name: string; entries: RegisteredInfohash[] } {
  try {
    const { manifest, infohashV1 } = decodeTorrent(bytes)
    const name = manifest.name
    const swarm = infohashV1 ?? manifest.infohash.slice(0, TRACKER_INFOHASH_LENGTH)
    const entries = v2Entries(manifest.infohash, swarm, addedAt, name)
    if (infohashV1 !== undefined) entries.push(entry(infohashV1, swarm, swarm, addedAt, name))
    return { name, entries }
  } catch (err) {
    if (err instanceof PiecesError && err.code === 'TORRENT_V1_ONLY') return v1Entries(bytes, addedAt)
    throw new TrackerError('TORRENT_INVALID', `not a torrent file mycel-tracker can read: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

/** A v1-only torrent: SHA-1 of the exact bytes of its info dictionary. */
function v1Entries(bytes: Uint8Array, addedAt: number): { name: string; entries: RegisteredInfohash[] } {
  try {
    const info = decodeBencodeEntries(bytes).find((field) => utf8.decode(field.key) === 'info')
    if (info === undefined) throw new Error('no info dictionary')
    const infohash = new Uint8Array(createHash('sha1').update(info.value).digest())
    const fields = decodeBencode(info.value) as BencodeDict
    const name = fields.name instanceof Uint8Array ? utf8.decode(fields.name) : ''
    return { name, entries: [entry(infohash, infohash, infohash, addedAt, name || undefined)] }
  } catch (err) {
    throw new TrackerError('TORRENT_INVALID', `not a torrent file mycel-tracker can read: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

/**
 * The registry entries of an infohash given in hex.
 *
 * @param hex - 40 hex digits (a v1 or truncated infohash) or 64 (a v2 infohash)
 * @param addedAt - seconds since 1970
 * @returns the entries
 * @throws {@link TrackerError} `CONFIG_INVALID` for anything else
 */
export function infohashEntries(hex: string, addedAt: number): RegisteredInfohash[] {
  const bytes = fromHex(hex)
  if (bytes?.length === TRACKER_INFOHASH_LENGTH) return [entry(bytes, bytes, bytes, addedAt)]
  if (bytes?.length === 32) return v2Entries(bytes, bytes.slice(0, TRACKER_INFOHASH_LENGTH), addedAt)
  throw new TrackerError(
    'CONFIG_INVALID',
    `${JSON.stringify(hex)} is not an infohash: 40 hex digits (v1) or 64 (v2), or a .torrent file`,
  )
}
