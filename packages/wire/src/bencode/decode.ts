import { assertBytes, integerOption } from '../assert.js'
import { WireError } from '../errors.js'
import {
  BENCODE_INT_MAX,
  BENCODE_INT_MIN,
  type BencodeDecodeOptions,
  type BencodeDict,
  type BencodeValue,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_ITEMS,
} from './types.js'

const CHAR_0 = 0x30
const CHAR_9 = 0x39
const CHAR_COLON = 0x3a
const CHAR_MINUS = 0x2d
const CHAR_d = 0x64
const CHAR_e = 0x65
const CHAR_i = 0x69
const CHAR_l = 0x6c

/** Keys up to this length take the ASCII fast path. */
const SHORT_KEY = 64

/** Digits of the longest int64 (`9223372036854775807`). */
const MAX_INTEGER_DIGITS = 19

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Decodes one bencoded value that must fill `bytes` exactly.
 *
 * Decoding is strict: only the canonical encoding of a value is accepted, so
 * `encodeBencode(decodeBencode(b))` returns bytes equal to `b` and a hash of
 * re-encoded data (an infohash) equals the hash of what was received.
 * Byte strings in the result are views into `bytes`, not copies.
 *
 * @param bytes - the encoded value
 * @param options - size, depth and count limits
 * @returns the decoded value
 * @throws {@link WireError} with a `BENCODE_*` code on any deviation: leading
 *   zeros, `-0`, unsorted or duplicate keys, keys that are not UTF-8, trailing
 *   bytes, truncated input, nesting or sizes over the limits.
 *
 * @example
 * ```ts
 * const dict = decodeBencode(new TextEncoder().encode('d3:cow3:mooe')) as BencodeDict
 * new TextDecoder().decode(dict.cow as Uint8Array) // 'moo'
 * ```
 */
export function decodeBencode(bytes: Uint8Array, options: BencodeDecodeOptions = {}): BencodeValue {
  const decoder = createDecoder(bytes, options)
  const value = decoder.value(0)
  if (decoder.pos !== bytes.length) {
    throw new WireError('BENCODE_TRAILING_BYTES', `${bytes.length - decoder.pos} bytes after the value`)
  }
  return value
}

/** One entry of a dictionary read by {@link decodeBencodeEntries}. */
export interface BencodeEntry {
  /** The key's raw bytes (any bytes, not only UTF-8). */
  key: Uint8Array
  /** The exact encoded bytes of the value; pass them to {@link decodeBencode} or hash them. */
  value: Uint8Array
}

/**
 * Reads a bencoded dictionary whose keys may be any bytes, returning each key
 * with the exact encoded bytes of its value, in key order. Use it for the
 * dictionaries whose keys are binary (BEP 52 `piece layers`, keyed by raw
 * 32-byte roots) and wherever the exact bytes of a value matter (hashing the
 * `info` dictionary of a `.torrent`).
 *
 * The whole input is checked as strictly as by {@link decodeBencode}, except
 * that dictionary keys, here and at any depth, need only be in increasing
 * byte order: whether they must be UTF-8 is checked when a value is decoded.
 * Keys and values are views into `bytes`.
 *
 * @param bytes - one encoded dictionary
 * @param options - size, depth and count limits
 * @returns the entries, keys strictly increasing
 * @throws {@link WireError} with a `BENCODE_*` code when the input is not one
 *   canonical dictionary (`BENCODE_UNEXPECTED_BYTE` if it is another kind of value)
 *
 * @example
 * ```ts
 * const [info] = decodeBencodeEntries(torrent).filter((e) => new TextDecoder().decode(e.key) === 'info')
 * const infohash = sha256(info.value) // the exact bytes, no re-encoding
 * ```
 */
export function decodeBencodeEntries(bytes: Uint8Array, options: BencodeDecodeOptions = {}): BencodeEntry[] {
  const decoder = createDecoder(bytes, options)
  if (decoder.peekByte() !== CHAR_d) throw new WireError('BENCODE_UNEXPECTED_BYTE', 'expected a dictionary at byte 0')
  const entries = decoder.entries()
  if (decoder.pos !== bytes.length) {
    throw new WireError('BENCODE_TRAILING_BYTES', `${bytes.length - decoder.pos} bytes after the value`)
  }
  return entries
}

