import { Decoder, Encoder } from '@msgpack/msgpack'
import { WireError } from '../errors.js'
import { INFOHASH_BYTES, MESSAGE_LIMITS as L } from './limits.js'
import { checkMessageStructure } from './structure.js'
import type { DataMessage, Message, MessageType } from './types.js'

const HASH_BYTES = 32

const msgpackDecoder = new Decoder({
  maxStrLength: L.maxReasonLength * 4,
  maxBinLength: L.maxMessageBytes,
  // Structural bounds only (checkMessageStructure applies them first); every field is checked precisely afterwards.
  maxArrayLength: L.maxListItems,
  maxMapLength: L.maxMapEntries,
  maxExtLength: 0,
})
const msgpackEncoder = new Encoder({ ignoreUndefined: true, initialBufferSize: 64 * 1024 })

/**
 * Encodes a peer-protocol message as a msgpack map. The message is checked
 * against the same rules as {@link decodeMessage}, so a peer never receives
 * from us what it would have to refuse; fields not defined for the type are
 * not sent.
 *
 * @param message - the message to send
 * @returns a new buffer holding the encoded message
 * @throws {@link WireError} `MESSAGE_INVALID_FIELD` or `MESSAGE_TOO_LARGE`
 *   when the message breaks a rule
 *
 * @example
 * ```ts
 * const bytes = encodeMessage({ type: 'have', infohash, piece: 7 })
 * ```
 */
export function encodeMessage(message: Message): Uint8Array {
  if (typeof message !== 'object' || message === null) throw new TypeError('message must be an object')
  const checked = parseFields(Fields.ofMessage(message as unknown as Record<string, unknown>))
  const bytes = msgpackEncoder.encode(checked)
  if (bytes.length > L.maxMessageBytes) throw tooLarge(bytes.length)
  return bytes
}

/**
 * Encodes a message as a few byte arrays whose concatenation is exactly what
 * {@link encodeMessage} would return, without copying a `data` message's
 * payload: for `data` the parts are a small msgpack header and `bytes`
 * itself. A channel that copies the parts into its own buffer (as the
 * secure channel does) then touches the payload once.
 *
 * @param message - the message to send
 * @returns the parts, in order
 * @throws {@link WireError} as {@link encodeMessage}
 *
 * @example
 * ```ts
 * connection.writeParts(encodeMessageParts({ type: 'data', id, bytes: block }))
 * ```
 */
export function encodeMessageParts(message: Message): Uint8Array[] {
  if (typeof message !== 'object' || message === null) throw new TypeError('message must be an object')
  if (message.type !== 'data') return [encodeMessage(message)]
  const checked = parseFields(Fields.ofMessage(message as unknown as Record<string, unknown>)) as DataMessage
  const { bytes, ...rest } = checked
  // The map without `bytes`, then one more entry: "bytes" and its bin header.
  const head = msgpackEncoder.encode(rest)
  const entries = (head[0] as number) & 0x0f
  const binHeader = bytes.length < 0x100 ? 2 : bytes.length < 0x10000 ? 3 : 5
  const header = new Uint8Array(head.length + BYTES_KEY.length + binHeader)
  header.set(head)
  header[0] = 0x80 | (entries + 1) // fixmap: the small map has at most 3 entries
  header.set(BYTES_KEY, head.length)
  writeBinHeader(header, head.length + BYTES_KEY.length, bytes.length)
  if (header.length + bytes.length > L.maxMessageBytes) throw tooLarge(header.length + bytes.length)
  return [header, bytes]
}

/** msgpack fixstr "bytes". */
const BYTES_KEY = new Uint8Array([0xa5, 0x62, 0x79, 0x74, 0x65, 0x73])

