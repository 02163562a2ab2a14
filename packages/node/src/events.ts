import type { Manifest } from '@mycel/pieces'

/** A connected peer, as events and {@link MycelNode.peers} describe it. */
export interface PeerInfo {
  /** Peer id, base32 text. */
  peerId: string
  /** The transport address of the connection. */
  address: string | undefined
  /** Whether we dialled it. */
  outbound: boolean
  /** Software the peer reported in its `hello`. */
  agent: string | undefined
  /** Payload bytes received from and sent to it. */
  bytesReceived: number
  bytesSent: number
}

/** How far a download is. */
export interface DownloadProgress {
  /** Infohash, hex. */
  infohash: string
  name: string
  /**
   * Bytes to download, once the metadata is known: the whole share, or the
   * selected files of a download of some files (`DownloadOptions.files`).
   */
  totalBytes: number | undefined
  /** Bytes of pieces received and verified, counted as `totalBytes` is (the selected files' pieces). */
  verifiedBytes: number
  /** Pieces verified, and to download in all (0 before the metadata); counted as `totalBytes` is. */
  piecesVerified: number
  pieceCount: number
  /** Peers of the share connected now. */
  peers: number
  /** Bytes per second over the last seconds. */
  downloadRate: number
  uploadRate: number
  /** Seconds left at the current rate, when it can be told. */
  etaSeconds: number | undefined
}

/**
 * Transfer figures of one share the node runs, seeded or downloaded. The
 * totals include earlier runs: the node keeps them in its state store,
 * saving every minute and when the share stops or the node closes.
 */
export interface ShareStats {
  /** Infohash, hex. */
  infohash: string
  name: string
  /** Peers of the share connected now. */
  peers: number
  /** Bytes per second over the last seconds. */
  uploadRate: number
  downloadRate: number
  /** Bytes sent to peers since the node started the share. */
  bytesUploaded: number
  /** Bytes of pieces received and verified since the node started the share. */
  bytesDownloaded: number
  /** Bytes sent to peers, all time. */
  totalUploaded: number
  /** Bytes of pieces received and verified, all time. */
  totalDownloaded: number
}

/**
 * A shared file changed on disk since the node verified it (see
 * `NodeOptions.changeCheckInterval`): what the node serves of it now.
 */
export interface ShareChange {
  /** Infohash, hex. */
  infohash: string
  name: string
  /** The file that changed, on disk. */
  path: string
  /**
   * Pieces of that file that no longer match the share, and that the node
   * no longer serves (every piece when the file is gone). 0 when the file
   * matches again (it was put back), and every piece is served again.
   */
  mismatchedPieces: number
  /** Pieces of that file. */
  filePieces: number
}

/** Events of a {@link MycelNode}. */
export type NodeEvents = {
  /** A peer connected and said hello. */
  'peer-connected': (peer: PeerInfo) => void
  /** A peer disconnected; `reason` is set when it was not a clean close. */
  'peer-disconnected': (peer: PeerInfo, reason: Error | undefined) => void
  /** A peer was banned for an hour (it sent corrupt data or metadata). */
  'peer-banned': (peerId: string, reason: string) => void
  /** A share was added (shared, or a download started). */
  'share-added': (infohash: string, name: string) => void
  /** A share was removed. */
  'share-removed': (infohash: string) => void
  /** A download made progress: at most every 250 ms per download, and once more when it completes. */
  'download-progress': (progress: DownloadProgress) => void
  /** A download completed. */
  'download-done': (progress: DownloadProgress) => void
  /** A download stopped on an error. */
  'download-error': (infohash: string, error: unknown) => void
  /** A shared file changed on disk: pieces of it no longer match and are not served (or match again). */
  'share-changed': (change: ShareChange) => void
}

/** Events of a {@link Download}. */
export type DownloadEvents = {
  /** The metadata arrived (for a download started from a magnet link). */
  metadata: (manifest: Manifest) => void
  /** More pieces verified, or the peers changed: at most every 250 ms, and once more when the download completes. */
  progress: (progress: DownloadProgress) => void
  /** Every piece is verified and stored. */
  done: (progress: DownloadProgress) => void
}
