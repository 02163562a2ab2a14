import type { Manifest } from '@mycel/pieces'
import type { KnownPeerView, PeerView, SearchHitView, ShareView, StatusView } from '../views.js'

/** What `mycel peers` shows: connected peers (when a process runs) and peers remembered in the state. */
export interface PeersView {
  running: boolean
  connected: PeerView[]
  known: KnownPeerView[]
}

/**
 * What the short commands (`ls`, `search`, `status`, `peers`, `announce`,
 * `export`) need from a node. Three implementations give the same answers:
 * the node itself (in the running process, behind the control socket), the
 * control socket (from another process), and the stored state (when no
 * process runs for the data folder).
 */
export interface NodeAccess {
  /** Whether a mycel process runs for the data folder. */
  readonly running: boolean
  /** Shares and downloads, newest first. */
  list(): Promise<ShareView[]>
  /** Shares (and files of shares) whose name holds every term. */
  search(text: string, limit?: number): Promise<SearchHitView[]>
  /** The manifest of a share, if known. */
  manifest(infohash: string): Promise<Manifest | undefined>
  /** Health figures. */
  status(): Promise<StatusView>
  /** Connected and remembered peers. */
  peers(): Promise<PeersView>
  /**
   * Announces a share on the DHT now.
   * @returns how many DHT nodes stored the announcement
   * @throws `CliError` `NOT_RUNNING` when no process runs (an announcement names the port a running node listens on)
   */
  announce(infohash: string): Promise<number>
  /**
   * Forgets a share: everything the data folder saved about it (record, manifest, verified pieces, the
   * files taken with `--file`, where it was downloaded), never its files.
   * @throws `CliError` `DATA_DIR_BUSY` while a process runs (it would keep serving the share)
   */
  remove(infohash: string): Promise<void>
  /** Releases what the access holds (the state database). */
  close(): Promise<void>
}
