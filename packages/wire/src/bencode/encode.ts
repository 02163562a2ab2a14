import { integerOption } from '../assert.js'
import { compareBytes } from '../bytes.js'
import { WireError } from '../errors.js'
import {
  BENCODE_INT_MAX,
  BENCODE_INT_MIN,
  type BencodeEncodeOptions,
  type BencodeInput,
  type BencodeInputDict,
  type BencodeInputMap,
  DEFAULT_MAX_DEPTH,
} from './types.js'

const utf8 = new TextEncoder()
const LONE_SURROGATE = /\p{Surrogate}/u

/**
 * Encodes a value as canonical bencode: dictionary keys sorted by their raw
 * UTF-8 bytes, integers without leading zeros.
 *
 * @param value - the value; JS strings become UTF-8 byte strings,
 *   `undefined` dictionary values are left out, and a `Map` is a dictionary
 *   whose keys may be raw bytes (`Uint8Array`) as well as strings
 * @param options - nesting limit
 * @returns a new `Uint8Array` holding exactly the encoding
 * @throws {@link WireError} `BENCODE_UNENCODABLE` for values bencode cannot
 *   hold (booleans, null, fractions, unsafe numbers, integers outside the
 *   signed 64-bit range, `undefined` in a list, a `Map` with the same key
 *   twice, nesting over the limit)
 *
 * @example
 * ```ts
 * encodeBencode({ spam: ['a', 'b'] }) // bytes of 'd4:spaml1:a1:bee'
 * ```
 */
export function encodeBencode(value: BencodeInput, options: BencodeEncodeOptions = {}): Uint8Array {
  const encoder = new Encoder(integerOption(options.maxDepth, 'maxDepth', { fallback: DEFAULT_MAX_DEPTH }))
  encoder.value(value, 0)
  return encoder.finish()
}

class Encoder {
  private buffer = new Uint8Array(256)
  private pos = 0

  constructor(private readonly maxDepth: number) {}

  finish(): Uint8Array {
    return this.buffer.slice(0, this.pos)
  }

  value(value: BencodeInput, depth: number): void {
    if (typeof value === 'number') this.integer(value)
    else if (typeof value === 'string') this.text(value)
    else if (value instanceof Uint8Array) this.bytes(value)
    else if (typeof value === 'bigint') this.bigint(value)
    else if (isList(value)) this.list(value, depth + 1)
    else if (value instanceof Map) this.map(value, depth + 1)
    else if (typeof value === 'object' && value !== null) this.dict(value as BencodeInputDict, depth + 1)
    else throw unencodable(`a ${value === null ? 'null' : typeof value}`)
  }

  private integer(value: number): void {
    if (!Number.isSafeInteger(value)) throw unencodable(`the number ${value} (not a safe integer)`)
    this.ascii(`i${value}e`)
  }

  private bigint(value: bigint): void {
    if (value < BENCODE_INT_MIN || value > BENCODE_INT_MAX) throw unencodable(`${value} (outside signed 64 bits)`)
    this.ascii(`i${value}e`)
  }

  private bytes(value: Uint8Array): void {
    this.ascii(`${value.length}:`)
    this.reserve(value.length)
    this.buffer.set(value, this.pos)
    this.pos += value.length
  }

  private text(value: string): void {
    // Fast path: a pure-ASCII string has as many bytes as code units.
    if (isAscii(value)) {
      this.ascii(`${value.length}:`)
      this.ascii(value)
    } else {
      if (LONE_SURROGATE.test(value)) throw unencodable('a string with a lone surrogate (not valid Unicode)')
      this.bytes(utf8.encode(value))
    }
  }

  private list(value: readonly BencodeInput[], depth: number): void {
    if (depth > this.maxDepth) throw unencodable(`nesting deeper than ${this.maxDepth}`)
    this.ascii('l')
    for (const item of value) {
      if (item === undefined) throw unencodable('undefined in a list')
      this.value(item, depth)
    }
    this.ascii('e')
  }

  private map(value: BencodeInputMap, depth: number): void {
    if (depth > this.maxDepth) throw unencodable(`nesting deeper than ${this.maxDepth}`)
    const entries: [Uint8Array, BencodeInput][] = []
    for (const [key, item] of value) {
      if (item === undefined) continue
      if (typeof key === 'string') entries.push([utf8.encode(key), item])
      else if (key instanceof Uint8Array) entries.push([key, item])
      else throw unencodable('a dictionary key that is neither a string nor a Uint8Array')
    }
    entries.sort((a, b) => compareBytes(a[0], b[0]))
    this.ascii('d')
    for (let i = 0; i < entries.length; i++) {
      const [key, item] = entries[i] as [Uint8Array, BencodeInput]
      if (i > 0 && compareBytes((entries[i - 1] as [Uint8Array, BencodeInput])[0], key) === 0) {
        throw unencodable('a dictionary with the same key twice')
      }
      this.bytes(key)
      this.value(item, depth)
    }
    this.ascii('e')
  }

  private dict(value: BencodeInputDict, depth: number): void {
    if (depth > this.maxDepth) throw unencodable(`nesting deeper than ${this.maxDepth}`)
    this.ascii('d')
    const keys = Object.keys(value).sort(compareUtf8)
    for (const key of keys) {
      const item = value[key]
      if (item === undefined) continue
      this.text(key)
      this.value(item, depth)
    }
    this.ascii('e')
  }

  /** Writes a string whose characters are all below 0x80. */
  private ascii(text: string): void {
    this.reserve(text.length)
    const buffer = this.buffer
    let pos = this.pos
    for (let i = 0; i < text.length; i++) buffer[pos++] = text.charCodeAt(i)
    this.pos = pos
  }

  private reserve(extra: number): void {
    const needed = this.pos + extra
    if (needed <= this.buffer.length) return
    let size = this.buffer.length * 2
    while (size < needed) size *= 2
    const grown = new Uint8Array(size)
    grown.set(this.buffer.subarray(0, this.pos))
    this.buffer = grown
  }
}

/** `Array.isArray` that narrows readonly arrays too. */
function isList(value: BencodeInput): value is readonly BencodeInput[] {
  return Array.isArray(value)
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false
  return true
}

/**
 * Orders strings as their UTF-8 encodings would be ordered byte by byte,
 * which is code point order. Plain `<` on JS strings compares UTF-16 code
 * units and would put U+E000..U+FFFF after astral characters.
 * @internal
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

/** Moves surrogates (parts of code points above U+FFFF) after all other code units. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit
  if (unit < 0xe000) return unit + 0x2000
  return unit - 0x800
}

function unencodable(what: string): WireError {
  return new WireError('BENCODE_UNENCODABLE', `bencode cannot encode ${what}`)
}
