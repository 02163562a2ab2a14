/**
 * A signed version of a channel: the BEP 44 mutable item under the
 * channel's key and the salt `mycel/1 channel`, whose `seq` is the time of
 * publication in milliseconds (so it only grows, and a `seq` far in the
 * future is seen at once). Its value points at the index as BEP 46 does
 * (`ih`), and carries a small index itself:
 *
 * ```
 * d 2:ih 32:<SHA-256 of the index as it travels> [1:p i1e] 1:s i<bytes of the index>e [1:x <the index>] e
 * ```
 * `p` marks a private channel (the index is sealed with its read key); `x`
 * is present when the index is at most `CHANNEL_LIMITS.maxInlineIndexBytes`.
 * @module
 */
import { signMutableItem, verifyMutableItem } from '@mycel/dht'
import { type BencodeDict, type BencodeValue, decodeBencode, encodeBencode, equalBytes, toHex } from '@mycel/wire'
import type { CryptoProvider } from '@mycel/wire/crypto'
import { NodeError } from '../errors.js'
import { CHANNEL_LIMITS } from './limits.js'

/** The BEP 44 salt of every channel's item. */
export const CHANNEL_SALT = new TextEncoder().encode('mycel/1 channel')

/** A channel version whose signature was checked (or that we signed). */
export interface ChannelVersion {
  /** The channel's public key. */
  readonly publicKey: Uint8Array
  /** The sequence number: publication time in ms. */
  readonly seq: number
  /** The exact bencoded value that was signed. */
  readonly value: Uint8Array
  /** The 64-byte Ed25519 signature. */
  readonly signature: Uint8Array
  /** SHA-256 of the index as it travels. */
  readonly indexHash: Uint8Array
  /** Bytes of the index as it travels. */
  readonly indexSize: number
  /** Whether the index is sealed with a read key. */
  readonly private: boolean
  /** The index, when it travels inside the value. */
  readonly inlineIndex: Uint8Array | undefined
}

function invalid(why: string): NodeError {
  return new NodeError('CHANNEL_VERSION_INVALID', `refused a channel version: ${why}`)
}

/**
 * Signs a new version of a channel.
 * @param input - the secret key, `seq`, the index as it travels, and whether it is sealed
 * @param crypto - provides SHA-256
 * @returns the version
 */
export function signVersion(
  input: { secretKey: Uint8Array; publicKey: Uint8Array; seq: number; index: Uint8Array; private: boolean },
  crypto: CryptoProvider,
): ChannelVersion {
  const indexHash = crypto.sha256(input.index)
  const inline = input.index.length <= CHANNEL_LIMITS.maxInlineIndexBytes ? input.index : undefined
  const value = encodeBencode({ ih: indexHash, p: input.private ? 1 : undefined, s: input.index.length, x: inline })
  const signature = signMutableItem(input.secretKey, { value, encoded: true, seq: input.seq, salt: CHANNEL_SALT })
  return {
    publicKey: input.publicKey,
    seq: input.seq,
    value,
    signature,
    indexHash,
    indexSize: input.index.length,
    private: input.private,
    inlineIndex: inline,
  }
}

function isDict(value: BencodeValue): value is BencodeDict {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !Array.isArray(value)
}

/**
 * Checks a version received from a peer or the DHT: the `seq`, the
 * signature, then the value's fields.
 * @param input - public key, `seq`, the bencoded value and the signature
 * @param nowMs - our wall-clock time in ms (a `seq` more than a day past it is refused)
 * @returns the version
 * @throws NodeError `CHANNEL_VERSION_INVALID` for a bad `seq` (one more than a day ahead) or a value
 *   that does not point at an index; `CHANNEL_SIGNATURE_INVALID` for a signature that does not verify
 */
export function verifyVersion(
  input: { publicKey: Uint8Array; seq: unknown; value: Uint8Array; signature: Uint8Array },
  nowMs: number,
): ChannelVersion {
  const { publicKey, seq, value, signature } = input
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw invalid('its seq is not a timestamp')
  if (seq > nowMs + CHANNEL_LIMITS.maxFutureMs) {
    throw invalid(`its seq ${seq} is more than ${CHANNEL_LIMITS.maxFutureMs} ms in the future`)
  }
  if (value.length > 1000) throw invalid(`its value is ${value.length} bytes, over the 1,000 of BEP 44`)
  if (!verifyMutableItem(publicKey, signature, { value, encoded: true, seq, salt: CHANNEL_SALT })) {
    throw new NodeError(
      'CHANNEL_SIGNATURE_INVALID',
      `refused a channel version: its signature does not verify for ${toHex(publicKey)} (a forged version)`,
    )
  }
  let root: BencodeValue
  try {
    root = decodeBencode(value, { maxBytes: 1000, maxDepth: 2 })
  } catch {
    throw invalid('its value is not bencode')
  }
  if (!isDict(root)) throw invalid('its value is not a dictionary')
  const ih = root.ih
  const size = root.s
  const inline = root.x
  const sealed = root.p
  if (!(ih instanceof Uint8Array) || ih.length !== 32) throw invalid('its ih is not 32 bytes')
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > CHANNEL_LIMITS.maxIndexBytes) {
    throw invalid(`its index size is not from 0 to ${CHANNEL_LIMITS.maxIndexBytes}`)
  }
  if (sealed !== undefined && sealed !== 1) throw invalid('its p is not 1')
  if (inline !== undefined && !(inline instanceof Uint8Array && inline.length === size)) {
    throw invalid('its inline index is not of its size')
  }
  return {
    publicKey,
    seq,
    value,
    signature,
    indexHash: ih,
    indexSize: size,
    private: sealed === 1,
    inlineIndex: inline as Uint8Array | undefined,
  }
}

/**
 * Checks that index bytes are the ones a version points at.
 * @param version - the version
 * @param index - the index as it travels
 * @param crypto - provides SHA-256
 * @throws NodeError `CHANNEL_INDEX_TOO_LARGE` over the limit; `CHANNEL_INDEX_INVALID` when the size or
 *   the SHA-256 differ
 */
export function checkIndexBytes(version: ChannelVersion, index: Uint8Array, crypto: CryptoProvider): void {
  if (index.length > CHANNEL_LIMITS.maxIndexBytes) {
    throw new NodeError(
      'CHANNEL_INDEX_TOO_LARGE',
      `the index is ${index.length} bytes, over ${CHANNEL_LIMITS.maxIndexBytes}`,
    )
  }
  if (index.length !== version.indexSize || !equalBytes(crypto.sha256(index), version.indexHash)) {
    throw new NodeError('CHANNEL_INDEX_INVALID', 'the index is not the one the signed version points at')
  }
}
