/**
 * The mycel node that applications embed: share files and folders (hashed
 * in place, seeded without copying), find peers on the Mainline DHT, download
 * from many peers at once over Noise-encrypted connections with every piece
 * verified, stream verified bytes of a file before it is complete, and
 * resume after a restart or a crash.
 *
 * @example
 * ```ts
 * import { createNode } from '@mycel/node'
 *
 * const seeder = await createNode({ dataDir: './seeder', bootstrap: ['127.0.0.1:6881'] })
 * const share = await seeder.share('./photos')
 *
 * const leecher = await createNode({ dataDir: './leecher', bootstrap: ['127.0.0.1:6881'] })
 * const download = leecher.download(share.magnet, { dir: './downloads' })
 * download.on('progress', (p) => console.log(p.verifiedBytes, '/', p.totalBytes))
 * await download.done()
 *
 * await Promise.all([seeder.close(), leecher.close()])
 * ```
 *
 * @packageDocumentation
 */

export { AGENT, createNode } from './create-node.js'
export type { ExistingFiles } from './destination.js'
export { NodeError, type NodeErrorCode, type RejectCode } from './errors.js'
export type {
  ConnectionRefusal,
  DownloadEvents,
  DownloadProgress,
  NodeEvents,
  PeerFault,
  PeerInfo,
  RefusalReason,
  ShareChange,
  ShareStats,
} from './events.js'
export { Download, type Share } from './handles.js'
export { MycelNode } from './node.js'
export type {
  DownloadOptions,
  NodeLimits,
  NodeOptions,
  NodeStats,
  ShareLimits,
  ShareOptions,
  SignalOptions,
} from './options.js'
export { GOSSIP_BUDGET, Gossip, type GossipHandler } from './peer/gossip.js'
export type { ConnectionProtocol, ProtocolChannel, ProtocolHandler } from './peer/protocols.js'
export type { ReadStreamOptions } from './read-stream.js'
export { forgetShare } from './share-state.js'
export { DHT_ROUTING_TABLE_KEY } from './state-keys.js'
export type { PeerLink } from './swarm/peer.js'
