/**
 * The shapes the daemon's JSON-RPC methods answer and its notifications
 * carry (docs/daemon.md), as the UI reads them.
 * @module
 */

/** A share or download (`list`). */
export interface ShareView {
  infohash: string
  name: string
  role: 'seed' | 'download'
  status: 'active' | 'paused' | 'complete' | 'error'
  path: string
  totalBytes: number | null
  pieceCount: number | null
  piecesVerified: number
  addedAt: string
  completedAt: string | null
  lastError: string | null
  uploaded: number
  downloaded: number
  live: { peers: number; downloadRate: number; uploadRate: number } | null
}

/** One file and what of it is verified (`pieces`). */
export interface FilePiecesView {
  path: string
  length: number
  firstPiece: number
  pieceCount: number
  verifiedPieces: number
  verifiedBytes: number
}

/** A share's verified pieces (`pieces`). */
export interface PiecesView {
  infohash: string
  pieceLength: number
  pieceCount: number
  verifiedPieces: number
  /** base64 of a BEP 3 bitfield. */
  bitfield: string
  files: FilePiecesView[]
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

/** A peer the node remembers. */
export interface KnownPeerView {
  peerId: string
  score: number
  bannedUntil: string | null
  updatedAt: string
}

/** `peers`. */
export interface PeersView {
  running: boolean
  connected: PeerView[]
  known: KnownPeerView[]
}

/** `status` (the parts the UI shows). */
export interface StatusView {
  peerId: string | null
  addresses: string[]
  connections: number
  bytesUploaded: number
  bytesDownloaded: number
  uploadRate: number
  downloadRate: number
  totalUploaded: number
  totalDownloaded: number
  dht: { nodes: number; externalAddress: string | null } | null
}

/** `settings`. */
export interface SettingsView {
  dataDir: string
  downloadDir: string
  uploadLimit: number
  downloadLimit: number
  addresses: string[]
  api: string
  bootstrap: string[]
  proxy: string | null
  trackerAccounts: { api: string; announce: string }[]
}

/** A private share made here (`readers`). */
export interface ReadersView {
  infohash: string
  name: string
  readers: string[]
  blindLink: string
}

/** What `share.private` and `readers.set` answer. */
export interface PrivateSharedView {
  infohash: string
  name: string
  link: string | null
  blindLink: string
  readers: string[]
  totalBytes: number
}

/** An entry of a channel. */
export interface ChannelEntry {
  infohash: string
  name: string
  size: number
  time: number
  text?: string
}

/** A channel owned or followed (`channel`). */
export interface ChannelInfo {
  publicKey: string
  link: string
  title?: string
  private: boolean
  owned: boolean
  subscribed: boolean
  seq?: number
  entries: ChannelEntry[]
  readable: boolean
}

/** The params of a `progress` or `done` notification. */
export interface ProgressParams {
  infohash: string
  name: string
  totalBytes: number | null
  verifiedBytes: number
  piecesVerified: number
  pieceCount: number
  peers: number
  downloadRate: number
  uploadRate: number
  etaSeconds: number | null
}

/** A notification from the daemon's WebSocket. */
export interface Notification {
  method: string
  params: Record<string, unknown>
}

/** One tracker a share is announced to, as the `trackers` method lists it. */
export interface TrackerView {
  url: string
  tier: number
  /** The last announce of the share to it in this run, or null before the first. */
  lastAnnounce: { at: number; ok: boolean; peers?: number; intervalMs?: number; code?: string; error?: string } | null
  /** Until when it is set aside (ms since the epoch), or null when it may be asked now. */
  retryAt: number | null
}
