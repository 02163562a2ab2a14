import type { Clock, DhtNode, DhtStats } from '@mycel/dht'
import type { IngestProgress } from '@mycel/pieces'
import type { StateStore } from '@mycel/store'
import type { ByteStream, Identity, SecureConnection, SecureOptions, Transport } from '@mycel/transport'
import type { Logger } from '@mycel/wire/log'
import type { ChannelOptions } from './channels/limits.js'
import type { ContentStorage } from './content.js'
import type { ExistingFiles } from './destination.js'
import type { AnnounceKeyPolicy } from './discovery/announce-key.js'
import type { PeerSource } from './discovery/peer-source.js'
import type { TrackerAccountOptions } from './discovery/tracker/account-api.js'
import type { TrackerTransport } from './discovery/tracker/settings.js'
import type { TrackerList } from './discovery/tracker/tiers.js'
import type { RefusalReason } from './events.js'
import type { ConnectionProtocol } from './peer/protocols.js'
import type { PrivateShare, PrivateShareOptions } from './private/options.js'
import type { WebRtcNodeOptions } from './signal/webrtc-wiring.js'

/** Options of {@link createNode}. Every one has a default that works. */
export interface NodeOptions {
  /**
   * Folder for the node's identity (`identity.json`), state database
   * (`state.db`), DHT routing table and default download folder
   * (`downloads/`). Default `~/.mycel`.
   */
  dataDir?: string
  /** Addresses to accept peers on. Default `['tcp://0.0.0.0:0']` (every interface, a free port). */
  listen?: string[]
  /**
   * DHT nodes to join through, as `host:port`. The library has no default:
   * apps choose (the CLI defaults to the public Mainline routers). With none,
   * the DHT waits to be contacted.
   */
  bootstrap?: string[]
  /**
   * The DHT: `false` turns it off; an object binds its UDP socket (default
   * every interface, a free port) or hands in a DHT node to use (which the
   * node then owns and closes).
   */
  dht?: false | { host?: string; port?: number; node?: DhtNode }
  /**
   * More ways to find peers, asked for every share besides the DHT and the
   * direct peers of a download (see {@link PeerSource}; each should pass
   * `peerSourceCompliance` from `@mycel/node/testing`). The node closes them.
   */
  peerSources?: PeerSource[]
  /**
   * Trackers asked for every share (not for private torrents, which ask
   * only their own), as BEP 12 tiers: each entry a URL or a list of URLs
   * (`http:`, `https:`, `udp:`). Shares and downloads add their own
   * (`ShareOptions.trackers`, a magnet's `tr`, a `.torrent`'s trackers).
   * Default none. A tracker learns the share's announce key, our TCP port,
   * our address, and a random tracker peer id (see docs/protocol.md).
   */
  trackers?: TrackerList
  /**
   * How trackers are reached: `fetch` for HTTP(S) (default the global one)
   * and `bindUdp` for UDP trackers (default `node:dgram` sockets).
   */
  trackerTransport?: TrackerTransport
  /**
   * Accounts at mycel-trackers (see {@link TrackerAccountOptions}). With
   * any, the node runs receipts (`receipts/1`, a `ReceiptsProtocol` of its
   * own unless `protocols` holds one), hands the receipts its downloaders
   * sign to the trackers of their shares, reports the peers it bans for
   * corrupt data there, and, for accounts with `signAnnounces`, announces
   * with signed keys instead of a passkey. Nothing of it ever holds a
   * transfer up. Default none. See docs/tracker.md.
   */
  trackerAccounts?: TrackerAccountOptions[]
  /**
   * The key shares are announced and looked up under unless a share or
   * download chooses: `discovery-key` (the default; the infohash never leaves
   * the node) or `infohash` (the truncated v2 infohash, which BitTorrent v2
   * clients look up; everyone who sees the announcement learns which share it
   * is). See {@link AnnounceKeyPolicy}.
   */
  announceKey?: AnnounceKeyPolicy
  /**
   * Optional protocols to run on every connection whose peer speaks them
   * too (negotiated by name in `hello`; see {@link ConnectionProtocol}).
   * Peer exchange (`pex/1`) is always on.
   */
  protocols?: ConnectionProtocol[]
  /**
   * Where shares' bytes live. Default: the file system
   * (`fileSystemContent({ maxOpenFiles, directWrites })`).
   */
  content?: ContentStorage
  /** The secure channel over each stream. Default: mycel's Noise XX (`secure` of `@mycel/transport`). */
  secure?: SecureUpgrade
  /** Transports to dial and listen with. Default: TCP and WebSocket. */
  transports?: Transport[]
  /**
   * WebRTC data channels (see `docs/browser.md`). Default: the node relays
   * offers between its peers (`signal/1`) but makes no WebRTC connection
   * itself; an object turns them on (they need the optional package
   * `node-datachannel`); `false` turns signalling off too. Off in proxy mode
   * (asking for it there is `PROXY_CONFLICT`).
   */
  webrtc?: WebRtcNodeOptions | false
  /** The node's identity. Default: loaded from (or created in) `dataDir/identity.json`. */
  identity?: Identity
  /** Where state is kept. Default: SQLite at `dataDir/state.db`. */
  state?: StateStore
  /** Where downloads go when `download()` is given no `dir`. Default `dataDir/downloads`. */
  downloadDir?: string
  /** Limits on connections and bandwidth. */
  limits?: NodeLimits
  /**
   * Write downloaded pieces of 1 MiB and more with direct I/O (`O_DIRECT`),
   * past the kernel's page cache, where the system allows it (Linux).
   * Default true: it saves a copy of every byte and keeps a large download
   * from pushing other programs' data out of the cache (docs/decisions.md).
   */
  directWrites?: boolean
  /**
   * How often, at most, a shared file is looked at for changes before pieces
   * are read from it for a peer, in milliseconds: one `lstat` of the file,
   * comparing its size, modification and change times and inode with those
   * of the file the node verified (always before the first read, and for
   * every shared file when a share is resumed at start). A file that changed
   * is re-hashed before any more of it is served; pieces that no longer
   * match are not served, and the node emits `share-changed`. Default 2000;
   * 0 looks before every read. A change within this window after the last
   * look can still reach a peer, which then finds the piece corrupt.
   */
  changeCheckInterval?: number
  /**
   * Where the node logs, by component (`mycel:peer`, `mycel:swarm`,
   * `mycel:dht`, `mycel:transport`, `mycel:store`, `mycel:node`): every
   * connection it drops and every input it refuses, with the reason, at
   * `debug`; local faults it recovers from at `warn`. Handed to the DHT,
   * transports and stores the node makes (not to those given in options,
   * which take their own). Default: silent. See docs/embedding.md, "Logging".
   */
  logger?: Logger
  /**
   * Time and timers of the node's scheduled work (announces, lookups and
   * their retries, peer exchange, saves) and of the DHT it makes; default
   * the system clock. Connection timeouts always run on real time.
   */
  clock?: Clock
  /** Timing of channels' DHT work (republish, poll with backoff, peer search); see `docs/channels.md`. */
  channels?: ChannelOptions
  /**
   * A SOCKS5 proxy every connection goes through: `socks5://[user:pass@]host:port`
   * (Tor's is `socks5://127.0.0.1:9050`). Proxy mode is leak-free by
   * construction: no UDP at all (no DHT; a peer source that sends UDP is
   * refused), every dial through the proxy with host names resolved by it,
   * no listen address in `hello` but the `onion` one, and a proxy that fails
   * fails the dial (`PROXY_*` codes), never a direct connection. The node
   * listens on `tcp://127.0.0.1:0` unless `listen` says otherwise. Peers come
   * from peer exchange, the peers of links, and peer sources that go
   * through the proxy. See docs/anonymity.md.
   */
  proxy?: string
  /**
   * The onion address of this node's Tor onion service,
   * `<56 characters>.onion:<port>` (the service forwards to one of the
   * node's `listen` addresses). Told to peers in `hello` and so in peer
   * exchange; peers with a proxy dial it, others skip it. Needs `proxy`.
   */
  onion?: string
  /**
   * Anonymous mode: no agent string in `hello`, and a fresh identity for
   * this session (never written to `dataDir`) unless `identity` is given.
   * Default false.
   */
  anonymous?: boolean
  /** Aborts startup; everything opened so far is closed again. */
  signal?: AbortSignal
}

