/**
 * The outer layer of metadata blobs and `.torrent` files: a dictionary whose
 * `info` value must be kept as the exact bytes received (they are what the
 * infohash is computed over) and whose `piece layers` value is keyed by raw
 * 32-byte pieces roots. Both are read with `decodeBencodeEntries`, which
 * checks the whole input as strictly as `decodeBencode`.
 * @internal
 * @module
 */
import { decodeBencode, decodeBencodeEntries, encodeBencode, toHex, WireError } from '@mycel/wire'
import { PiecesError } from '../errors.js'
import { HASH_SIZE } from '../limits.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })
const ascii = new TextEncoder()

/**
 * Splits the outer dictionary of `bytes` into its keys (UTF-8 text) and the
 * exact encoded bytes of each value, as views into `bytes`.
 */
export function readOuterDict(bytes: Uint8Array, maxDepth: number): Map<string, Uint8Array> {
  const entries = wireToPieces('outer dictionary', () => decodeBencodeEntries(bytes, { maxDepth }))
  const fields = new Map<string, Uint8Array>()
  for (const { key, value } of entries) {
    let name: string
    try {
      name = utf8.decode(key)
    } catch (err) {
      throw PiecesError.malformed('a key of the outer dictionary is not UTF-8', err)
    }
    fields.set(name, value)
  }
  return fields
}

/**
 * Reads a `piece layers` dictionary: keys of 32 raw bytes, values non-empty
 * byte strings of whole 32-byte hashes. Returns the layers by hex root;
 * values are views into `bytes`.
 */
export function readPieceLayers(bytes: Uint8Array, maxLayers: number): Map<string, Uint8Array> {
  const entries = wireToPieces('piece layers', () => decodeBencodeEntries(bytes, { maxDepth: 1 }))
  if (entries.length > maxLayers) throw PiecesError.tooLarge('piece layer count', entries.length, maxLayers)
  const layers = new Map<string, Uint8Array>()
  for (const { key, value } of entries) {
    if (key.length !== HASH_SIZE) {
      throw new PiecesError('MANIFEST_BAD_PIECE_LAYER', `a piece layers key is ${key.length} bytes, not 32`)
    }
    const layer = wireToPieces('piece layer', () => decodeBencode(value, { maxDepth: 0 }))
    if (!(layer instanceof Uint8Array) || layer.length === 0 || layer.length % HASH_SIZE !== 0) {
      throw new PiecesError('MANIFEST_BAD_PIECE_LAYER', `the piece layer of ${toHex(key)} is not whole 32-byte hashes`)
    }
    layers.set(toHex(key), layer)
  }
  return layers
}

/** Encodes a `piece layers` dictionary: raw roots as keys, each root once. */
export function encodePieceLayers(layers: readonly { root: Uint8Array; layer: Uint8Array }[]): Uint8Array {
  const byRoot = new Map<string, { root: Uint8Array; layer: Uint8Array }>()
  for (const entry of layers) byRoot.set(toHex(entry.root), entry)
  return encodeBencode(new Map([...byRoot.values()].map(({ root, layer }) => [root, layer])))
}

/** Bytes of ASCII text. */
export function asciiBytes(text: string): Uint8Array {
  return ascii.encode(text)
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Runs a decoder of a value, turning a `WireError` into `MANIFEST_MALFORMED` (or `MANIFEST_TOO_LARGE`). */
export function wireToPieces<T>(what: string, decode: () => T): T {
  try {
    return decode()
  } catch (err) {
    if (err instanceof WireError) {
      if (err.code === 'BENCODE_TOO_LARGE') {
        throw new PiecesError('MANIFEST_TOO_LARGE', `${what}: ${err.message}`, { cause: err })
      }
      throw PiecesError.malformed(`${what}: ${err.message}`, err)
    }
    throw err
  }
}
