/**
 * The messages of `signal/1`, WebRTC signalling through a peer both sides
 * are connected to, carried as bodies of `ext` messages and bencoded:
 *
 * ```
 * relay   d 1:i i<id>e 1:m 1:o 1:s <offer sdp> 1:t 32:<target peer id> e   to the middle peer
 * offer   d 1:f 32:<source peer id> 1:i i<id>e 1:m 1:o 1:s <offer sdp> e   from the middle peer
 * answer  d 1:i i<id>e 1:m 1:a 1:s <answer sdp> e
 * refuse  d 1:c <reason> 1:i i<id>e 1:m 1:r e
 * join    d 1:k <share key> 1:m 1:j e                                      to the middle peer
 * peers   d 1:k <share key> 1:m 1:p 1:p <32-byte peer ids, concatenated> e  from the middle peer
 * ```
 * `join` tells the middle peer that we have or want a share (by the key it
 * is announced under) and can be reached over WebRTC; `peers` names the
 * others that joined it there.
 * The id is chosen by the sender of an offer (0 to 2^32 - 1) and comes back
 * in its answer or refusal; the middle peer gives each relayed offer an id
 * of its own. Descriptions are complete SDP (every ICE candidate gathered).
 * @module
 */
import { type BencodeDict, type BencodeValue, decodeBencode, encodeBencode, WireError } from '@mycel/wire'

/** The protocol name, as listed in `hello.capabilities`. */
export const SIGNAL_PROTOCOL = 'signal/1'

/** Longest session description carried, in bytes (a complete offer with host candidates is 1-3 KiB). */
export const MAX_SDP_BYTES = 16 * 1024

/** Longest share key carried (an announce key is 20 bytes, a discovery key up to 32). */
export const MAX_SHARE_KEY_BYTES = 32

/** Most peer ids in one `peers` message. */
export const MAX_SIGNAL_PEERS = 50

/** Why an offer got no answer. */
export type SignalRefusal =
  /** The middle peer has no `signal/1` connection to the target. */
  | 'unreachable'
  /** A bound of the middle peer or the target was reached (rate, pending offers). */
  | 'busy'
  /** The target takes no WebRTC connections, or failed to answer. */
  | 'refused'
  /** The target did not answer in time. */
  | 'timeout'

const REFUSALS: readonly SignalRefusal[] = ['unreachable', 'busy', 'refused', 'timeout']

/** A `signal/1` message. */
export type SignalMessage =
  /** Asks the middle peer to pass an offer to `target`. */
  | { readonly type: 'relay'; readonly id: number; readonly target: Uint8Array; readonly sdp: string }
  /** An offer from `source`, passed on by the middle peer. */
  | { readonly type: 'offer'; readonly id: number; readonly source: Uint8Array; readonly sdp: string }
  /** The answer to the offer with this id. */
  | { readonly type: 'answer'; readonly id: number; readonly sdp: string }
  /** The offer with this id gets no answer. */
  | { readonly type: 'refuse'; readonly id: number; readonly reason: SignalRefusal }
  /** We have or want the share announced under `key`, and take WebRTC connections. */
  | { readonly type: 'join'; readonly key: Uint8Array }
  /** Peers that joined the share announced under `key` at the middle peer (at most 50). */
  | { readonly type: 'peers'; readonly key: Uint8Array; readonly peers: readonly Uint8Array[] }

const MAX_ID = 2 ** 32 - 1
const utf8 = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

function malformed(why: string): WireError {
  return new WireError('MESSAGE_MALFORMED', `malformed signal/1 message: ${why}`)
}

function checkId(id: unknown): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_ID) {
    throw malformed('i is not an integer from 0 to 2^32 - 1')
  }
  return id
}

function sdpBytes(sdp: string): Uint8Array {
  if (typeof sdp !== 'string') throw malformed('the sdp is not text')
  const bytes = encoder.encode(sdp)
  if (bytes.length === 0 || bytes.length > MAX_SDP_BYTES) throw malformed(`the sdp is not 1 to ${MAX_SDP_BYTES} bytes`)
  return bytes
}

function peerIdBytes(id: Uint8Array, field: string): Uint8Array {
  if (!(id instanceof Uint8Array) || id.length !== 32) throw malformed(`${field} is not a 32-byte peer id`)
  return id
}

/**
 * Encodes a `signal/1` message.
 *
 * @param message - the message
 * @returns the `ext` body
 * @throws WireError `MESSAGE_MALFORMED` when a field breaks a rule (an id out of range, an SDP over 16 KiB,
 *   a share key over 32 bytes, more than 50 peers)
 */