/** How the node hides where it is (see docs/anonymity.md), as `stats().privacy` shows it. */
export interface PrivacyStatus {
  /** The SOCKS5 proxy every connection goes through (password hidden), or undefined. */
  proxy: string | undefined
  /** Whether the node sends UDP (a DHT); false with a proxy. */
  udp: boolean
  /** The onion address peers are told, if any (`tcp://<name>.onion:<port>`). */
  onion: string | undefined
  /** No agent in `hello`, and an identity made for this session. */
  anonymous: boolean
}

/**
 * Connection and bandwidth limits of a node. The limits on inbound
 * connections count per IP address and per network (a /24 of IPv4, a /48 of
 * IPv6); connections whose address is no IP address (the memory transport)
 * count only against `maxConnections` and `maxHandshakes`. Every peer on
 * one machine has one address (127.0.0.1): tests and benchmarks that run
 * many peers there, and nodes behind a local proxy, raise the per-address
 * limits.
 */
export interface NodeLimits {
  /**
   * Connections in all. Default 200. When all are taken, a new peer gets the
   * slot of a connection that is not useful (no transfer in the last 30 s,
   * no good score, in no share we download), or is refused.
   */
  maxConnections?: number
  /** Inbound connections from one IP address, handshakes included. Default 8. */
  maxConnectionsPerAddress?: number
  /** Inbound connections from one /24 (IPv4) or /48 (IPv6). Default 32. */
  maxConnectionsPerSubnet?: number
  /**
   * Secure handshakes of inbound connections in progress. Default 64. When
   * they are all taken, the oldest is dropped for the new one (an honest
   * handshake takes a round trip; a stalled one would hold its slot until
   * its timeout).
   */
  maxHandshakes?: number
  /** Handshakes in progress from one IP address; more are closed before any public-key work. Default 4. */
  maxHandshakesPerAddress?: number
  /** Handshakes in progress from one /24 (IPv4) or /48 (IPv6). Default 16. */
  maxHandshakesPerSubnet?: number
  /**
   * Milliseconds after which a connection on which nothing happened (the
   * peer joined no share, no piece or metadata moved either way) is closed.
   * Default 120,000 (2 minutes); 0 for never.
   */
  idleTimeout?: number
  /** Peers one share downloads from and uploads to. Default 50. */
  maxPeersPerShare?: number
  /** Upload limit of the whole node, bytes per second; 0 = none (default). */
  uploadRate?: number
  /** Download limit of the whole node, bytes per second; 0 = none (default). */
  downloadRate?: number
  /** Open files of all shares together. Default 256. */
  maxOpenFiles?: number
}

