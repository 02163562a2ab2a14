import type { MycelNode } from '@mycel/node'
import { LiveAccess, type ProcessInfo } from '../access/live.js'
import { hexOf, type ShareView, shareView } from '../views.js'
import type { DaemonShares } from './shares.js'

/**
 * The daemon's node as the short commands see it: as a `share`/`get`
 * process's, except that `mycel rm` works (the daemon stops the share and
 * forgets it) instead of asking to stop the process first, and that `list`
 * has the downloads just added whose record the node has not written yet.
 */
export class DaemonAccess extends LiveAccess {
  private shares: DaemonShares | undefined

  constructor(node: MycelNode, info: ProcessInfo) {
    super(node, info)
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
