import type { DhtStats } from '@mycel/dht'
import type { NodeStats, PeerInfo, ShareStats } from '@mycel/node'
import type { PeerRecord, SearchHit, ShareRecord } from '@mycel/store'
import { peerIdToString } from '@mycel/transport'

/**
 * The JSON shapes of `ls`, `search`, `status` and `peers`: what `--json`
 * prints and what the control channel carries, the same whether a mycel
 * process is running or the state is read directly.
 */

/** A share or download, as `mycel ls` shows it. */
export interface ShareView {
  infohash: string
  name: string
  role: 'seed' | 'download'
  status: 'active' | 'paused' | 'complete' | 'error'
  /** Where the content is on disk. */
  path: string
  totalBytes: number | null
  pieceCount: number | null
  piecesVerified: number
  addedAt: string
  completedAt: string | null
  lastError: string | null
  /** Bytes sent to peers, all time (this run's included while a process runs). */
  uploaded: number
  /** Bytes of pieces received and verified, all time. */
  downloaded: number
  /** Figures of the share in a running process (seeded or downloaded). */
  live: { peers: number; downloadRate: number; uploadRate: number } | null
}

/** A search result. */
export interface SearchHitView {
  infohash: string
  shareName: string
  role: 'seed' | 'download'
  /** The matching file's path inside the share, for a file hit. */
  path: string | null
}

/** A connected peer. */
export interface PeerView {
  peerId: string
  address: string | null
  direction: 'in' | 'out'
  agent: string | null
  bytesReceived: number
  bytesSent: number
}

/** A peer the state store remembers (score, ban). */
export interface KnownPeerView {
  peerId: string
  score: number
  bannedUntil: string | null
  updatedAt: string
}

/** The DHT part of `mycel status`. */
export interface DhtView {
  address: string
  nodes: number
  good: number
  questionable: number
  buckets: number
  storedPeers: number
  /** Our IP address as other DHT nodes see it, once two agree (BEP 42). */
  externalAddress: string | null
}

/** What `mycel status` shows. */
export interface StatusView {
  running: boolean
  pid: number | null
  startedAt: string | null
  dataDir: string
  /** The node's peer id; null when the folder has no identity yet. */
  peerId: string | null
  addresses: string[]
  connections: number
  /** Shares by state: `complete` ones are seeded while a process runs, `incomplete` ones downloaded. */
  shares: { total: number; complete: number; incomplete: number; paused: number; error: number }
  /** Bytes sent and received by the running process (0 when none runs). */
  bytesUploaded: number
  bytesDownloaded: number
  uploadRate: number
  downloadRate: number
  /** Bytes sent and received for the folder's shares, all time (the running process's included). */
  totalUploaded: number
  totalDownloaded: number
  dht: DhtView | null
  /** Nodes in the routing table saved at the last shutdown (when no process runs). */
  savedDhtNodes: number | null
}

/** The infohash of a record, as hex. */
export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString()
}

/**
 * A share record as `ls` shows it.
 *
 * @param record - from the state store
 * @param live - figures of the share in the running node
 * @returns the view
 */
export function shareView(record: ShareRecord, live?: ShareStats): ShareView {
  return {
    infohash: hexOf(record.infohash),
    name: record.name,
    role: record.role,
    status: record.status,
    path: record.contentPath,
    totalBytes: record.totalLength ?? null,
    pieceCount: record.pieceCount ?? null,
    piecesVerified: record.verifiedPieces,
    addedAt: new Date(record.addedAt).toISOString(),
    completedAt: isoOrNull(record.completedAt),
    lastError: record.lastError ?? null,
    uploaded: live?.totalUploaded ?? record.bytesUploaded,
    downloaded: live?.totalDownloaded ?? record.bytesDownloaded,
    live:
      live === undefined ? null : { peers: live.peers, downloadRate: live.downloadRate, uploadRate: live.uploadRate },
  }
}

/** A search hit as `search` shows it. */
export function searchHitView(hit: SearchHit): SearchHitView {
  return {
    infohash: hexOf(hit.infohash),
    shareName: hit.shareName,
    role: hit.role,
    path: hit.path === undefined ? null : hit.path.join('/'),
  }
}

/** A connected peer as `peers` shows it. */
export function peerView(peer: PeerInfo): PeerView {
  return {
    peerId: peer.peerId,
    address: peer.address ?? null,
    direction: peer.outbound ? 'out' : 'in',
    agent: peer.agent ?? null,
    bytesReceived: peer.bytesReceived,
    bytesSent: peer.bytesSent,
  }
}

/** A remembered peer as `peers` shows it when no process runs. */
export function knownPeerView(record: PeerRecord, now = Date.now()): KnownPeerView {
  return {
    peerId: peerIdToString(record.peerId),
    score: record.score,
    bannedUntil: record.bannedUntil > now ? new Date(record.bannedUntil).toISOString() : null,
    updatedAt: new Date(record.updatedAt).toISOString(),
  }
}

/** The DHT figures of `status`. */
export function dhtView(stats: DhtStats): DhtView {
  const host = stats.address.host.includes(':') ? `[${stats.address.host}]` : stats.address.host
  return {
    address: `udp://${host}:${stats.address.port}`,
    nodes: stats.routingTable.nodes,
    good: stats.routingTable.good,
    questionable: stats.routingTable.questionable,
    buckets: stats.routingTable.buckets,
    storedPeers: stats.storage.peers,
    externalAddress: stats.externalAddress ?? null,
  }
}

/** Counts shares by what they are doing. */
export function shareCounts(shares: readonly ShareView[]): StatusView['shares'] {
  const count = (test: (share: ShareView) => boolean) => shares.filter(test).length
  return {
    total: shares.length,
    complete: count((s) =>
      s.role === 'seed' ? s.status === 'active' || s.status === 'complete' : s.status === 'complete',
    ),
    incomplete: count((s) => s.role === 'download' && s.status === 'active'),
    paused: count((s) => s.status === 'paused'),
    error: count((s) => s.status === 'error'),
  }
}

/** All-time bytes sent and received, summed over shares. */
export function totalsOf(shares: readonly ShareView[]): { totalUploaded: number; totalDownloaded: number } {
  let totalUploaded = 0
  let totalDownloaded = 0
  for (const share of shares) {
    totalUploaded += share.uploaded
    totalDownloaded += share.downloaded
  }
  return { totalUploaded, totalDownloaded }
}

/**
 * The status of a running node.
 *
 * @param stats - the node's figures
 * @param shares - its shares
 * @param owner - pid, start time and data folder of the process running the node
 * @returns the view
 */
export function runningStatusView(
  stats: NodeStats,
  shares: readonly ShareView[],
  owner: { pid: number; startedAt: number; dataDir: string },
): StatusView {
  return {
    running: true,
    pid: owner.pid,
    startedAt: new Date(owner.startedAt).toISOString(),
    dataDir: owner.dataDir,
    peerId: stats.peerId,
    addresses: stats.addresses,
    connections: stats.connections,
    shares: shareCounts(shares),
    bytesUploaded: stats.bytesUploaded,
    bytesDownloaded: stats.bytesDownloaded,
    uploadRate: stats.uploadRate,
    downloadRate: stats.downloadRate,
    ...totalsOf(shares),
    dht: stats.dht === undefined ? null : dhtView(stats.dht),
    savedDhtNodes: null,
  }
}
