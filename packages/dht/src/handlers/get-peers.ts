import { encodeCompactPeer } from '../compact.js'
import { closestNodes, keyArg, protocolError, type QueryHandler } from './context.js'

/**
 * `get_peers`: a write token, and the peers stored under `info_hash` as
 * compact peer info (`values`), or, when we have none, the closest nodes
 * (BEP 5).
 * @internal
 */
export const handleGetPeers: QueryHandler = (context, query) => {
  const infohash = keyArg(query.args, 'info_hash')
  if (infohash === undefined) return protocolError('get_peers needs a 20-byte info_hash')
  const token = context.tokens.issue(query.from.host)
  const peers = context.peers.get(infohash, context.now(), context.limits.maxPeersPerResponse)
  if (peers.length > 0) return { values: { id: context.id, token, values: peers.map(encodeCompactPeer) } }
  return { values: { id: context.id, token, ...closestNodes(context, query, infohash) } }
}
