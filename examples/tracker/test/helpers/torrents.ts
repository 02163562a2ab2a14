/**
 * Torrents for the stock-client tests, made with mycel's `encodeTorrent`.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type EncodedTorrent, encodeTorrent } from '@mycel/pieces'
import { ingestFile } from '@mycel/pieces/node'
import { type BencodeDict, decodeBencode, decodeBencodeEntries, encodeBencode } from '@mycel/wire'
import type { Scratch } from './scratch.js'

/**
 * The v1-only torrent of a hybrid one: its info dictionary without the v2
 * keys (`file tree`, `meta version`), no `piece layers`. For aria2 1.36,
 * which has no BitTorrent v2 and hashes a hybrid info dictionary
 * differently from libtorrent and mycel (it announces it under a v1
 * infohash no other client uses).
 *
 * @param hybrid - a hybrid `.torrent`
 * @returns the v1 torrent and its infohash
 */
export function v1Of(hybrid: Uint8Array): { bytes: Uint8Array; infohash: Uint8Array } {
  const outer = decodeBencodeEntries(hybrid)
  const text = new TextDecoder()
  const fields = new Map(outer.map((entry) => [text.decode(entry.key), entry.value]))
  const info = { ...(decodeBencode(fields.get('info') as Uint8Array) as BencodeDict) }
  delete info['file tree']
  delete info['meta version']
  const infoBytes = encodeBencode(info)
  const announce = fields.get('announce')
  const bytes = encodeBencode({ ...(announce ? { announce: decodeBencode(announce) } : {}), info })
  return { bytes, infohash: new Uint8Array(createHash('sha1').update(infoBytes).digest()) }
}

/** A file of random bytes in a seed folder, its torrent, and an empty leech folder. */
export interface SharedFile {
  readonly seedDir: string
  readonly leechDir: string
  readonly file: string
  readonly torrent: EncodedTorrent
  readonly torrentPath: string
}

/**
 * Makes a shared file and its torrent.
 *
 * @param scratch - where the folders go
 * @param size - bytes of the file
 * @param kind - `v2`, `hybrid`, or `v1` (the hybrid torrent's v1 part, see {@link v1Of})
 * @param announce - the tracker URL written in the torrent
 */
export async function sharedFile(
  scratch: Scratch,
  size: number,
  kind: 'v1' | 'v2' | 'hybrid',
  announce: string,
): Promise<SharedFile & { v1?: { bytes: Uint8Array; infohash: Uint8Array } }> {
  const dir = await scratch.dir()
  const seedDir = join(dir, 'seed')
  const leechDir = join(dir, 'leech')
  await mkdir(seedDir)
  await mkdir(leechDir)
  const file = await scratch.file(seedDir, 'data.bin', size)
  const manifest = await ingestFile(file, { v1: kind !== 'v2' })
  const torrent = encodeTorrent(manifest, { hybrid: kind !== 'v2', announce })
  const torrentPath = join(dir, 'data.torrent')
  if (kind === 'v1') {
    const v1 = v1Of(torrent.bytes)
    await writeFile(torrentPath, v1.bytes)
    return { seedDir, leechDir, file, torrent, torrentPath, v1 }
  }
  await writeFile(torrentPath, torrent.bytes)
  return { seedDir, leechDir, file, torrent, torrentPath }
}

/** The SHA-256 of a file, hex. */
export async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex')
}