/**
 * Turns a byte stream into a secure connection to one peer (both sides
 * authenticated): mycel's Noise XX handshake (`secure` of
 * `@mycel/transport`) is the one every mycel peer speaks.
 */
export type SecureUpgrade = (
  stream: ByteStream,
  identity: Identity,
  options: SecureOptions,
) => Promise<SecureConnection>

/** Options of every asynchronous method. */
export interface SignalOptions {
  /** Aborts the operation. */
  signal?: AbortSignal
}

/** Per-share bandwidth limits, in bytes per second (0 = none). */
export interface ShareLimits {
  uploadRate?: number
  downloadRate?: number
}

/** Options of {@link MycelNode.share}. */
export interface ShareOptions extends SignalOptions {
  /** Piece length in bytes (a power of two); default chosen from the size. */
  pieceLength?: number
  /** Called as the files are hashed. */
  onProgress?: (progress: IngestProgress) => void
  /** Bandwidth limits of this share (on top of the node's). */
  limits?: ShareLimits
  /**
   * The key to announce this share under (kept for it across restarts);
   * default the node's `announceKey`. See {@link AnnounceKeyPolicy}.
   */
  announceKey?: AnnounceKeyPolicy
  /**
   * Trackers of this share (BEP 12 tiers: each entry a URL or a list of
   * URLs), besides the node's; kept for it across restarts, and written in
   * its magnet link (`tr`).
   */
  trackers?: TrackerList
  /**
   * Also compute BitTorrent v1 piece hashes while hashing, so that
   * `encodeTorrent(share.manifest, { hybrid: true })` can export a hybrid
   * `.torrent` without hashing the files again. Default false.
   */
  v1?: boolean
  /**
   * Share privately: the files are encrypted into a new ciphertext share
   * (kept in the node's private folder) that anyone can seed and only
   * readers can read; see {@link PrivateShareOptions} and
   * docs/private-shares.md. `share()` then returns a {@link PrivateShare}.
   */
  private?: PrivateShareOptions
}

