import { KRPC_ERROR } from '../krpc/message.js'
import { bytesArg, keyArg, protocolError, type QueryHandler } from './context.js'

/**
 * `announce_peer`: stores the sender's IP address with `port` (or, with
 * `implied_port` non-zero, the UDP source port) under `info_hash`, if the
 * token is one we gave this IP address (BEP 5). Refused with 202 when the
 * store, or the share of the sender's address or network, is full.
 * @internal
 */
export const handleAnnouncePeer: QueryHandler = (context, query) => {
  const { args, from } = query
  const infohash = keyArg(args, 'info_hash')
  if (infohash === undefined) return protocolError('announce_peer needs a 20-byte info_hash')
  const token = bytesArg(args, 'token')
  if (token === undefined || !context.tokens.verify(from.host, token)) return protocolError('bad token')
  const implied = typeof args.implied_port === 'number' && args.implied_port !== 0
  const port = implied ? from.port : args.port
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return protocolError('announce_peer needs a port from 1 to 65535')
  }
  const result = context.peers.add(infohash, { host: from.host, port }, context.now())
  if (result === 'full') return { error: { code: KRPC_ERROR.server, message: 'peer storage full' } }
  if (result === 'address-full') {
    return { error: { code: KRPC_ERROR.server, message: 'too many peers stored from your address or network' } }
  }
  return { values: { id: context.id } }
}
