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
  /** The file that changed, on disk (for a private share: the plaintext file). */
  path: string
  /**
   * Pieces the file's bytes are in that no longer match the share, and that
   * the node no longer serves (every one when the file is gone). 0 when the
   * file matches again (it was put back), and every piece is served again.
   */
  mismatchedPieces: number
  /** Pieces the file's bytes are in (for a private share, pieces of its ciphertext). */
  filePieces: number
}

/**
 * Why an inbound connection was closed before it became a peer. Each limit
 * is in `docs/limits.md` and most are options of `NodeLimits`.
 *
 * - `handshakes`: the oldest secure handshake in progress, closed to make
 *   room for a new one (`maxHandshakes` were in progress)
 * - `address-handshakes`, `subnet-handshakes`: its IP address, or its /24
 *   (/48 for IPv6), already had `maxHandshakesPerAddress` /
 *   `maxHandshakesPerSubnet` handshakes in progress
 * - `address-connections`, `subnet-connections`: its IP address or network
 *   already had `maxConnectionsPerAddress` / `maxConnectionsPerSubnet`
 *   connections
 * - `connections`: the node had `maxConnections` peers and none it could
 *   close to make room
 * - `banned`: its handshake revealed a banned peer
 */
export type RefusalReason =
  | 'handshakes'
  | 'address-handshakes'
  | 'subnet-handshakes'
  | 'address-connections'
  | 'subnet-connections'
  | 'connections'
  | 'banned'

/** An inbound connection the node closed before it became a peer. */
export interface ConnectionRefusal {
  /** The transport address it came from, when the transport knows it. */
  address: string | undefined
  /** Which limit (or ban) refused it. */
  reason: RefusalReason
  /** What happened, in words (names the limit and its value). */
  message: string
}

/** A peer that lost score for a fault (see `docs/protocol.md`, peer quality). */
export interface PeerFault {
  /** Peer id, base32 text. */
  peerId: string
  /** The transport address of its connection, when it is connected. */
  address: string | undefined
  /** What it did, e.g. `request timeout`, `sent a bad bitfield: ...`, `sent part of corrupt piece 12`. */
  reason: string
  /** Score it lost (a positive number). */
  penalty: number
  /** Whether its connection was closed for it. */
  disconnected: boolean
  /**
   * The share (hex infohash) whose transfer it failed, for a fault in a
   * download: requests of that share went unanswered (`request timeout`) or
   * were answered against the protocol (`request protocol`).
   */
  infohash?: string
}

/** Events of a {@link MycelNode}. */
export type NodeEvents = {
  /** A peer connected and said hello. */
  'peer-connected': (peer: PeerInfo) => void
  /**
   * A peer disconnected; `reason` is set when it was not a clean close: a
   * `NodeError` says why the node closed it (`PEER_TIMEOUT` for a peer idle
   * longer than `limits.idleTimeout`, `PEER_LIMIT` for one closed to make
   * room for a new peer), a `TransportError` what failed underneath.
   */
  'peer-disconnected': (peer: PeerInfo, reason: Error | undefined) => void
  /**
   * A peer was banned for an hour (it sent corrupt data or metadata).
   * `peer` describes its connection (its address) when it was connected;
   * `infohash` (hex) is the share it misbehaved in, when the ban came from one.
   */
  'peer-banned': (peerId: string, reason: string, peer: PeerInfo | undefined, infohash: string | undefined) => void
  /**
   * A peer lost score for a fault short of a ban: it broke the protocol or
   * let requests time out (and was disconnected), or was one of several
   * senders of a piece that failed verification.
   */
  'peer-penalised': (fault: PeerFault) => void
  /**
   * An inbound connection was closed before it became a peer: over a limit
   * on handshakes or connections, or a banned peer. Nothing was done for it
   * but counting (see `NodeStats.refusedConnections`), and for the limits on
   * handshakes and per-address connections, no public-key work at all.
   */
  'connection-refused': (refusal: ConnectionRefusal) => void
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