/** Options of {@link MycelNode.download}. */
export interface DownloadOptions {
  /** Folder to download into (default the node's download folder). */
  dir?: string
  /**
   * Peers to try at once, as transport addresses (`tcp://host:port`), besides
   * those of the magnet link; dialled again while the download lacks peers.
   */
  peers?: string[]
  /**
   * The key to look this share up and announce it under (kept for it across
   * restarts); default the node's `announceKey`. See {@link AnnounceKeyPolicy}.
   */
  announceKey?: AnnounceKeyPolicy
  /** Bandwidth limits of this download (on top of the node's). */
  limits?: ShareLimits
  /**
   * Trackers of this download (BEP 12 tiers: each entry a URL or a list of
   * URLs), asked before those of the magnet link (`tr`, a tier each) and
   * besides the node's; kept for it across restarts. A `.torrent`'s
   * `trackerTiers` go here.
   */
  trackers?: TrackerList
  /**
   * Download only these files of the share: paths inside it, components
   * joined with `/` (a single-file share's file by its name). Default every
   * file. Only their pieces are fetched (BitTorrent v2 pieces never span
   * files), the other files are not created, and the download is done when
   * they are. The selection is kept in the state store, so a restart
   * resumes it; calling `download()` again with more files adds them. A
   * streaming read of another file fetches what it reads. A path the share
   * does not have fails the download with `FILE_NOT_FOUND` before anything
   * is saved or written (once the manifest is known).
   */
  files?: readonly string[]
  /**
   * What to do with files of the share that are already at the destination
   * but that this node did not write (it writes only where its state store
   * says it wrote before): `refuse` (the default) fails the download with
   * `NodeError` `DESTINATION_EXISTS`, naming the path, before anything is
   * written; `verify` re-hashes them in place, keeps the pieces that match
   * (a complete copy is done at once, nothing downloaded) and downloads the
   * rest, writing over what does not match. A folder, link or special file
   * where the share has a file (or the reverse) is refused either way. The
   * check happens when the manifest is known: at once when the node has it,
   * else when it arrives from peers, always before the first write.
   */
  existingFiles?: ExistingFiles
}

/** Figures of a whole node, for a status display. */
export interface NodeStats {
  peerId: string
  addresses: string[]
  connections: number
  shares: number
  bytesUploaded: number
  bytesDownloaded: number
  uploadRate: number
  downloadRate: number
  dht: DhtStats | undefined
  /** Inbound connections refused before they became peers since the node started, by reason. */
  refusedConnections: Readonly<Record<RefusalReason, number>>
  /** Proxy, UDP, onion address and anonymous mode. */
  privacy: PrivacyStatus
}