/** Writes the smallest msgpack bin header for `length` at `offset`. */
function writeBinHeader(target: Uint8Array, offset: number, length: number): void {
  if (length < 0x100) {
    target[offset] = 0xc4
    target[offset + 1] = length
  } else if (length < 0x10000) {
    target[offset] = 0xc5
    target[offset + 1] = length >>> 8
    target[offset + 2] = length & 0xff
  } else {
    target[offset] = 0xc6
    target[offset + 1] = length >>> 24
    target[offset + 2] = (length >>> 16) & 0xff
    target[offset + 3] = (length >>> 8) & 0xff
    target[offset + 4] = length & 0xff
  }
}

/**
 * Decodes and validates one peer-protocol message.
 *
 * Byte fields (`bytes`, `bits`, `proof`, `infohash`, ...) are views into
 * `bytes`, not copies: a 16 KiB `data` message is decoded without copying its
 * payload. Copy them if the input buffer is going to be reused.
 *
 * @param bytes - one encoded message (a whole frame)
 * @returns the message, with every field checked for type and bounds
 * @throws {@link WireError} `MESSAGE_TOO_LARGE` (over 1 MiB or 1,024 msgpack
 *   values), `MESSAGE_TOO_DEEP` (lists and maps nested deeper than 4, found
 *   before decoding), `MESSAGE_MALFORMED` (not a msgpack map with a string
 *   `type`), `MESSAGE_UNKNOWN_TYPE` or `MESSAGE_INVALID_FIELD`
 *
 * @example
 * ```ts
 * const message = decodeMessage(frame)
 * if (message.type === 'data') store(message.id, message.bytes)
 * ```
 */
export function decodeMessage(bytes: Uint8Array): Message {
  return parseFields(Fields.ofMessage(decodeMap(bytes)))
}

/**
 * Decodes a msgpack map (a message, or the body of an `ext` message) with
 * the same bounds as a message: size, depth and value count are checked on
 * the raw bytes first.
 * @internal
 */
