import { dirname } from 'node:path'
import type { PeerInfo, TrackerStatus } from '@mycel/node'
import type { Manifest } from '@mycel/pieces'
import type { ShareRecord } from '@mycel/store'
import { hexOf } from '../../views.js'
import type { DaemonShares } from '../shares.js'

/** Transmission's torrent status numbers. */
export const TORRENT_STATUS = { stopped: 0, checkWait: 1, check: 2, downloadWait: 3, download: 4, seedWait: 5, seed: 6 }

/** Transmission's `error` numbers: 0 none, 3 a local error (files, disk). */
const LOCAL_ERROR = 3

/** What a share looks like now, gathered once per `torrent-get`. */
export interface TorrentSnapshot {
  id: number
  record: ShareRecord
  manifest: Manifest | undefined
  /** The trackers the share is announced to, with their last announce (empty when it does not run). */
  trackers: TrackerStatus[]
  /** A failed verification, in words. */
  verifyError: string | undefined
}

const seconds = (ms: number | undefined) => (ms === undefined ? 0 : Math.floor(ms / 1000))

/**
 * A share as a Transmission torrent object: every field `transmission-remote`
 * (`-l`, `-i`, `-f`) and the common front-ends ask for. Fields mycel has no
 * notion of get Transmission's neutral value (no limits, no labels, no
 * webseeds); `bytesCompleted` of a file is estimated from the share's
 * verified fraction while a download runs.
 *
 * @param snapshot - the share
 * @param shares - the daemon's shares (live figures)
 * @returns the torrent, all fields
 */
export function torrentObject(snapshot: TorrentSnapshot, shares: DaemonShares): Record<string, unknown> {
  const { record, manifest, id } = snapshot
  const infohash = hexOf(record.infohash)
  const stats = shares.node.shareStats(infohash)
  const download = shares.node.getDownload(infohash)
  const progress = download?.progress
  const running = stats !== undefined
  const totalSize = manifest?.totalLength ?? record.totalLength ?? 0
  const pieceLength = manifest?.pieceLength ?? 0
  const selected = download?.files
  const sizeWhenDone = progress?.totalBytes ?? totalSize
  const complete = record.role === 'seed' || record.status === 'complete'
  const haveValid = complete
    ? sizeWhenDone
    : (progress?.verifiedBytes ?? Math.min(totalSize, record.verifiedPieces * pieceLength))
  const leftUntilDone = Math.max(0, sizeWhenDone - haveValid)
  const checking = shares.checking(infohash)
  const status = checking
    ? TORRENT_STATUS.check
    : !running
      ? TORRENT_STATUS.stopped
      : leftUntilDone === 0 && manifest !== undefined
        ? TORRENT_STATUS.seed
        : TORRENT_STATUS.download
  const errorString = snapshot.verifyError ?? (record.status === 'error' ? (record.lastError ?? 'error') : '')
  const uploaded = record.bytesUploaded
  const downloaded = record.bytesDownloaded
  const fraction = sizeWhenDone === 0 ? (manifest === undefined ? 0 : 1) : haveValid / sizeWhenDone
  const files = (manifest?.files ?? []).map((file) => {
    const path = manifest?.singleFile ? manifest.name : [manifest?.name ?? '', ...file.path].join('/')
    const inside = manifest?.singleFile ? manifest.name : file.path.join('/')
    const wanted = selected === undefined || selected.includes(inside)
    const bytesCompleted = complete ? file.length : wanted ? Math.floor(file.length * fraction) : 0
    return { name: path, length: file.length, bytesCompleted, wanted }
  })
  const peers = stats?.peers ?? 0
  return {
    id,
    hashString: infohash,
    name: record.name,
    status,
    error: errorString === '' ? 0 : LOCAL_ERROR,
    errorString,
    totalSize,
    sizeWhenDone,
    leftUntilDone,
    haveValid,
    haveUnchecked: 0,
    desiredAvailable: 0,
    corruptEver: 0,
    percentDone: fraction,
    metadataPercentComplete: manifest === undefined ? 0 : 1,
    recheckProgress: 0,
    rateDownload: Math.round(stats?.downloadRate ?? 0),
    rateUpload: Math.round(stats?.uploadRate ?? 0),
    eta: leftUntilDone === 0 ? -1 : progress?.etaSeconds === undefined ? -2 : Math.round(progress.etaSeconds),
    uploadedEver: uploaded,
    downloadedEver: downloaded,
    uploadRatio: downloaded === 0 ? -1 : uploaded / downloaded,
    peersConnected: peers,
    peersGettingFromUs: (stats?.uploadRate ?? 0) > 0 ? peers : 0,
    peersSendingToUs: (stats?.downloadRate ?? 0) > 0 ? peers : 0,
    webseedsSendingToUs: 0,
    isFinished: false,
    isStalled: running && !complete && peers === 0,
    isPrivate: false,
    downloadDir: dirname(record.contentPath),
    addedDate: seconds(record.addedAt),
    doneDate: seconds(record.completedAt),
    startDate: seconds(record.addedAt),
    activityDate: seconds(record.updatedAt),
    dateCreated: 0,
    secondsDownloading: 0,
    secondsSeeding: 0,
    pieceCount: manifest?.pieceCount ?? record.pieceCount ?? 0,
    pieceSize: pieceLength,
    magnetLink: shares.node.getShare(infohash)?.magnet ?? `magnet:?xt=urn:btmh:1220${infohash}`,
    comment: '',
    creator: 'mycel',
    labels: [],
    queuePosition: id,
    bandwidthPriority: 0,
    honorsSessionLimits: true,
    downloadLimit: 0,
    downloadLimited: false,
    uploadLimit: 0,
    uploadLimited: false,
    'peer-limit': 0,
    seedRatioMode: 0,
    seedRatioLimit: 0,
    webseeds: [],
    trackers: trackerList(snapshot.trackers),
    trackerStats: snapshot.trackers.map(trackerStat),
    peers: shares.node.sharePeers(infohash).map(peerObject),
    files: files.map(({ name, length, bytesCompleted }) => ({ name, length, bytesCompleted })),
    fileStats: files.map(({ bytesCompleted, wanted }) => ({ bytesCompleted, wanted, priority: 0 })),
    wanted: files.map(({ wanted }) => (wanted ? 1 : 0)),
    priorities: files.map(() => 0),
  }
}

