import { assertLimit } from '../assert.js'
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
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  const maxBytes = assertLimit(options.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes')
  if (bytes.length > maxBytes) throw WireError.tooLarge('input', bytes.length, maxBytes)
  const decoder = new Decoder(bytes, {
    maxDepth: assertLimit(options.maxDepth, DEFAULT_MAX_DEPTH, 'maxDepth'),
    maxStringBytes: assertLimit(options.maxStringBytes, maxBytes, 'maxStringBytes'),
    maxItems: assertLimit(options.maxItems, DEFAULT_MAX_ITEMS, 'maxItems'),
  })
  const value = decoder.value(0)
  if (decoder.pos !== bytes.length) {
    throw new WireError('BENCODE_TRAILING_BYTES', `${bytes.length - decoder.pos} bytes after the value`)
  }
  return value
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

  value(depth: number): BencodeValue {
    if (++this.items > this.limits.maxItems) throw WireError.tooLarge('value count', this.items, this.limits.maxItems)
    const byte = this.peek()
    if (byte === CHAR_i) return this.integer()
    if (byte >= CHAR_0 && byte <= CHAR_9) return this.byteString()
    if (byte === CHAR_l || byte === CHAR_d) {
      if (depth >= this.limits.maxDepth) {
        throw new WireError('BENCODE_TOO_DEEP', `nesting deeper than ${this.limits.maxDepth} at byte ${this.pos}`)
      }
      return byte === CHAR_l ? this.list(depth + 1) : this.dict(depth + 1)
    }
    throw WireError.unexpectedByte(byte, this.pos)
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
    this.pos++ // skip 'd'
    const dict: BencodeDict = Object.create(null)
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
      dict[this.keyText(start, end, keyOffset)] = this.value(depth)
    }
    this.pos++
    return dict
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