export function decodeMap(bytes: Uint8Array): Record<string, unknown> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  if (bytes.length > L.maxMessageBytes) throw tooLarge(bytes.length)
  // The msgpack decoder has no depth bound and allocates per level: 1 MiB of nesting took it ~1 s.
  checkMessageStructure(bytes)
  let raw: unknown
  try {
    raw = msgpackDecoder.decode(bytes)
  } catch (err) {
    throw new WireError('MESSAGE_MALFORMED', `not a msgpack value: ${(err as Error).message}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Uint8Array) {
    throw new WireError('MESSAGE_MALFORMED', 'a message must be a msgpack map')
  }
  return raw as Record<string, unknown>
}

/** Encodes a map checked by its parser (a body of an `ext` message). @internal */
export function encodeMap(map: object): Uint8Array {
  const bytes = msgpackEncoder.encode(map)
  if (bytes.length > L.maxMessageBytes) throw tooLarge(bytes.length)
  return bytes
}

function parseFields(f: Fields): Message {
  const type = f.type as MessageType
  switch (type) {
    case 'hello':
      return {
        type,
        version: f.uint('version', 0xffff),
        agent: f.text('agent', L.maxAgentLength),
        listen: f.textList('listen', L.maxAddresses, L.maxAddressLength),
        capabilities: f.textList('capabilities', L.maxCapabilities, L.maxCapabilityLength),
      }
    case 'meta-get':
      return { type, id: f.id(), infohash: f.infohash(), offset: f.uint('offset', L.maxMetadataBytes) }
    case 'meta': {
      const total = f.uint('total', L.maxMetadataBytes)
      const offset = f.uint('offset', total)
      const bytes = f.bytes('bytes', Math.min(L.maxMetaChunkBytes, total - offset))
      return { type, id: f.id(), total, offset, bytes }
    }
    case 'bitfield':
      return { type, infohash: f.infohash(), bits: f.bytes('bits', L.maxPieces / 8) }
    case 'have':
      return { type, infohash: f.infohash(), piece: f.uint('piece', L.maxPieces - 1) }
    case 'request': {
      const offset = f.uint('offset', L.maxPieceOffset - 1)
      const length = f.uint('length', Math.min(L.maxRequestBytes, L.maxPieceOffset - offset), 1)
      return {
        type,
        id: f.id(),
        infohash: f.infohash(),
        piece: f.uint('piece', L.maxPieces - 1),
        offset,
        length,
        proof: f.bool('proof'),
      }
    }
    case 'data': {
      const proof = f.optional('proof') ? f.hashList('proof', L.maxProofHashes) : undefined
      const message: Message = { type, id: f.id(), bytes: f.bytes('bytes', L.maxRequestBytes) }
      if (proof !== undefined) message.proof = proof
      return message
    }
    case 'reject': {
      const reason = f.optional('reason') ? f.text('reason', L.maxReasonLength) : undefined
      const message: Message = { type, id: f.id(), code: f.text('code', L.maxRejectCodeLength, 1) }
      if (reason !== undefined) message.reason = reason
      return message
    }
    case 'cancel':
      return { type, id: f.id() }
    case 'ext':
      return {
        type,
        protocol: f.text('protocol', L.maxCapabilityLength, 1),
        body: f.bytes('body', L.maxExtensionBytes),
      }
    default:
      throw new WireError('MESSAGE_UNKNOWN_TYPE', `unknown message type ${JSON.stringify(type).slice(0, 40)}`)
  }
}

/**
 * Reads typed, bounded fields out of a decoded msgpack map.
 * @internal
 */
export class Fields {
  /**
   * @param raw - the decoded map
   * @param type - what the map is, for error messages (a message's `type`, `pex body`)
   */
  constructor(
    private readonly raw: Record<string, unknown>,
    readonly type: string,
  ) {}

  /** The fields of a message, whose `type` must be a string. */
  static ofMessage(raw: Record<string, unknown>): Fields {
    const type = raw.type
    if (typeof type !== 'string') throw new WireError('MESSAGE_MALFORMED', 'a message needs a string `type`')
    return new Fields(raw, type)
  }

  optional(name: string): boolean {
    return this.raw[name] !== undefined
  }

  uint(name: string, max: number, min = 0): number {
    const value = this.raw[name]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw this.invalid(name, `an integer from ${min} to ${max}`)
    }
    return value
  }

  id(): number {
    return this.uint('id', L.maxId)
  }

  bool(name: string): boolean {
    const value = this.raw[name]
    if (typeof value !== 'boolean') throw this.invalid(name, 'a boolean')
    return value
  }

  bytes(name: string, maxLength: number, minLength = 0): Uint8Array {
    const value = this.raw[name]
    if (!(value instanceof Uint8Array) || value.length < minLength || value.length > maxLength) {
      throw this.invalid(name, `binary of ${minLength} to ${maxLength} bytes`)
    }
    return value
  }

  infohash(): Uint8Array {
    return this.bytes('infohash', INFOHASH_BYTES, INFOHASH_BYTES)
  }

  hashList(name: string, maxHashes: number): Uint8Array {
    const value = this.bytes(name, maxHashes * HASH_BYTES)
    if (value.length % HASH_BYTES !== 0) throw this.invalid(name, 'a whole number of 32-byte hashes')
    return value
  }

  text(name: string, maxLength: number, minLength = 0): string {
    const value = this.raw[name]
    if (typeof value !== 'string' || value.length < minLength || value.length > maxLength) {
      throw this.invalid(name, `a string of ${minLength} to ${maxLength} characters`)
    }
    return value
  }

  textList(name: string, maxItems: number, maxLength: number): string[] {
    const value = this.raw[name]
    if (!Array.isArray(value) || value.length > maxItems)
      throw this.invalid(name, `a list of at most ${maxItems} strings`)
    for (const item of value) {
      if (typeof item !== 'string' || item.length > maxLength) {
        throw this.invalid(name, `a list of strings of at most ${maxLength} characters`)
      }
    }
    return value as string[]
  }

  private invalid(name: string, expected: string): WireError {
    return WireError.invalidField(this.type, name, expected)
  }
}

function tooLarge(size: number): WireError {
  return new WireError('MESSAGE_TOO_LARGE', `message of ${size} bytes is over the limit of ${L.maxMessageBytes}`)
}
