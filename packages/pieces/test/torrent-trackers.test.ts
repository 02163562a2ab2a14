/**
 * What a `.torrent` file says about finding peers: its tracker tiers (BEP 12)
 * and whether it is private (BEP 27).
 */
import { type BencodeDict, type BencodeInput, decodeBencode, decodeBencodeEntries, encodeBencode } from '@mycel/wire'
import { describe, expect, it } from 'vitest'
import {
  BLOCK_SIZE,
  createManifest,
  decodeMetadata,
  decodeTorrent,
  encodeMetadata,
  encodeTorrent,
  FileHasher,
} from '../src/index.js'
import { content } from './helpers.js'

function manifestOf(length: number) {
  const hasher = new FileHasher(BLOCK_SIZE)
  hasher.update(content(7, length))
  return createManifest({
    name: 'data.bin',
    pieceLength: BLOCK_SIZE,
    files: [{ path: ['data.bin'], ...hasher.digest() }],
  })
}

/** The torrent with keys of its outer and info dictionaries replaced (piece layers kept as they are). */
function rewrite(bytes: Uint8Array, outer: Record<string, BencodeInput>, info: Record<string, BencodeInput> = {}) {
  const text = new TextDecoder()
  const entries = new Map(decodeBencodeEntries(bytes).map(({ key, value }) => [text.decode(key), value]))
  const infoDict = { ...(decodeBencode(entries.get('info') as Uint8Array) as BencodeDict), ...info }
  entries.set('info', encodeBencode(infoDict as BencodeInput))
  for (const [key, value] of Object.entries(outer)) entries.set(key, encodeBencode(value))
  const parts: Uint8Array[] = [new TextEncoder().encode('d')]
  for (const key of [...entries.keys()].sort()) {
    parts.push(new TextEncoder().encode(`${key.length}:${key}`), entries.get(key) as Uint8Array)
  }
  parts.push(new TextEncoder().encode('e'))
  return new Uint8Array(Buffer.concat(parts))
}

describe('.torrent trackers and privacy', () => {
  const manifest = manifestOf(3 * BLOCK_SIZE)

  it('reads announce-list as tiers (a URL only in its first tier, blank and non-text entries left out)', () => {
    const { bytes } = encodeTorrent(manifest, {
      announce: 'http://ignored.example/announce',
      announceList: [
        ['udp://a.example:1', 'http://b.example/announce'],
        [],
        ['udp://a.example:1', ' udp://c.example:2 '],
      ],
    })
    const torrent = decodeTorrent(bytes)
    expect(torrent.trackerTiers).toEqual([['udp://a.example:1', 'http://b.example/announce'], ['udp://c.example:2']])
    const odd = rewrite(bytes, { 'announce-list': [[new Uint8Array([0xff, 0xfe]), 'udp://d.example:3'], 'x', [7]] })
    expect(decodeTorrent(odd).trackerTiers).toEqual([['udp://d.example:3']])
  })

  it('falls back to announce as one tier, and gives no tier without trackers', () => {
    const only = encodeTorrent(manifest, { announce: 'http://t.example/announce' }).bytes
    expect(decodeTorrent(only).trackerTiers).toEqual([['http://t.example/announce']])
    expect(decodeTorrent(encodeTorrent(manifest).bytes).trackerTiers).toEqual([])
  })

  it('keeps at most 256 tracker URLs of a torrent', () => {
    const tiers = Array.from({ length: 300 }, (_, i) => [`udp://t${i}.example:1`])
    const torrent = decodeTorrent(encodeTorrent(manifest, { announceList: tiers }).bytes)
    expect(torrent.trackerTiers.flat()).toHaveLength(256)
  })

  it('says whether the info dictionary is private (BEP 27): private=1, and nothing else, makes it so', () => {
    const { bytes } = encodeTorrent(manifest)
    expect(decodeTorrent(bytes).manifest.privateTorrent).toBe(false)
    expect(manifest.privateTorrent).toBe(false)
    const privateTorrent = decodeTorrent(rewrite(bytes, {}, { private: 1 })).manifest
    expect(privateTorrent.privateTorrent).toBe(true)
    // A different info dictionary: a different share.
    expect(privateTorrent.infohashHex).not.toBe(manifest.infohashHex)
    expect(decodeTorrent(rewrite(bytes, {}, { private: 0 })).manifest.privateTorrent).toBe(false)
    expect(decodeTorrent(rewrite(bytes, {}, { private: '1' })).manifest.privateTorrent).toBe(false)
    // Metadata fetched from peers keeps it.
    const fetched = decodeMetadata(encodeMetadata(privateTorrent), privateTorrent.infohash)
    expect(fetched.privateTorrent).toBe(true)
  })
})
