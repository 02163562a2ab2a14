/**
 * The runtime-neutral core of the mycel node: everything a node does
 * (share, download, stream, seed, find peers, serve hostile peers within
 * bounds), made from parts the app gives, and importing no Node module, so
 * it bundles for browsers and workers. In Node, `@mycel/node` gives the same
 * node with a default for every part.
 *
 * @example
 * ```ts
 * import { createCoreNode } from '@mycel/node/core'
 * import { MemoryStateStore } from '@mycel/store'
 * import { Identity } from '@mycel/transport'
 * import { webSocketTransport } from '@mycel/transport/ws-browser'
 *
 * const node = await createCoreNode({
 *   identity: Identity.generate(),
 *   state: new MemoryStateStore(),
 *   content: myBrowserStorage, // a ContentStorage over OPFS, say
 *   transports: [webSocketTransport()],
 *   downloadDir: '/downloads',
 * })
 * const download = node.download('magnet:?xt=urn:btmh:1220...', { peers: ['ws://198.51.100.7:8080/mycel'] })
 * for await (const chunk of node.read(download.infohash, 'movie.mkv')) play(chunk)
 * ```
 *
 * @packageDocumentation
 */

export { AGENT } from './assemble.js'
export { Channels } from './channels/channels.js'
export type { ChannelEntry, ChannelIndex } from './channels/index-format.js'
export { CHANNEL_LIMITS, type ChannelOptions, type ChannelTimings, DEFAULT_CHANNEL_TIMINGS } from './channels/limits.js'
export { type ChannelLink, formatChannelLink, isChannelLink, parseChannelLink } from './channels/link.js'
export { checkPolicy, type DownloadPolicy, parsePolicy, policyWants } from './channels/policy.js'
export type { ChannelEvents, ChannelInfo, ChannelUpdate } from './channels/types.js'
export type {
  ContentIngestOptions,
  ContentStorage,
  ContentStore,
  FileStamp,
  PathKind,
  SourceFile,
} from './content.js'
export { type CoreNodeOptions, createCoreNode } from './create-core-node.js'
export type { ExistingFiles } from './destination.js'
export {
  ACCOUNT_API_TIMEOUT_MS,
  type AnnounceEvent,
  type AnnounceKeyPolicy,
  type AnnounceResult,
  type AnnounceSigner,
  type BindUdpSocket,
  type ClientAnnounce,
  DhtPeerSource,
  type DhtPeerSourceOptions,
  DirectPeerSource,
  type FetchFunction,
  MAX_ACCOUNT_ANSWER_BYTES,
  PEER_ID_PREFIX,
  type PeerCandidate,
  type PeerReportReason,
  type PeerSource,
  type ReceiptResult,
  requestTrackerApi,
  type ScrapeCounts,
  type ShareKey,
  type ShareTransfer,
  type SourceAnnounceOptions,
  type SourceLookupOptions,
  shareKeyOf,
  type TrackerAccountOptions,
  type TrackerAnnounceResult,
  type TrackerAnswer,
  type TrackerApiAnswer,
  type TrackerApiOptions,
  type TrackerApiRequest,
  TrackerClient,
  type TrackerClientOptions,
  type TrackerList,
  TrackerPeerSource,
  type TrackerPeerSourceOptions,
  type TrackerScrape,
  type TrackerStatus,
  type TrackerTransport,
} from './discovery.js'
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
  NodeStats,
  PrivacyStatus,
  SecureUpgrade,
  ShareLimits,
  ShareOptions,
  SignalOptions,
} from './options.js'
export { GOSSIP_BUDGET, Gossip, type GossipHandler } from './peer/gossip.js'
export type { ConnectionProtocol, ProtocolChannel, ProtocolHandler } from './peer/protocols.js'
export type {
  OpenPrivateOptions,
  PrivateDownload,
  PrivateDownloadOptions,
  PrivateReader,
  PrivateShare,
  PrivateShareOptions,
} from './private/options.js'
export type { PrivateShares } from './private/private-shares.js'
export type { FileSink, PrivateStorage } from './private/storage.js'
export type { ReadStreamOptions } from './read-stream.js'
export {
  MAX_RECEIPT_PAIRS,
  RECEIPT_BUDGET,
  RECEIPTS_PROTOCOL,
  type ReceiptsOptions,
  ReceiptsProtocol,
  type TransferAccounting,
} from './receipts/receipts-protocol.js'
export {
  ACCOUNT_BACKOFF_MS,
  ACCOUNT_REQUEST_INTERVAL_MS,
  MAX_ACCOUNT_BACKOFF_MS,
  MAX_PENDING_RECEIPTS,
  MAX_PENDING_REPORTS,
  RECEIPTS_PER_REQUEST,
} from './receipts/tracker-accounts.js'
export { forgetShare } from './share-state.js'
export {
  decodeSignalMessage,
  encodeSignalMessage,
  MAX_SDP_BYTES,
  SIGNAL_PROTOCOL,
  type SignalMessage,
  type SignalRefusal,
} from './signal/messages.js'
export { SIGNAL_LIMITS, SignalProtocol, type SignalProtocolOptions } from './signal/signal-protocol.js'
export type { WebRtcNodeOptions } from './signal/webrtc-wiring.js'
export { DHT_ROUTING_TABLE_KEY } from './state-keys.js'
export type { PeerLink } from './swarm/peer.js'
