import type { MycelNode } from '@mycel/node'
import type { StateStore } from '@mycel/store'
import type { PeersView } from '../access/access.js'
import { LiveAccess, type ProcessInfo } from '../access/live.js'
import { hexOf, knownPeerView, type ShareView, shareView } from '../views.js'
import type { DaemonShares } from './shares.js'

/** Known peers `peers` lists at most: half the best scored, half the worst (banned peers are there). */
const KNOWN_PEERS_SHOWN = 50

/**
 * The daemon's node as the short commands see it: as a `share`/`get`
 * process's, except that `mycel rm` works (the daemon stops the share and
 * forgets it) instead of asking to stop the process first, and that `list`
 * has the downloads just added whose record the node has not written yet,
 * and that `peers` lists the peers the state store remembers (score, ban)
 * beside those connected.
 */
export class DaemonAccess extends LiveAccess {
  private shares: DaemonShares | undefined

  /**
   * @param node - the daemon's node
   * @param info - its process
   * @param state - the node's state store (known peers)
   */
  constructor(
    node: MycelNode,
    info: ProcessInfo,
    private readonly state: StateStore,
  ) {
    super(node, info)
  }

  override async peers(): Promise<PeersView> {
    const live = await super.peers()
    const now = Date.now()
    // the best and the worst scored (the banned are among these), each once
    const best = await this.state.listPeers({ limit: KNOWN_PEERS_SHOWN / 2, order: 'best' })
    const worst = await this.state.listPeers({ limit: KNOWN_PEERS_SHOWN / 2, order: 'worst' })
    const known = new Map([...best, ...worst.reverse()].map((record) => [knownPeerView(record, now).peerId, record]))
    return { ...live, known: [...known.values()].map((record) => knownPeerView(record, now)) }
  }

  /** Gives it the shares once the daemon has made them. */
  attach(shares: DaemonShares): void {
    this.shares = shares
  }

  override async list(): Promise<ShareView[]> {
    const { shares } = this
    if (shares === undefined) return super.list()
    const records = await shares.records()
    return records.map((record) => shareView(record, shares.node.shareStats(hexOf(record.infohash))))
  }

  override async remove(infohash: string): Promise<void> {
    if (this.shares === undefined) return super.remove(infohash)
    await this.shares.remove(infohash)
  }
}
