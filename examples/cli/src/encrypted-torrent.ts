import { readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { decodeTorrent, formatMagnet, MANIFEST_LIMITS } from '@mycel/pieces'
import { decryptTorrent, encryptTorrent } from '@mycel/pieces/private'
import { parsePeerId } from '@mycel/transport'
import { loadOrCreateIdentity } from '@mycel/transport/node'
import type { Context } from './context.js'
import { CliError, explain } from './errors.js'
import { type GetInput, isUsableTracker } from './get-input.js'

/** Whether `get` was given an encrypted `.torrent.enc` file (by its name). */
export function isEncryptedTorrentPath(text: string): boolean {
  return /\.torrent\.enc$/i.test(text.trim())
}

/**
 * Encrypts `.torrent` bytes for the users named by peer id (`export --to`).
 *
 * @param torrent - the `.torrent` file
 * @param peerIds - base32 peer ids, 1 to 64
 * @returns the `.torrent.enc` bytes
 * @throws {@link CliError} `USAGE` for a bad peer id or too many
 */
export function encryptTorrentFor(torrent: Uint8Array, peerIds: readonly string[]): Uint8Array {
  const users = peerIds.map((peerId) => {
    try {
      return parsePeerId(peerId)
    } catch {
      throw CliError.usage(`--to takes peer ids, not ${JSON.stringify(peerId.slice(0, 80))}`, 'as mycel id prints them')
    }
  })
  try {
    return encryptTorrent(torrent, users)
  } catch (error) {
    throw explain(error, { dataDir: '', port: undefined, host: '' })
  }
}

/**
 * Reads a `.torrent.enc` file for `get`: decrypts it with the data
 * folder's identity and reads the `.torrent` inside.
 *
 * @param context - the command's context
 * @param text - the path
 * @returns what `get` downloads
 * @throws {@link CliError} `FILE_NOT_FOUND`, `NOT_A_READER` (not encrypted for this identity),
 *   `PRIVATE_INVALID` (changed or not this format), `TORRENT_INVALID`
 */
export async function readEncryptedTorrent(context: Context, text: string): Promise<GetInput> {
  const path = resolve(text.trim())
  const file = await stat(path).catch(() => undefined)
  if (file === undefined || !file.isFile())
    throw new CliError('FILE_NOT_FOUND', `no such file: ${path}`, 'check the path')
  if (file.size > MANIFEST_LIMITS.maxMetadataBytes + 8192) {
    throw new CliError('TORRENT_INVALID', `${path} is larger than an encrypted .torrent can be`, 'check the file')
  }
  const identity = await loadOrCreateIdentity(join(context.options.dataDir, 'identity.json'))
  let torrent: Uint8Array
  let manifest: ReturnType<typeof decodeTorrent>
  try {
    torrent = decryptTorrent(new Uint8Array(await readFile(path)), identity.exportSecretKey())
  } catch (error) {
    throw explain(error, context.explain)
  }
  try {
    manifest = decodeTorrent(torrent)
  } catch (error) {
    throw new CliError('TORRENT_INVALID', `${path} holds no usable .torrent`, 'ask whoever sent it', { cause: error })
  }
  context.out.event('torrent', {
    path,
    encrypted: true,
    infohash: manifest.manifest.infohashHex,
    name: manifest.manifest.name,
    totalBytes: manifest.manifest.totalLength,
  })
  return {
    link: formatMagnet({ infohash: manifest.manifest.infohash, name: manifest.manifest.name }),
    infohash: manifest.manifest.infohashHex,
    manifest: manifest.manifest,
    torrentPath: path,
    trackerTiers: manifest.trackerTiers.map((tier) => tier.filter(isUsableTracker)).filter((tier) => tier.length > 0),
  }
}