function createDecoder(bytes: Uint8Array, options: BencodeDecodeOptions): Decoder {
  assertBytes(bytes, 'bytes')
  const maxBytes = integerOption(options.maxBytes, 'maxBytes', { fallback: DEFAULT_MAX_BYTES })
  if (bytes.length > maxBytes) throw WireError.tooLarge('input', bytes.length, maxBytes)
  return new Decoder(bytes, {
    maxDepth: integerOption(options.maxDepth, 'maxDepth', { fallback: DEFAULT_MAX_DEPTH }),
    maxStringBytes: integerOption(options.maxStringBytes, 'maxStringBytes', { fallback: maxBytes }),
    maxItems: integerOption(options.maxItems, 'maxItems', { fallback: DEFAULT_MAX_ITEMS }),
  })
}

interface Limits {
  maxDepth: number
  maxStringBytes: number
  maxItems: number
}

class Decoder {
  pos = 0
  private items = 0
  /** Where the bytes of the string read last start and end. */
  private stringStart = 0
  private stringEnd = 0

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: Limits,
  ) {}

  /** Decodes the value at `pos`. */
  value(depth: number): BencodeValue {
    const byte = this.start(depth)
    if (byte === CHAR_i) return this.integer()
    if (byte >= CHAR_0 && byte <= CHAR_9) return this.byteString()
    return byte === CHAR_l ? this.list(depth + 1) : this.dict(depth + 1)
  }

  /** Checks the value at `pos` like {@link value} without building it; keys need only be in byte order. */
  skip(depth: number): void {
    const byte = this.start(depth)
    if (byte === CHAR_i) this.integer()
    else if (byte >= CHAR_0 && byte <= CHAR_9) this.readString()
    else if (byte === CHAR_l) {
      this.pos++
      while (this.peek() !== CHAR_e) this.skip(depth + 1)
      this.pos++
    } else this.readDict(() => this.skip(depth + 1))
  }

  /** Reads the dictionary at `pos` as raw keys and the encoded bytes of their values. */
  entries(): BencodeEntry[] {
    this.start(0)
    const entries: BencodeEntry[] = []
    this.readDict((keyStart, keyEnd) => {
      const valueStart = this.pos
      this.skip(1)
      entries.push({ key: this.bytes.subarray(keyStart, keyEnd), value: this.bytes.subarray(valueStart, this.pos) })
    })
    return entries
  }

  peekByte(): number {
    return this.peek()
  }

  /** Counts one more value, checks the depth of a list or dictionary, and returns its first byte. */
  private start(depth: number): number {
    if (++this.items > this.limits.maxItems) throw WireError.tooLarge('value count', this.items, this.limits.maxItems)
    const byte = this.peek()
    if (byte === CHAR_l || byte === CHAR_d) {
      if (depth >= this.limits.maxDepth) {
        throw new WireError('BENCODE_TOO_DEEP', `nesting deeper than ${this.limits.maxDepth} at byte ${this.pos}`)
      }
    } else if (byte !== CHAR_i && !isDigit(byte)) {
      throw WireError.unexpectedByte(byte, this.pos)
    }
    return byte
  }

  private peek(): number {
    const byte = this.bytes[this.pos]
    if (byte === undefined) throw WireError.truncated(this.pos)
    return byte
  }

  private integer(): number | bigint {
    const start = ++this.pos // skip 'i'
    let negative = false
    if (this.peek() === CHAR_MINUS) {
      negative = true
      this.pos++
    }
    const digitsStart = this.pos
    let byte = this.peek()
    while (byte >= CHAR_0 && byte <= CHAR_9) {
      this.pos++
      byte = this.peek()
    }
    if (byte !== CHAR_e) throw WireError.unexpectedByte(byte, this.pos)
    const digits = this.pos - digitsStart
    this.pos++ // skip 'e'
    if (digits === 0) throw badInteger('has no digits', start)
    if (this.bytes[digitsStart] === CHAR_0 && (digits > 1 || negative)) {
      throw badInteger(negative ? 'is negative zero' : 'has a leading zero', start)
    }
    if (digits > MAX_INTEGER_DIGITS) throw badInteger('is outside the signed 64-bit range', start)
    if (digits <= 15) {
      let n = 0
      for (let i = digitsStart; i < digitsStart + digits; i++) n = n * 10 + ((this.bytes[i] as number) - CHAR_0)
      return negative ? -n : n
    }
    const text = String.fromCharCode(...this.bytes.subarray(start, this.pos - 1))
    const big = BigInt(text)
    if (big < BENCODE_INT_MIN || big > BENCODE_INT_MAX) throw badInteger('is outside the signed 64-bit range', start)
    return Number.isSafeInteger(Number(big)) ? Number(big) : big
  }

  /** Reads `<length>:<bytes>`, leaving the offsets of the bytes in `stringStart`/`stringEnd`. */
  private readString(): void {
    const start = this.pos
    let length = 0
    let byte = this.peek()
    while (byte >= CHAR_0 && byte <= CHAR_9) {
      length = length * 10 + (byte - CHAR_0)
      if (length > this.limits.maxStringBytes)
        throw WireError.tooLarge('byte string', length, this.limits.maxStringBytes)
      this.pos++
      byte = this.peek()
    }
    if (byte !== CHAR_COLON) throw WireError.unexpectedByte(byte, this.pos)
    if (this.bytes[start] === CHAR_0 && this.pos - start > 1) {
      throw new WireError('BENCODE_BAD_STRING_LENGTH', `string length at byte ${start} has a leading zero`)
    }
    this.pos++ // skip ':'
    const end = this.pos + length
    if (end > this.bytes.length) throw WireError.truncated(this.bytes.length)
    this.stringStart = this.pos
    this.stringEnd = end
    this.pos = end
  }

  private byteString(): Uint8Array {
    this.readString()
    return this.bytes.subarray(this.stringStart, this.stringEnd)
  }

  private list(depth: number): BencodeValue[] {
    this.pos++ // skip 'l'
    const list: BencodeValue[] = []
    while (this.peek() !== CHAR_e) list.push(this.value(depth))
    this.pos++
    return list
  }

  private dict(depth: number): BencodeDict {
    const dict: BencodeDict = Object.create(null)
    this.readDict((start, end, keyOffset) => {
      dict[this.keyText(start, end, keyOffset)] = this.value(depth)
    })
    return dict
  }

  /**
   * Walks the dictionary at `pos`: checks each key is a byte string greater
   * than the one before, then lets `onEntry` consume the value.
   */
  private readDict(onEntry: (keyStart: number, keyEnd: number, keyOffset: number) => void): void {
    this.pos++ // skip 'd'
    let previousStart = -1
    let previousEnd = -1
    while (this.peek() !== CHAR_e) {
      const keyOffset = this.pos
      if (!isDigit(this.peek())) throw WireError.unexpectedByte(this.peek(), keyOffset)
      this.readString()
      const start = this.stringStart
      const end = this.stringEnd
      if (previousStart >= 0) {
        const order = compareRanges(this.bytes, previousStart, previousEnd, start, end)
        if (order === 0) throw new WireError('BENCODE_DUPLICATE_KEY', `duplicate key at byte ${keyOffset}`)
        if (order > 0) throw new WireError('BENCODE_UNSORTED_KEYS', `key at byte ${keyOffset} is out of order`)
      }
      previousStart = start
      previousEnd = end
      onEntry(start, end, keyOffset)
    }
    this.pos++
  }

  private keyText(start: number, end: number, offset: number): string {
    if (end - start > SHORT_KEY) return this.utf8Key(start, end, offset)
    for (let i = start; i < end; i++) {
      if ((this.bytes[i] as number) >= 0x80) return this.utf8Key(start, end, offset)
    }
    return String.fromCharCode.apply(null, this.bytes.subarray(start, end) as unknown as number[])
  }

  private utf8Key(start: number, end: number, offset: number): string {
    try {
      return utf8.decode(this.bytes.subarray(start, end))
    } catch {
      throw new WireError('BENCODE_BAD_KEY', `dictionary key at byte ${offset} is not valid UTF-8`)
    }
  }
}

function isDigit(byte: number): boolean {
  return byte >= CHAR_0 && byte <= CHAR_9
}

function badInteger(what: string, offset: number): WireError {
  return new WireError('BENCODE_BAD_INTEGER', `integer at byte ${offset - 1} ${what}`)
}

/** Compares two ranges of `bytes` as unsigned byte strings. */
function compareRanges(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart)
  for (let i = 0; i < length; i++) {
    const diff = (bytes[aStart + i] as number) - (bytes[bStart + i] as number)
    if (diff !== 0) return diff
  }
  return aEnd - aStart - (bEnd - bStart)
}
