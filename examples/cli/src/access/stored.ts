import { join } from 'node:path'
import type { RoutingTableSnapshot } from '@mycel/dht'
import { DHT_ROUTING_TABLE_KEY, forgetShare } from '@mycel/node'
import type { Manifest } from '@mycel/pieces'
import type { StateStore } from '@mycel/store'
import { loadIdentity } from '@mycel/transport/node'
import { CliError } from '../errors.js'
import {
  knownPeerView,
  type SearchHitView,
  type ShareView,
  type StatusView,
  searchHitView,
  shareCounts,
  shareView,
  totalsOf,
} from '../views.js'
import type { NodeAccess, PeersView } from './access.js'

/** Peers `peers` lists from the state when no process runs. */
const KNOWN_PEERS_SHOWN = 50

/** The error of a command that changes stored state while a process runs. */
export function runningError(): CliError {
  return new CliError(
    'DATA_DIR_BUSY',
    'a mycel process is running for this data folder',
    'stop it first (Ctrl-C in its terminal): this command changes the stored state',
  )
}

/**
 * {@link NodeAccess} to the stored state of a data folder for which no
 * process runs: the SQLite state store, opened for the one command (or
 * nothing at all for a folder that has none yet).
 */
export class StoredAccess implements NodeAccess {
  readonly running = false

  constructor(
    private readonly state: StateStore | undefined,
    private readonly dataDir: string,
  ) {}

  async list(): Promise<ShareView[]> {
    return (await this.state?.listShares())?.map((record) => shareView(record)) ?? []
  }

  async search(text: string, limit?: number): Promise<SearchHitView[]> {
    return (await this.state?.search(text, limit === undefined ? {} : { limit }))?.map(searchHitView) ?? []
  }

  async manifest(infohash: string): Promise<Manifest | undefined> {
    return this.state?.getManifest(Buffer.from(infohash, 'hex'))
  }

  async status(): Promise<StatusView> {
    const identity = await loadIdentity(join(this.dataDir, 'identity.json')).catch(() => undefined)
    const shares = await this.list()
    return {
      running: false,
      pid: null,
      startedAt: null,
      dataDir: this.dataDir,
      peerId: identity?.toString() ?? null,
      addresses: [],
      connections: 0,
      shares: shareCounts(shares),
      bytesUploaded: 0,
      bytesDownloaded: 0,
      uploadRate: 0,
      downloadRate: 0,
      ...totalsOf(shares),
      dht: null,
      savedDhtNodes: await this.savedDhtNodes(),
    }
  }

  async peers(): Promise<PeersView> {
    const records = (await this.state?.listPeers({ limit: KNOWN_PEERS_SHOWN })) ?? []
    const now = Date.now()
    return { running: false, connected: [], known: records.map((record) => knownPeerView(record, now)) }
  }

  async announce(): Promise<number> {
    throw new CliError(
      'NOT_RUNNING',
      `no mycel process is running for ${this.dataDir}`,
      'start mycel share or mycel get first: an announcement tells the DHT the port that process listens on',
    )
  }

  async remove(infohash: string): Promise<void> {
    if (this.state !== undefined) await forgetShare(this.state, Buffer.from(infohash, 'hex'))
  }

  async close(): Promise<void> {
    await this.state?.close()
  }

  private async savedDhtNodes(): Promise<number | null> {
    const saved = await this.state?.getValue(DHT_ROUTING_TABLE_KEY)
    if (saved === undefined) return null
    try {
      const snapshot = JSON.parse(new TextDecoder().decode(saved)) as RoutingTableSnapshot
      return Array.isArray(snapshot.nodes) ? snapshot.nodes.length : null
    } catch {
      return null
    }
  }
}
