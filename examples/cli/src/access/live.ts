import type { MycelNode } from '@mycel/node'
import type { Manifest } from '@mycel/pieces'
import { peerView, runningStatusView, type SearchHitView, type ShareView, searchHitView, shareView } from '../views.js'
import type { NodeAccess, PeersView } from './access.js'
import { runningError } from './stored.js'

/** The process a live node runs in. */
export interface ProcessInfo {
  pid: number
  startedAt: number
  dataDir: string
}

/** {@link NodeAccess} to the node of this process: what the control socket serves. */
export class LiveAccess implements NodeAccess {
  readonly running = true

  constructor(
    private readonly node: MycelNode,
    private readonly info: ProcessInfo,
  ) {}

  async list(): Promise<ShareView[]> {
    const records = await this.node.list()
    return records.map((record) => shareView(record, this.node.shareStats(record.infohash)))
  }

  async search(text: string, limit?: number): Promise<SearchHitView[]> {
    const hits = await this.node.search(text, limit === undefined ? {} : { limit })
    return hits.map(searchHitView)
  }

  manifest(infohash: string): Promise<Manifest | undefined> {
    return this.node.getManifest(infohash)
  }

  async status() {
    return runningStatusView(this.node.stats(), await this.list(), this.info)
  }

  async peers(): Promise<PeersView> {
    return { running: true, connected: this.node.peers().map(peerView), known: [] }
  }

  announce(infohash: string): Promise<number> {
    return this.node.announce(infohash, { signal: AbortSignal.timeout(60_000) })
  }

  async remove(_infohash: string): Promise<void> {
    throw runningError()
  }

  async close(): Promise<void> {}
}
