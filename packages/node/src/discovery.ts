/**
 * Discovery: the peer-source seam, the node's sources and the scheduler
 * that runs them. One concern per file under `discovery/`.
 * @module
 */

export {
  type AnnounceKeyPolicy,
  checkAnnounceKey,
  resolveShareKey,
  shareKeyOf,
} from './discovery/announce-key.js'
export { DhtPeerSource, type DhtPeerSourceOptions } from './discovery/dht-source.js'
export { DirectPeerSource, MAX_DIRECT_PEERS } from './discovery/direct-source.js'
export type {
  AnnounceEvent,
  AnnounceResult,
  PeerCandidate,
  PeerSource,
  ShareKey,
  ShareTransfer,
  SourceAnnounceOptions,
  SourceLookupOptions,
} from './discovery/peer-source.js'
export { checkShareKey } from './discovery/peer-source.js'
export {
  DISCOVERY_OPERATION_TIMEOUT_MS,
  DISCOVERY_RETRY_MS,
  type DiscoveredShare,
  type DiscoveryHooks,
  type DiscoveryOptions,
  DiscoveryScheduler,
  type DiscoveryShareOptions,
  LOOKUP_INTERVAL_MS,
  MAX_DISCOVERY_OPERATIONS,
  type PeerOrigin,
  REANNOUNCE_MS,
} from './discovery/scheduler.js'
export {
  ACCOUNT_API_TIMEOUT_MS,
  MAX_ACCOUNT_ANSWER_BYTES,
  type PeerReportReason,
  type ReceiptResult,
  requestTrackerApi,
  type TrackerAccountOptions,
  type TrackerApiAnswer,
  type TrackerApiOptions,
  type TrackerApiRequest,
} from './discovery/tracker/account-api.js'
export type {
  AnnounceSigner,
  BindUdpSocket,
  FetchFunction,
  TrackerClientOptions,
  TrackerTransport,
} from './discovery/tracker/settings.js'
export type { TrackerAnnounceResult } from './discovery/tracker/share-answers.js'
export { parseTrackerList, type TrackerList } from './discovery/tracker/tiers.js'
export {
  type ClientAnnounce,
  PEER_ID_PREFIX,
  type ScrapeCounts,
  type TrackerAnswer,
  TrackerClient,
} from './discovery/tracker/tracker-client.js'
export {
  TrackerPeerSource,
  type TrackerPeerSourceOptions,
  type TrackerScrape,
  type TrackerStatus,
} from './discovery/tracker/tracker-source.js'