export function encodeSignalMessage(message: SignalMessage): Uint8Array {
  if (message.type === 'join') return encodeBencode({ k: shareKey(message.key), m: 'j' })
  if (message.type === 'peers') {
    if (!Array.isArray(message.peers) || message.peers.length > MAX_SIGNAL_PEERS) {
      throw malformed(`at most ${MAX_SIGNAL_PEERS} peers`)
    }
    const packed = new Uint8Array(message.peers.length * 32)
    message.peers.forEach((peer, index) => {
      packed.set(peerIdBytes(peer, 'p'), index * 32)
    })
    return encodeBencode({ k: shareKey(message.key), m: 'p', p: packed })
  }
  const id = checkId(message.id)
  switch (message.type) {
    case 'relay':
      return encodeBencode({ i: id, m: 'o', s: sdpBytes(message.sdp), t: peerIdBytes(message.target, 't') })
    case 'offer':
      return encodeBencode({ f: peerIdBytes(message.source, 'f'), i: id, m: 'o', s: sdpBytes(message.sdp) })
    case 'answer':
      return encodeBencode({ i: id, m: 'a', s: sdpBytes(message.sdp) })
    case 'refuse':
      if (!REFUSALS.includes(message.reason)) throw malformed('unknown refusal')
      return encodeBencode({ c: message.reason, i: id, m: 'r' })
    default:
      throw malformed('unknown message type')
  }
}

function shareKey(key: unknown): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length === 0 || key.length > MAX_SHARE_KEY_BYTES) {
    throw malformed(`k is not a share key of 1 to ${MAX_SHARE_KEY_BYTES} bytes`)
  }
  return key
}

function sdpOf(value: BencodeValue | undefined): string {
  if (!(value instanceof Uint8Array) || value.length === 0 || value.length > MAX_SDP_BYTES) {
    throw malformed(`s is not 1 to ${MAX_SDP_BYTES} bytes`)
  }
  try {
    return utf8.decode(value)
  } catch {
    throw malformed('s is not UTF-8')
  }
}

/**
 * Decodes and checks a `signal/1` message. Keys it does not know are
 * ignored (a later version may add some).
 *
 * @param body - the body of an `ext` message
 * @returns the message (peer ids are views into `body`)
 * @throws WireError `MESSAGE_MALFORMED` for anything but one of the six messages with every field in bounds
 */
export function decodeSignalMessage(body: Uint8Array): SignalMessage {
  let root: BencodeValue
  try {
    root = decodeBencode(body, { maxBytes: MAX_SDP_BYTES + 256, maxDepth: 1, maxItems: 16 })
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error))
  }
  if (typeof root !== 'object' || root instanceof Uint8Array || Array.isArray(root)) throw malformed('not a dictionary')
  const dict = root as BencodeDict
  const kind = dict.m instanceof Uint8Array && dict.m.length === 1 ? String.fromCharCode(dict.m[0] as number) : ''
  if (kind === 'j') return { type: 'join', key: shareKey(dict.k) }
  if (kind === 'p') {
    const key = shareKey(dict.k)
    const packed = dict.p
    if (!(packed instanceof Uint8Array) || packed.length % 32 !== 0 || packed.length > MAX_SIGNAL_PEERS * 32) {
      throw malformed(`p is not up to ${MAX_SIGNAL_PEERS} peer ids of 32 bytes`)
    }
    const peers: Uint8Array[] = []
    for (let offset = 0; offset < packed.length; offset += 32) peers.push(packed.subarray(offset, offset + 32))
    return { type: 'peers', key, peers }
  }
  const id = checkId(dict.i)
  switch (kind) {
    case 'o': {
      const { t: target, f: source } = dict
      if ((target === undefined) === (source === undefined)) throw malformed('an offer has exactly one of t and f')
      const sdp = sdpOf(dict.s)
      if (target !== undefined) return { type: 'relay', id, target: peerIdBytes(target as Uint8Array, 't'), sdp }
      return { type: 'offer', id, source: peerIdBytes(source as Uint8Array, 'f'), sdp }
    }
    case 'a':
      return { type: 'answer', id, sdp: sdpOf(dict.s) }
    case 'r': {
      const reason = dict.c instanceof Uint8Array ? new TextDecoder().decode(dict.c) : ''
      if (!(REFUSALS as readonly string[]).includes(reason)) throw malformed('c is not a known refusal')
      return { type: 'refuse', id, reason: reason as SignalRefusal }
    }
    default:
      throw malformed('m is not o, a, r, j or p')
  }
}
