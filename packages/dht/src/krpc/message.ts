import { type BencodeDict, type BencodeValue, decodeBencode, encodeBencode, WireError } from '@mycel/wire'
import { DhtError } from '../errors.js'

/** A KRPC query (`y` = `q`): a method name and its arguments. */
export interface KrpcQuery {
  /** Discriminant. */
  readonly kind: 'query'
  /** `t`: the transaction id, echoed in the answer. */
  readonly transactionId: Uint8Array
  /** `q`: the method, such as `ping` or `get_peers`. */
  readonly method: string
  /** `a`: the named arguments (a decoded bencode dictionary). */
  readonly args: BencodeDict
  /** `ro` = 1 (BEP 43): the sender does not answer queries; keep it out of routing tables. */
  readonly readOnly: boolean
  /** `v`: the sender's client version, if it sent one. */
  readonly version?: Uint8Array
}

/** A KRPC response (`y` = `r`). */
export interface KrpcResponse {
  /** Discriminant. */
  readonly kind: 'response'
  /** `t`: the transaction id of the query answered. */
  readonly transactionId: Uint8Array
  /** `r`: the named return values. */
  readonly values: BencodeDict
  /** `ip` (BEP 42): our address as the responder saw it, compact form. */
  readonly ip?: Uint8Array
  /** `v`: the sender's client version, if it sent one. */
  readonly version?: Uint8Array
}

/** A KRPC error (`y` = `e`): `e` = `[code, message]`. */
export interface KrpcErrorMessage {
  /** Discriminant. */
  readonly kind: 'error'
  /** `t`: the transaction id of the query refused. */
  readonly transactionId: Uint8Array
  /** The error code (see {@link KRPC_ERROR}). */
  readonly code: number
  /** The error text (decoded as UTF-8, at most 256 characters kept). */
  readonly message: string
  /** `v`: the sender's client version, if it sent one. */
  readonly version?: Uint8Array
}

/** Any KRPC message, discriminated by `kind`. */
export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcErrorMessage

/** What {@link encodeKrpc} accepts: the decoded shapes, with arguments and values as any bencodable object. */
export type KrpcMessageInput =
  | (Omit<KrpcQuery, 'args' | 'readOnly'> & { readonly args: Record<string, unknown>; readonly readOnly?: boolean })
  | (Omit<KrpcResponse, 'values'> & { readonly values: Record<string, unknown> })
  | KrpcErrorMessage

/** KRPC error codes of BEP 5 (201-204) and BEP 44 (205-207, 301, 302). */
export const KRPC_ERROR = Object.freeze({
  generic: 201,
  server: 202,
  protocol: 203,
  methodUnknown: 204,
  valueTooBig: 205,
  invalidSignature: 206,
  saltTooBig: 207,
  casMismatch: 301,
  seqTooLow: 302,
})

const METHOD_MAX = 32
const TRANSACTION_ID_MAX = 32
const ERROR_TEXT_MAX = 256
const utf8 = new TextDecoder('utf-8', { fatal: false })

/** Decode limits for one datagram; `maxBytes` is the node's `maxPacketBytes`. @internal */
export function packetDecodeOptions(maxBytes: number) {
  return { maxBytes, maxDepth: 16, maxItems: 1024 }
}

/**
 * Encodes a KRPC message as the bencoded dictionary BEP 5 describes (`t`,
 * `y`, then `q`+`a`, `r` or `e`; `ro` and `v` only when set). Keys are
 * sorted, so the bytes are canonical.
 *
 * @param message - the message
 * @returns the datagram payload
 * @throws `WireError` `BENCODE_UNENCODABLE` if an argument cannot be bencoded
 *
 * @example
 * ```ts
 * const id = new TextEncoder().encode('abcdefghij0123456789')
 * encodeKrpc({ kind: 'query', transactionId: new TextEncoder().encode('aa'), method: 'ping', args: { id } })
 * // d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe
 * ```
 */
