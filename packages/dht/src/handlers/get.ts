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
  // With a value of up to 1,000 bytes, k nodes keep the answer under 1,500 bytes.
  const nodes = closestNodes(context, query, target, item === undefined ? undefined : context.k)
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
