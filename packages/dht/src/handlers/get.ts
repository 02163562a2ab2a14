import { decodeBencode } from '@mycel/wire'
import { compareSeq, isValidSeq } from '../bep44/items.js'
import { closestNodes, keyArg, protocolError, type QueryHandler } from './context.js'

/**
 * `get` (BEP 44): a write token, the closest nodes, and the item stored under
 * `target` if any. For a mutable item whose `seq` is not above the `seq`
 * the requester already has, only `seq` is sent.
 * @internal
 */
export const handleGet: QueryHandler = (context, query) => {
  const target = keyArg(query.args, 'target')
  if (target === undefined) return protocolError('get needs a 20-byte target')
  const token = context.tokens.issue(query.from.host)
  const item = context.items.get(target, context.now())
  const nodes = closestNodes(
    context,
    query,
    target,
    item === undefined ? undefined : nodesWithValue(context.family, context.k),
  )
  const values: Record<string, unknown> = { id: context.id, token, ...nodes }
  if (item === undefined) return { values }
  const mutable = item.mutable
  if (mutable === undefined) return { values: { ...values, v: decodeBencode(item.value) } }
  const known = query.args.seq
  if (isValidSeq(known) && compareSeq(mutable.seq, known) <= 0) return { values: { ...values, seq: mutable.seq } }
  return {
    values: { ...values, k: mutable.publicKey, seq: mutable.seq, sig: mutable.signature, v: decodeBencode(item.value) },
  }
}

/**
 * Nodes in an answer that carries a value: few enough that the datagram fits
 * a 1,500-byte link unfragmented (a UDP payload of 1,472 bytes over IPv4,
 * 1,452 over IPv6). The largest answer without nodes (a 1,000-byte value
 * with `k`, `seq`, `sig`, `token`, `id` and `ip`) is about 1,230 bytes: 8
 * IPv4 entries (208 bytes) fit, IPv6 entries take 38 bytes, so 5 (190).
 */
function nodesWithValue(family: 4 | 6, k: number): number {
  return Math.min(k, family === 4 ? 8 : 5)
}
