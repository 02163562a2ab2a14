/**
 * The `.torrent` file and magnet link a user downloads from the catalogue:
 * the uploaded file with its trackers replaced by the user's personal
 * announce URL (`/announce/<passkey>`). The info dictionary's bytes are
 * copied as they are, so the infohashes do not change.
 * @module
 */
import { decodeMetadata, encodeTorrent } from '@mycel/pieces'
import { decodeBencodeEntries, toHex } from '@mycel/wire'
import type { CatalogueRecord } from './catalogue.js'

const ascii = new TextEncoder()

function bytesString(bytes: Uint8Array): Uint8Array[] {
  return [ascii.encode(`${bytes.length}:`), bytes]
}

/**
 * The torrent file of an entry, announcing to `announce`.
 *
 * @param record - the catalogue entry, with its uploaded bytes
 * @param announce - the user's announce URL
 * @returns the `.torrent` bytes
 */
export function personalTorrent(record: CatalogueRecord, announce: string): Uint8Array {
  if (record.kind === 'manifest') {
    const manifest = decodeMetadata(record.source, record.infohashV2 as Uint8Array)
    return encodeTorrent(manifest, { announce }).bytes
  }
  // Keys stay in byte order: `announce` sorts before every other key a torrent has but `announce-list`, which is dropped.
  const parts: Uint8Array[] = [
    ascii.encode('d'),
    ...bytesString(ascii.encode('announce')),
    ...bytesString(ascii.encode(announce)),
  ]
  for (const entry of decodeBencodeEntries(record.source)) {
    const key = new TextDecoder().decode(entry.key)
    if (key === 'announce' || key === 'announce-list') continue
    parts.push(...bytesString(entry.key), entry.value)
  }
  parts.push(ascii.encode('e'))
  return Buffer.concat(parts)
}

/**
 * The magnet link of an entry (BEP 9, v2 `btmh` for v2 and hybrid, `btih` for v1), with the user's tracker.
 *
 * @param record - the catalogue entry
 * @param announce - the user's announce URL
 * @returns the link
 */
export function personalMagnet(record: CatalogueRecord, announce: string): string {
  const parts: string[] = []
  if (record.infohashV1 !== null) parts.push(`xt=urn:btih:${toHex(record.infohashV1)}`)
  if (record.infohashV2 !== null) parts.push(`xt=urn:btmh:1220${toHex(record.infohashV2)}`)
  parts.push(`dn=${encodeURIComponent(record.name)}`, `tr=${encodeURIComponent(announce)}`)
  return `magnet:?${parts.join('&')}`
}
