import type { BencodeDict, BencodeValue } from '@mycel/wire'
import type { PeerAddress } from '../address.js'
import { encodeCompactNodes, type IpFamily, type NodeContact } from '../compact.js'
import { ID_LENGTH } from '../id.js'
import { KRPC_ERROR } from '../krpc/message.js'
import type { RateWindow } from '../krpc/rate-limit.js'
import type { KrpcReply } from '../krpc/rpc.js'
import type { DhtLimits } from '../limits.js'
import type { ItemStore } from '../storage/item-store.js'
import type { PeerStore } from '../storage/peer-store.js'
import type { TokenIssuer } from '../storage/tokens.js'

/** What the query handlers may read and change on the node. @internal */
export interface QueryContext {
  readonly id: Uint8Array
  readonly family: IpFamily
  readonly limits: DhtLimits
  readonly k: number
  readonly tokens: TokenIssuer
  readonly peers: PeerStore
  readonly items: ItemStore
  /** Bounds the Ed25519 checks of incoming signed puts (`limits.signatureChecksPerSecond`). */
  readonly signatureChecks: RateWindow
  now(): number
  /** The closest non-bad nodes of the routing table to `target` (`count`, or as many as answers carry). */
  closest(target: Uint8Array, count?: number): NodeContact[]
}

/** An incoming query, its arguments already checked to hold a 20-byte `id`. @internal */
export interface IncomingQuery {
  readonly args: BencodeDict
  readonly from: PeerAddress
}

/** Answers one KRPC method. @internal */
export type QueryHandler = (context: QueryContext, query: IncomingQuery) => KrpcReply

/** A BEP 5 203 "protocol error" reply. @internal */
export function protocolError(message: string): KrpcReply {
  return { error: { code: KRPC_ERROR.protocol, message } }
}

/** The argument `name` if it is a byte string (of exactly `length` bytes when given). @internal */
export function bytesArg(args: BencodeDict, name: string, length?: number): Uint8Array | undefined {
  const value = args[name]
  if (!(value instanceof Uint8Array)) return undefined
  if (length !== undefined && value.length !== length) return undefined
  return value
}

/**
 * A 20-byte key argument (`target`, `info_hash`), copied: distance
 * comparisons on a fresh array run several times faster than on a view into
 * the datagram.
 * @internal
 */
export function keyArg(args: BencodeDict, name: string): Uint8Array | undefined {
  return bytesArg(args, name, ID_LENGTH)?.slice()
}

/**
 * The `nodes` / `nodes6` values of an answer about `target`. BEP 32: a `want`
 * list (`n4`, `n6`) asks for families explicitly; without it, the
 * requester's family (ours) is sent. A node serves one family, so a request
 * for only the other gets no nodes.
 * @internal
 */
export function closestNodes(
  context: QueryContext,
  query: IncomingQuery,
  target: Uint8Array,
  count?: number,
): Record<string, Uint8Array> {
  const wanted = wantedFamilies(query.args.want)
  if (wanted !== undefined && !wanted.has(context.family)) return {}
  const encoded = encodeCompactNodes(context.closest(target, count), context.family)
  return context.family === 4 ? { nodes: encoded } : { nodes6: encoded }
}

function wantedFamilies(want: BencodeValue | undefined): Set<number> | undefined {
  if (!Array.isArray(want)) return undefined
  const families = new Set<number>()
  for (const item of want.slice(0, 8)) {
    if (!(item instanceof Uint8Array) || item.length !== 2 || item[0] !== 0x6e) continue
    if (item[1] === 0x34) families.add(4)
    if (item[1] === 0x36) families.add(6)
  }
  return families.size === 0 ? undefined : families
}
