import type { PeerAddress } from '../address.js'
import { ID_LENGTH } from '../id.js'
import { KRPC_ERROR, type KrpcQuery } from '../krpc/message.js'
import type { KrpcReply } from '../krpc/rpc.js'
import { handleAnnouncePeer } from './announce-peer.js'
import { protocolError, type QueryContext, type QueryHandler } from './context.js'
import { handleFindNode } from './find-node.js'
import { handleGet } from './get.js'
import { handleGetPeers } from './get-peers.js'
import { handlePing } from './ping.js'
import { handlePut } from './put.js'
import { handleSampleInfohashes } from './sample-infohashes.js'

const handlers: ReadonlyMap<string, QueryHandler> = new Map([
  ['ping', handlePing],
  ['find_node', handleFindNode],
  ['get_peers', handleGetPeers],
  ['announce_peer', handleAnnouncePeer],
  ['get', handleGet],
  ['put', handlePut],
  ['sample_infohashes', handleSampleInfohashes],
])

/**
 * Answers one incoming query: 203 without a 20-byte `id`, 204 for a method
 * we do not serve, else the method's handler.
 * @internal
 */
export function dispatchQuery(context: QueryContext, query: KrpcQuery, from: PeerAddress): KrpcReply {
  const id = query.args.id
  if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) return protocolError('query needs a 20-byte id')
  const handler = handlers.get(query.method)
  if (handler === undefined) return { error: { code: KRPC_ERROR.methodUnknown, message: 'method unknown' } }
  return handler(context, { args: query.args, from })
}
