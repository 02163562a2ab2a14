/**
 * Reads an upload to the catalogue (a `.torrent` file, v1, v2 or hybrid,
 * or a mycel manifest) as network input: the size is bounded, v2 and
 * hybrid torrents and manifests go through `@mycel/pieces`' validating
 * decoders (path safety, limits, piece layers), v1-only torrents through
 * the checks below (the same path rules). What is kept is the entry's
 * facts and the original bytes.
 * @module
 */
import { createHash } from 'node:crypto'
import { decodeMetadata, decodeTorrent, MANIFEST_LIMITS, PiecesError } from '@mycel/pieces'
import {
  type BencodeDict,
  type BencodeValue,
  decodeBencode,
  decodeBencodeEntries,
  TRACKER_INFOHASH_LENGTH,
} from '@mycel/wire'
import { AccountError } from '../accounts/errors.js'
import type { RegisteredInfohash } from '../core/registry.js'
import { infohashEntries, torrentEntries } from '../registration.js'

/** Largest upload, in bytes (a torrent's piece layers for 100 GiB at 16 KiB pieces are ~200 MiB: such torrents use larger pieces). */
export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024

/** What an upload is. */
export type UploadKind = 'torrent' | 'manifest'

/** An upload, read and checked. */
export interface CatalogueItem {
  /** `v1`, `v2`, `hybrid` (torrents) or `manifest` (a mycel manifest, v2). */
  readonly kind: 'v1' | 'v2' | 'hybrid' | 'manifest'
  /** The swarm key: the v1 infohash (v1, hybrid) or the truncated v2 infohash. */
  readonly swarm: Uint8Array
  readonly infohashV1?: Uint8Array
  /** The full 32-byte v2 infohash. */
  readonly infohashV2?: Uint8Array
  readonly name: string
  /** Bytes in all files. */
  readonly size: number
  /** Number of files. */
  readonly files: number
  /** What the registry gets (the infohashes clients announce). */
  readonly entries: RegisteredInfohash[]
  /** The bytes uploaded. */
  readonly source: Uint8Array
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function invalid(message: string, cause?: unknown): AccountError {
  return new AccountError('UPLOAD_INVALID', message, cause === undefined ? undefined : { cause })
}

/**
 * Reads an upload.
 *
 * @param bytes - the uploaded bytes
 * @param kind - a `.torrent` file or a mycel manifest (`{ info, piece layers }`)
 * @param addedAt - seconds since 1970
 * @returns the item
 * @throws {@link AccountError} `BODY_TOO_LARGE`, `UPLOAD_INVALID` (with the decoder's reason)
 */
export function readUpload(bytes: Uint8Array, kind: UploadKind, addedAt: number): CatalogueItem {
  if (bytes.length > MAX_UPLOAD_BYTES) {
    throw new AccountError('BODY_TOO_LARGE', `an upload has at most ${MAX_UPLOAD_BYTES} bytes`)
  }
  if (kind === 'manifest') return readManifest(bytes, addedAt)
  try {
    const { manifest, infohashV1 } = decodeTorrent(bytes)
    const { entries } = torrentEntries(bytes, addedAt)
    return {
      kind: infohashV1 === undefined ? 'v2' : 'hybrid',
      swarm: infohashV1 ?? manifest.infohash.slice(0, TRACKER_INFOHASH_LENGTH),
      ...(infohashV1 !== undefined ? { infohashV1 } : {}),
      infohashV2: manifest.infohash,
      name: manifest.name,
      size: manifest.totalLength,
      files: manifest.files.length,
      entries,
      source: bytes,
    }
  } catch (err) {
    if (err instanceof PiecesError && err.code === 'TORRENT_V1_ONLY') return readV1(bytes, addedAt)
    throw invalid(`not a torrent file: ${(err as Error).message}`, err)
  }
}

function readManifest(bytes: Uint8Array, addedAt: number): CatalogueItem {
  try {
    const info = decodeBencodeEntries(bytes).find((entry) => new TextDecoder().decode(entry.key) === 'info')
    if (info === undefined) throw new Error('no info dictionary')
    const infohash = new Uint8Array(createHash('sha256').update(info.value).digest())
    const manifest = decodeMetadata(bytes, infohash)
    const swarm = infohash.slice(0, TRACKER_INFOHASH_LENGTH)
    // The same registry entries as a v2 .torrent's: the truncated infohash and the discovery key.
    const entries = infohashEntries(Buffer.from(infohash).toString('hex'), addedAt).map((entry) => ({
      ...entry,
      name: manifest.name,
    }))
    return {
      kind: 'manifest',
      swarm,
      infohashV2: infohash,
      name: manifest.name,
      size: manifest.totalLength,
      files: manifest.files.length,
      entries,
      source: bytes,
    }
  } catch (err) {
    throw invalid(`not a mycel manifest: ${(err as Error).message}`, err)
  }
}

/** A path component that is safe to create: not empty, not `.` or `..`, no separators or NUL, bounded. */
function safeComponent(component: BencodeValue | undefined, what: string): string {
  if (!(component instanceof Uint8Array)) throw new Error(`${what} is not a string`)
  if (component.length === 0 || component.length > MANIFEST_LIMITS.maxComponentBytes) {
    throw new Error(`${what} has ${component.length} bytes (1 to ${MANIFEST_LIMITS.maxComponentBytes})`)
  }
  const text = utf8.decode(component)
  if (text === '.' || text === '..' || /[/\\\0]/.test(text))
    throw new Error(`${what} ${JSON.stringify(text)} is not safe`)
  return text
}

function length(value: BencodeValue | undefined, what: string): number {
  if (typeof value !== 'bigint' && typeof value !== 'number') throw new Error(`${what} is not an integer`)
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < 0) throw new Error(`${what} is out of range`)
  return number
}