/** The share's trackers as Transmission's `trackers`. */
function trackerList(
  trackers: readonly TrackerStatus[],
): { announce: string; id: number; scrape: string; tier: number }[] {
  return trackers.map((tracker, id) => ({
    announce: tracker.url,
    id,
    scrape: scrapeOf(tracker.url),
    tier: tracker.tier,
  }))
}

/** BEP 48: an HTTP announce URL ending in `/announce` scrapes at `/scrape`; others have none. */
function scrapeOf(announce: string): string {
  if (announce.startsWith('udp:')) return announce
  return /\/announce(\?|$)/.test(announce) ? announce.replace(/\/announce(\?|$)/, '/scrape$1') : ''
}

/** Transmission's `announceState`: 0 inactive, 1 waiting (for its time, or out of a backoff). */
const ANNOUNCE_WAITING = 1

/**
 * A tracker as Transmission's `trackerStats`: its last announce of the share
 * in this run (result, time, peers) and when it is asked next. mycel does
 * not scrape as it announces: the scrape fields are Transmission's "not
 * yet" values, and the counts -1 (unknown).
 */
function trackerStat(tracker: TrackerStatus, id: number): Record<string, unknown> {
  let host = ''
  try {
    host = new URL(tracker.url).host
  } catch {
    // a URL the node took is valid; nothing to show otherwise
  }
  const last = tracker.lastAnnounce
  const seconds = (ms: number | undefined) => (ms === undefined ? 0 : Math.floor(ms / 1000))
  const next =
    tracker.retryAt ?? (last?.ok === true && last.intervalMs !== undefined ? last.at + last.intervalMs : undefined)
  return {
    announce: tracker.url,
    id,
    scrape: scrapeOf(tracker.url),
    tier: tracker.tier,
    host,
    sitename: host.split(':')[0] ?? '',
    isBackup: false,
    announceState: ANNOUNCE_WAITING,
    scrapeState: 0,
    hasAnnounced: last !== undefined,
    hasScraped: false,
    lastAnnounceSucceeded: last?.ok === true,
    lastAnnounceTimedOut: last?.code === 'TRACKER_TIMEOUT',
    lastAnnounceResult: last === undefined ? '' : last.ok ? 'Success' : (last.error ?? last.code ?? 'failed'),
    lastAnnounceStartTime: seconds(last?.at),
    lastAnnounceTime: seconds(last?.at),
    lastAnnouncePeerCount: last?.peers ?? 0,
    nextAnnounceTime: seconds(next),
    lastScrapeSucceeded: false,
    lastScrapeTimedOut: false,
    lastScrapeResult: '',
    lastScrapeStartTime: 0,
    lastScrapeTime: 0,
    nextScrapeTime: 0,
    seederCount: -1,
    leecherCount: -1,
    downloadCount: -1,
  }
}

/** A connected peer of the share as Transmission's `peers` (every mycel connection is encrypted). */
function peerObject(peer: PeerInfo): Record<string, unknown> {
  const match = /^[a-z0-9]+:\/\/(?:\[([^\]]+)\]|([^:/]+)):(\d+)/.exec(peer.address ?? '')
  return {
    address: match?.[1] ?? match?.[2] ?? '',
    port: Number(match?.[3] ?? 0),
    clientName: peer.agent ?? '',
    isIncoming: !peer.outbound,
    isEncrypted: true,
    isUTP: false,
    isDownloadingFrom: false,
    isUploadingTo: false,
    clientIsChoked: false,
    clientIsInterested: true,
    peerIsChoked: false,
    peerIsInterested: true,
    flagStr: peer.outbound ? 'E' : 'EI',
    progress: 0,
    rateToClient: 0,
    rateToPeer: 0,
    bytesToClient: peer.bytesReceived,
    bytesToPeer: peer.bytesSent,
  }
}

/**
 * Keeps the fields asked for (all of them when none are named).
 *
 * @param torrent - every field
 * @param fields - the names asked for
 * @returns the torrent with those fields that exist
 */
export function pickFields(
  torrent: Record<string, unknown>,
  fields: readonly string[] | undefined,
): Record<string, unknown> {
  if (fields === undefined) return torrent
  const picked: Record<string, unknown> = {}
  for (const field of fields) if (Object.hasOwn(torrent, field)) picked[field] = torrent[field]
  return picked
}
