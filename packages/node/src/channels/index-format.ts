/**
 * A channel's index: its title and the shares it lists, bencoded.
 *
 * ```
 * d 1:e l (d 2:ih 32:<infohash> 1:n <name> 1:s i<size>e 1:t i<unix seconds>e [1:x <text>] e)... e
 *   1:n <title> 1:v i1e e
 * ```
 * @module
 */
import { type BencodeDict, type BencodeValue, decodeBencode, encodeBencode, fromHex, toHex } from '@mycel/wire'
import { NodeError } from '../errors.js'
import { CHANNEL_LIMITS } from './limits.js'

/** One share a channel lists. */
export interface ChannelEntry {
  /** The share's infohash (64 hex digits). */
  readonly infohash: string
  /** Its name. */
  readonly name: string
  /** Its size in bytes. */
  readonly size: number
  /** When it was published, in seconds since the epoch. */
  readonly time: number
  /** An optional description. */
  readonly text?: string
}

/** What a version of a channel lists. */
export interface ChannelIndex {
  /** The channel's title. */
  readonly title: string
  /** Its entries, newest first. */
  readonly entries: readonly ChannelEntry[]
}

const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

function invalid(why: string): NodeError {
  return new NodeError('CHANNEL_INDEX_INVALID', `malformed channel index: ${why}`)
}

function checkText(value: unknown, what: string, max: number, error: (why: string) => NodeError): string {
  if (typeof value !== 'string') throw error(`${what} is not text`)
  const bytes = utf8.encode(value).length
  if (bytes > max) throw error(`${what} is ${bytes} bytes, over ${max}`)
  return value
}

/**
 * Checks an entry a publisher gives.
 * @param entry - the entry
 * @returns a clean copy
 * @throws NodeError `CHANNEL_ENTRY_INVALID` for a bad infohash, name, size, time or text
 */
export function checkEntry(entry: ChannelEntry): ChannelEntry {
  const error = (why: string) => new NodeError('CHANNEL_ENTRY_INVALID', `not a channel entry: ${why}`)
  if (typeof entry !== 'object' || entry === null) throw error('not an object')
  if (typeof entry.infohash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(entry.infohash)) {
    throw error('the infohash is not 64 hex digits')
  }
  const name = checkText(entry.name, 'the name', CHANNEL_LIMITS.maxNameBytes, error)
  if (name === '') throw error('the name is empty')
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw error('the size is not a byte count')
  if (!Number.isSafeInteger(entry.time) || entry.time < 0) throw error('the time is not seconds since the epoch')
  const text =
    entry.text === undefined ? undefined : checkText(entry.text, 'the text', CHANNEL_LIMITS.maxTextBytes, error)
  return {
    infohash: entry.infohash.toLowerCase(),
    name,
    size: entry.size,
    time: entry.time,
    ...(text === undefined ? {} : { text }),
  }
}

/**
 * Encodes an index.
 * @param index - title and entries (checked)
 * @returns the bencoded bytes
 * @throws NodeError `CHANNEL_ENTRY_INVALID`; `CHANNEL_INDEX_TOO_LARGE` past the entry count
 */
export function encodeIndex(index: ChannelIndex): Uint8Array {
  const title = checkText(index.title, 'the title', CHANNEL_LIMITS.maxTitleBytes, invalid)
  if (index.entries.length > CHANNEL_LIMITS.maxEntries) {
    throw new NodeError(
      'CHANNEL_INDEX_TOO_LARGE',
      `a channel lists at most ${CHANNEL_LIMITS.maxEntries} entries, not ${index.entries.length}`,
    )
  }
  const entries = index.entries.map(checkEntry).map((entry) => ({
    ih: fromHex(entry.infohash),
    n: entry.name,
    s: entry.size,
    t: entry.time,
    x: entry.text,
  }))
  return encodeBencode({ e: entries, n: title, v: 1 })
}

function field(dict: BencodeDict, key: string): BencodeValue | undefined {
  return Object.hasOwn(dict, key) ? dict[key] : undefined
}

function isDict(value: BencodeValue | undefined): value is BencodeDict {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !Array.isArray(value)
}

function text(value: BencodeValue | undefined, what: string, max: number): string {
  if (!(value instanceof Uint8Array)) throw invalid(`${what} is not a string`)
  if (value.length > max) throw invalid(`${what} is ${value.length} bytes, over ${max}`)
  try {
    return strictUtf8.decode(value)
  } catch {
    throw invalid(`${what} is not UTF-8`)
  }
}

function count(value: BencodeValue | undefined, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${what} is not a non-negative integer`)
  }
  return value
}

/**
 * Decodes and checks an index received from the network.
 * @param bytes - the bencoded index (plaintext)
 * @returns title and entries
 * @throws NodeError `CHANNEL_INDEX_TOO_LARGE` over the size or entry count; `CHANNEL_INDEX_INVALID` for
 *   anything malformed (not bencode, a field of the wrong type, an entry out of bounds)
 */
export function decodeIndex(bytes: Uint8Array): ChannelIndex {
  if (bytes.length > CHANNEL_LIMITS.maxIndexBytes) {
    throw new NodeError(
      'CHANNEL_INDEX_TOO_LARGE',
      `the index is ${bytes.length} bytes, over ${CHANNEL_LIMITS.maxIndexBytes}`,
    )
  }
  let root: BencodeValue
  try {
    root = decodeBencode(bytes, { maxBytes: CHANNEL_LIMITS.maxIndexBytes, maxDepth: 4 })
  } catch (error) {
    throw invalid(`not bencode (${error instanceof Error ? error.message : String(error)})`)
  }
  if (!isDict(root)) throw invalid('not a dictionary')
  if (field(root, 'v') !== 1) throw invalid('not version 1')
  const title = text(field(root, 'n'), 'the title', CHANNEL_LIMITS.maxTitleBytes)
  const list = field(root, 'e')
  if (!Array.isArray(list)) throw invalid('the entries are not a list')
  if (list.length > CHANNEL_LIMITS.maxEntries) {
    throw new NodeError(
      'CHANNEL_INDEX_TOO_LARGE',
      `the index lists ${list.length} entries, over ${CHANNEL_LIMITS.maxEntries}`,
    )
  }
  const entries = list.map((item, at): ChannelEntry => {
    if (!isDict(item)) throw invalid(`entry ${at} is not a dictionary`)
    const ih = field(item, 'ih')
    if (!(ih instanceof Uint8Array) || ih.length !== 32) throw invalid(`entry ${at} has no 32-byte infohash`)
    const name = text(field(item, 'n'), `the name of entry ${at}`, CHANNEL_LIMITS.maxNameBytes)
    if (name === '') throw invalid(`entry ${at} has an empty name`)
    const x = field(item, 'x')
    return {
      infohash: toHex(ih),
      name,
      size: count(field(item, 's'), `the size of entry ${at}`),
      time: count(field(item, 't'), `the time of entry ${at}`),
      ...(x === undefined ? {} : { text: text(x, `the text of entry ${at}`, CHANNEL_LIMITS.maxTextBytes) }),
    }
  })
  return { title, entries }
}