/** A v1-only torrent: its info dictionary's name, files and lengths, checked like the v2 decoder checks paths. */
function readV1(bytes: Uint8Array, addedAt: number): CatalogueItem {
  try {
    const info = decodeBencodeEntries(bytes).find((entry) => new TextDecoder().decode(entry.key) === 'info')
    if (info === undefined) throw new Error('no info dictionary')
    if (info.value.length > MANIFEST_LIMITS.maxInfoBytes) throw new Error('info dictionary too large')
    const fields = decodeBencode(info.value) as BencodeDict
    const name = safeComponent(fields.name, 'name')
    let size = 0
    let files = 0
    if (fields.files === undefined) {
      size = length(fields.length, 'length')
      files = 1
    } else {
      if (!Array.isArray(fields.files)) throw new Error('files is not a list')
      if (fields.files.length === 0 || fields.files.length > MANIFEST_LIMITS.maxFiles) {
        throw new Error(`files has ${fields.files.length} entries (1 to ${MANIFEST_LIMITS.maxFiles})`)
      }
      for (const file of fields.files as BencodeValue[]) {
        const entry = file as BencodeDict
        const path = entry.path
        if (!Array.isArray(path) || path.length === 0 || path.length > MANIFEST_LIMITS.maxPathDepth) {
          throw new Error('a file path is not a list of 1 to 32 components')
        }
        let pathBytes = 0
        for (const component of path as BencodeValue[]) {
          pathBytes += safeComponent(component, 'a path component').length + 1
        }
        if (pathBytes > MANIFEST_LIMITS.maxPathBytes) throw new Error('a file path is too long')
        size += length(entry.length, 'a file length')
        files++
      }
      if (!Number.isSafeInteger(size)) throw new Error('total length out of range')
    }
    const infohashV1 = new Uint8Array(createHash('sha1').update(info.value).digest())
    const entries: RegisteredInfohash[] = [
      { infohash: infohashV1, swarm: infohashV1, torrent: infohashV1, name, addedAt },
    ]
    return { kind: 'v1', swarm: infohashV1, infohashV1, name, size, files, entries, source: bytes }
  } catch (err) {
    throw invalid(`not a torrent file: ${(err as Error).message}`, err)
  }
}
