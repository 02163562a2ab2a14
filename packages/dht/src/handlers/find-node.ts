import { closestNodes, keyArg, protocolError, type QueryHandler } from './context.js'

/** `find_node`: the k closest nodes we know to `target` (BEP 5, BEP 32). @internal */
export const handleFindNode: QueryHandler = (context, query) => {
  const target = keyArg(query.args, 'target')
  if (target === undefined) return protocolError('find_node needs a 20-byte target')
  return { values: { id: context.id, ...closestNodes(context, query, target) } }
}