export function encodeKrpc(message: KrpcMessageInput): Uint8Array {
  const dict: Record<string, unknown> = { t: message.transactionId, v: message.version }
  if (message.kind === 'query') {
    dict.y = 'q'
    dict.q = message.method
    dict.a = message.args
    if (message.readOnly) dict.ro = 1
  } else if (message.kind === 'response') {
    dict.y = 'r'
    dict.r = message.values
    dict.ip = message.ip
  } else {
    dict.y = 'e'
    dict.e = [message.code, message.message]
  }
  return encodeBencode(dict as Parameters<typeof encodeBencode>[0])
}

/**
 * Decodes one KRPC datagram, checking the envelope strictly (sizes, types of
 * `t`, `y`, `q`, `a`, `r`, `e`) and ignoring keys it does not know. The
 * arguments of a query and the values of a response are left as decoded
 * dictionaries for the method's handler to check.
 *
 * @param bytes - the datagram payload
 * @param maxBytes - largest datagram accepted (default 2048)
 * @returns the message; byte strings in it are views into `bytes`
 * @throws {@link DhtError} `PACKET_TOO_LARGE` over `maxBytes`, `MALFORMED_PACKET`
 *   for anything that is not a KRPC message (the bencode error is the `cause`)
 *
 * @example
 * ```ts
 * const message = decodeKrpc(new TextEncoder().encode('d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re'))
 * message.kind // 'response'
 * ```
 */
export function decodeKrpc(bytes: Uint8Array, maxBytes = 2048): KrpcMessage {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  if (bytes.length > maxBytes) {
    throw new DhtError('PACKET_TOO_LARGE', `datagram of ${bytes.length} bytes is over ${maxBytes}`)
  }
  let decoded: BencodeValue
  try {
    decoded = decodeBencode(bytes, packetDecodeOptions(maxBytes))
  } catch (err) {
    if (err instanceof WireError) throw DhtError.malformed(err.message, err)
    throw err
  }
  if (!isDict(decoded)) throw DhtError.malformed('not a dictionary')
  const t = decoded.t
  if (!(t instanceof Uint8Array) || t.length > TRANSACTION_ID_MAX) throw DhtError.malformed('bad transaction id')
  const y = decoded.y
  if (!(y instanceof Uint8Array) || y.length !== 1) throw DhtError.malformed('bad message type')
  const version = decoded.v instanceof Uint8Array ? decoded.v : undefined
  switch (y[0]) {
    case 0x71: {
      const q = decoded.q
      const a = decoded.a
      if (!(q instanceof Uint8Array) || q.length === 0 || q.length > METHOD_MAX || !isPrintable(q)) {
        throw DhtError.malformed('bad method name')
      }
      if (!isDict(a)) throw DhtError.malformed('query arguments are not a dictionary')
      const readOnly = decoded.ro === 1
      return withVersion({ kind: 'query', transactionId: t, method: ascii(q), args: a, readOnly }, version)
    }
    case 0x72: {
      const r = decoded.r
      if (!isDict(r)) throw DhtError.malformed('response values are not a dictionary')
      const ip = decoded.ip instanceof Uint8Array ? decoded.ip : undefined
      const response: KrpcResponse = { kind: 'response', transactionId: t, values: r }
      return withVersion(ip === undefined ? response : { ...response, ip }, version)
    }
    case 0x65: {
      const e = decoded.e
      if (!Array.isArray(e) || e.length === 0) throw DhtError.malformed('error is not a list')
      const code = e[0]
      if (typeof code !== 'number') throw DhtError.malformed('error code is not an integer')
      const text =
        e[1] instanceof Uint8Array ? utf8.decode(e[1].subarray(0, ERROR_TEXT_MAX * 4)).slice(0, ERROR_TEXT_MAX) : ''
      return withVersion({ kind: 'error', transactionId: t, code, message: text }, version)
    }
    default:
      throw DhtError.malformed('unknown message type')
  }
}

function withVersion<T extends KrpcMessage>(message: T, version: Uint8Array | undefined): T {
  return version === undefined ? message : { ...message, version }
}

/** True for a decoded bencode dictionary. @internal */
export function isDict(value: BencodeValue | undefined): value is BencodeDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function isPrintable(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte < 0x21 || byte > 0x7e) return false
  return true
}

function ascii(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes)
}
