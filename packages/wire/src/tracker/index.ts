export { COMPACT_IPV4_LENGTH, COMPACT_IPV6_LENGTH } from './compact.js'
export {
  formatAnnounceQuery,
  formatScrapeQuery,
  isOnionHost,
  parseAnnounceQuery,
  parseScrapeQuery,
} from './http-request.js'
export {
  type AnnounceReply,
  type AnnounceResponseFields,
  decodeAnnounceResponse,
  decodeScrapeResponse,
  encodeAnnounceResponse,
  encodeScrapeResponse,
  encodeTrackerFailure,
  type ScrapeFile,
  type ScrapeReply,
  type TrackerFailure,
  type TrackerResponseOptions,
} from './http-response.js'
export { PEER_ID_LENGTH, TRACKER_INFOHASH_LENGTH, TRACKER_LIMITS } from './limits.js'
export { formatTrackerQuery, parseTrackerQuery, percentEncodeBytes, type TrackerQueryOptions } from './query.js'
export type { AnnounceEvent, AnnounceRequest, SwarmCounts, TrackerPeer } from './types.js'
export {
  decodeUdpRequest,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpAnnounceResponse,
  encodeUdpConnectRequest,
  encodeUdpConnectResponse,
  encodeUdpError,
  encodeUdpScrapeRequest,
  encodeUdpScrapeResponse,
  UDP_ANNOUNCE_LENGTH,
  UDP_CONNECTION_ID_LENGTH,
  UDP_PROTOCOL_ID,
  type UdpAnnounceRequest,
  type UdpAnnounceResponse,
  type UdpAnnounceResponseFields,
  type UdpConnectRequest,
  type UdpConnectResponse,
  type UdpErrorResponse,
  type UdpRequest,
  type UdpResponse,
  type UdpResponseOptions,
  type UdpScrapeRequest,
  type UdpScrapeResponse,
  udpTransactionId,
} from './udp.js'
export {
  announceRequestUrl,
  parseTrackerUrl,
  scrapeRequestUrl,
  scrapeUrlOf,
  type TrackerProtocol,
  type TrackerUrl,
} from './url.js'
