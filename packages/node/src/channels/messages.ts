/**
 * The messages of channel gossip, carried as payloads of `gossip/1` on the
 * channel's topic (see {@link channelTopic}), bencoded:
 *
 * ```
 * version  d 1:g 64:<signature> [1:i <index>] 1:m 1:v 1:q i<seq>e 1:v <signed value> e
 * want     d 1:m 1:w 1:q i<seq>e e
 * ```
 * A `version` is the signed BEP 44 item (the key is the topic's channel),
 * with the index when it does not travel in the value; a `want` asks the
 * peer for its version (with the index) of at least `seq`.
 * @module
 */
import { type BencodeDict, type BencodeValue, decodeBencode, encodeBencode, WireError } from '@mycel/wire'
import type { CryptoProvider } from '@mycel/wire/crypto'
import { CHANNEL_LIMITS } from './limits.js'

/** A channel gossip message. */
export type ChannelMessage =
  | {
      readonly type: 'version'
      readonly seq: number
      readonly signature: Uint8Array
      readonly value: Uint8Array
      readonly index?: Uint8Array
    }
  | { readonly type: 'want'; readonly seq: number }

const TOPIC_PREFIX = new TextEncoder().encode('mycel/1 channel')

/**
 * The gossip topic of a channel, which is also the key its peers announce
 * under in the DHT: the first 20 bytes of SHA-256("mycel/1 channel" || public key).
 * @param publicKey - the channel's public key
 * @param crypto - provides SHA-256
 * @returns 20 bytes
 */
export function channelTopic(publicKey: Uint8Array, crypto: CryptoProvider): Uint8Array {
  return crypto.sha256(TOPIC_PREFIX, publicKey).slice(0, 20)
}

/**
 * Encodes a channel gossip message.
 * @param message - the message
 * @returns the payload
 */
export function encodeChannelMessage(message: ChannelMessage): Uint8Array {
  if (message.type === 'want') return encodeBencode({ m: 'w', q: message.seq })
  return encodeBencode({ g: message.signature, i: message.index, m: 'v', q: message.seq, v: message.value })
}

function malformed(why: string): WireError {
  return new WireError('MESSAGE_MALFORMED', `malformed channel message: ${why}`)
}

/**
 * Decodes a channel gossip message (not its signature: see `verifyVersion`).
 * @param payload - the gossip payload
 * @returns the message
 * @throws WireError `MALFORMED` for anything but a `version` or `want` of the right shape and sizes
 */
export function decodeChannelMessage(payload: Uint8Array): ChannelMessage {
  let root: BencodeValue
  try {
    root = decodeBencode(payload, { maxBytes: 64 * 1024, maxDepth: 2, maxItems: 16 })
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error))
  }
  if (typeof root !== 'object' || root === null || root instanceof Uint8Array || Array.isArray(root)) {
    throw malformed('not a dictionary')
  }
  const dict = root as BencodeDict
  const kind = dict.m instanceof Uint8Array && dict.m.length === 1 ? String.fromCharCode(dict.m[0] as number) : ''
  const seq = dict.q
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw malformed('q is not a safe integer')
  if (kind === 'w') return { type: 'want', seq }
  if (kind !== 'v') throw malformed('m is neither v nor w')
  const { g: signature, v: value, i: index } = dict
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw malformed('g is not 64 bytes')
  if (!(value instanceof Uint8Array) || value.length > 1000) throw malformed('v is not a value of at most 1,000 bytes')
  if (index !== undefined && !(index instanceof Uint8Array && index.length <= CHANNEL_LIMITS.maxIndexBytes)) {
    throw malformed(`i is not an index of at most ${CHANNEL_LIMITS.maxIndexBytes} bytes`)
  }
  return { type: 'version', seq, signature, value, ...(index === undefined ? {} : { index }) }
}
