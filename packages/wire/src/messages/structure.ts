import { WireError } from '../errors.js'
import { MESSAGE_LIMITS as L } from './limits.js'

/**
 * Bytes that follow the type byte of a fixed-size value (nil, booleans,
 * floats, integers from 0xc0 to 0xd3), indexed by type byte - 0xc0; -1 for
 * the other types of that range, whose size is in their header, and 0xc1,
 * which msgpack never uses.
 */
const FIXED_TAIL = new Int8Array([0, -1, 0, 0, -1, -1, -1, -1, -1, -1, 4, 8, 1, 2, 4, 8, 1, 2, 4, 8])

/** Values still to read in each open container (reused: the walk is synchronous and never re-entered). */
const left = new Int32Array(L.maxDepth + 1)

/**
 * Walks the msgpack headers of one message without decoding it, and refuses
 * what the protocol never sends before the decoder spends time on it: a
 * container nested deeper than {@link MESSAGE_LIMITS}.maxDepth, more than
 * `maxValues` values, a list or map over its length bound, an extension
 * type, a truncated value or bytes after the message, and a top-level value
 * that is not a map. It reads each header once with a stack of at most
 * `maxDepth` counters, so it costs time linear in the input (stopping at the
 * first refused header) and no allocation per value.
 *
 * @param bytes - one encoded message
 * @throws {@link WireError} `MESSAGE_TOO_DEEP`, `MESSAGE_TOO_LARGE` (too many
 *   values) or `MESSAGE_MALFORMED`
 * @internal
 */
export function checkMessageStructure(bytes: Uint8Array): void {
  const end = bytes.length
  const first = bytes[0]
  if (first === undefined || (!(first >= 0x80 && first <= 0x8f) && first !== 0xde && first !== 0xdf)) {
    throw new WireError('MESSAGE_MALFORMED', 'a message must be a msgpack map')
  }
  // left[d]: values still to read in the open container at depth d (depth 0: the message itself).
  left[0] = 1
  let depth = 0
  let offset = 0
  let values = 0
  while (depth >= 0) {
    if (left[depth] === 0) {
      depth--
      continue
    }
    left[depth] = (left[depth] as number) - 1
    if (offset >= end) throw malformed(`the message ends inside a value at byte ${offset}`)
    if (++values > L.maxValues) {
      throw new WireError('MESSAGE_TOO_LARGE', `a message holds at most ${L.maxValues} msgpack values`)
    }
    const type = bytes[offset++] as number
    // children: values inside a list or map (-1 for any other value); skip: bytes after the type byte.
    let children = -1
    let skip = 0
    if (type <= 0x7f || type >= 0xe0) {
      skip = 0 // positive and negative fixint
    } else if (type <= 0x8f) {
      children = 2 * (type & 0x0f) // fixmap: a key and a value per entry
    } else if (type <= 0x9f) {
      children = type & 0x0f // fixarray
    } else if (type <= 0xbf) {
      skip = type & 0x1f // fixstr
    } else if (type === 0xdc || type === 0xdd) {
      children = readLength(bytes, offset, type === 0xdc ? 2 : 4) // array 16, 32
    } else if (type === 0xde || type === 0xdf) {
      children = 2 * readLength(bytes, offset, type === 0xde ? 2 : 4) // map 16, 32
    } else if (type === 0xc4 || type === 0xd9) {
      skip = 1 + readLength(bytes, offset, 1) // bin 8, str 8
    } else if (type === 0xc5 || type === 0xda) {
      skip = 2 + readLength(bytes, offset, 2) // bin 16, str 16
    } else if (type === 0xc6 || type === 0xdb) {
      skip = 4 + readLength(bytes, offset, 4) // bin 32, str 32
    } else if ((type >= 0xc7 && type <= 0xc9) || (type >= 0xd4 && type <= 0xd8)) {
      throw malformed(`extension type 0x${type.toString(16)} at byte ${offset - 1}: messages use none`)
    } else {
      const tail = FIXED_TAIL[type - 0xc0] as number
      if (tail < 0) throw malformed(`byte 0x${type.toString(16)} at ${offset - 1} starts no msgpack value`)
      skip = tail
    }
    if (children < 0) {
      offset += skip
      if (offset > end) throw malformed(`the message ends inside a value at byte ${end}`)
      continue
    }
    // A list or map: check its size, then read its values one level down.
    const isMap = type <= 0x8f || type >= 0xde
    offset += type <= 0x9f ? 0 : type === 0xdc || type === 0xde ? 2 : 4
    if (isMap ? children / 2 > L.maxMapEntries : children > L.maxListItems) {
      const what = isMap ? `a map of ${children / 2} entries` : `a list of ${children} items`
      throw malformed(`${what} is over the limit of ${isMap ? L.maxMapEntries : L.maxListItems}`)
    }
    if (depth + 1 > L.maxDepth) {
      throw new WireError('MESSAGE_TOO_DEEP', `lists and maps nest deeper than ${L.maxDepth} at byte ${offset}`)
    }
    left[++depth] = children
  }
  if (offset !== end) throw malformed(`${end - offset} bytes follow the message`)
}

/** The big-endian unsigned length of `size` bytes at `offset` (past the input: a truncated value). */
function readLength(bytes: Uint8Array, offset: number, size: 1 | 2 | 4): number {
  if (offset + size > bytes.length) throw malformed(`the message ends inside a header at byte ${offset}`)
  let length = 0
  for (let i = 0; i < size; i++) length = length * 256 + (bytes[offset + i] as number)
  return length
}

function malformed(detail: string): WireError {
  return new WireError('MESSAGE_MALFORMED', `not a msgpack message: ${detail}`)
}
