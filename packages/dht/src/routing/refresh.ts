import type { Clock } from '../clock.js'
import type { RoutingTable } from './table.js'

/** Options of a {@link TableRefresher}. @internal */
export interface TableRefresherOptions {
  readonly table: RoutingTable
  readonly clock: Clock
  readonly k: number
  /** Buckets unchanged this long are refreshed; 0: never. */
  readonly refreshInterval: number
  /** Whether the node has bootstrap nodes to fall back on. */
  readonly canBootstrap: boolean
  /** Runs a `find_node` lookup (never rejects). */
  readonly findNode: (target: Uint8Array) => Promise<unknown>
}

const MINUTE = 60_000

/**
 * Keeps the routing table fresh in the background, one job at a time: every
 * bucket unchanged for `refreshInterval` (BEP 5: 15 minutes) gets a lookup
 * for a random id inside it; and while the table holds fewer than k nodes,
 * the node looks for its neighbours again (a node that joined when the
 * network knew few nodes would stay isolated otherwise), backing off from
 * one minute to the refresh interval while that finds nothing new.
 * @internal
 */
export class TableRefresher {
  private running: Promise<void> | undefined
  private sparseDelay = MINUTE
  private nextSparse = 0

  constructor(private readonly options: TableRefresherOptions) {}

  /** Starts the refreshes that are due, unless one is running. */
  tick(): void {
    if (this.running !== undefined) return
    const { table, clock, k, refreshInterval } = this.options
    const now = clock.now()
    const sparse = table.size < k && (this.options.canBootstrap || table.size > 0)
    if (!sparse) this.sparseDelay = MINUTE
    const stale = refreshInterval > 0 ? table.staleBuckets(now, refreshInterval) : []
    let targets: Uint8Array[]
    if (sparse && now >= this.nextSparse) {
      targets = [table.id]
      this.nextSparse = now + this.sparseDelay
    } else {
      targets = stale.map((index) => table.refreshTarget(index, now))
    }
    if (targets.length === 0) return
    const before = table.size
    this.running = (async () => {
      for (const target of targets) await this.options.findNode(target)
      if (sparse && table.size <= before)
        this.sparseDelay = Math.min(this.sparseDelay * 2, Math.max(refreshInterval, MINUTE))
    })().finally(() => {
      this.running = undefined
    })
  }

  /** Resolves when the job running (if any) has ended. */
  async settled(): Promise<void> {
    await this.running
  }
}
