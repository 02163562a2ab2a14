import { decodeMap, encodeMap, Fields } from './codec.js'
import { MESSAGE_LIMITS as L } from './limits.js'
import type { GossipBody, PexBody } from './types.js'

/** The protocol name of peer exchange, as listed in `hello.capabilities`. */
export const PEX_PROTOCOL = 'pex/1'

/** The protocol name of gossip (pushed updates on topics), as listed in `hello.capabilities`. */
export const GOSSIP_PROTOCOL = 'gossip/1'

function parsePex(f: Fields): PexBody {
  return {
    infohash: f.infohash(),
    added: f.textList('added', L.maxAddresses, L.maxAddressLength),
    dropped: f.textList('dropped', L.maxAddresses, L.maxAddressLength),
  }
}

function parseGossip(f: Fields): GossipBody {
  return { topic: f.bytes('topic', L.maxTopicBytes, 1), payload: f.bytes('payload', L.maxGossipBytes) }
}

/**
 * Encodes the body of a `pex/1` message (carried by an `ext` message).
 *
 * @param body - the share and the peers added and dropped (at most 50 each)
 * @returns the encoded body
 * @throws {@link WireError} `MESSAGE_INVALID_FIELD` when a field breaks a rule
 *
 * @example
 * ```ts
 * const body = encodePexBody({ infohash, added: ['tcp://198.51.100.7:6881'], dropped: [] })
 * connection.send({ type: 'ext', protocol: PEX_PROTOCOL, body })
 * ```
 */
export function encodePexBody(body: PexBody): Uint8Array {
  return encodeMap(parsePex(new Fields(body as unknown as Record<string, unknown>, 'pex body')))
}

/**
 * Decodes and validates the body of a `pex/1` message.
 *
 * @param bytes - the body of an `ext` message (views into it are returned, not copies)
 * @returns the body, every field checked
 * @throws {@link WireError} `MESSAGE_MALFORMED`, `MESSAGE_TOO_DEEP`, `MESSAGE_TOO_LARGE` or `MESSAGE_INVALID_FIELD`
 */
export function decodePexBody(bytes: Uint8Array): PexBody {
  return parsePex(new Fields(decodeMap(bytes), 'pex body'))
}

/**
 * Encodes the body of a `gossip/1` message.
 *
 * @param body - topic (1 to 64 bytes) and payload (at most 64 KiB)
 * @returns the encoded body
 * @throws {@link WireError} `MESSAGE_INVALID_FIELD` when a field breaks a rule
 */
export function encodeGossipBody(body: GossipBody): Uint8Array {
  return encodeMap(parseGossip(new Fields(body as unknown as Record<string, unknown>, 'gossip body')))
}

/**
 * Decodes and validates the body of a `gossip/1` message.
 *
 * @param bytes - the body of an `ext` message (views into it are returned)
 * @returns the body, every field checked
 * @throws {@link WireError} as {@link decodePexBody}
 */
export function decodeGossipBody(bytes: Uint8Array): GossipBody {
  return parseGossip(new Fields(decodeMap(bytes), 'gossip body'))
}
