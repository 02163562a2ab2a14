/**
 * Moves state between memory and storage in batches: at start it reads the
 * registry, the largest completed counts and the counters; then every few
 * seconds it re-reads the registry if another process changed it, reads the
 * stored counts of swarms new to memory, and writes what was counted since
 * the last round, in one transaction. A failed round loses nothing: its
 * increases are put back for the next.
 * @module
 */
import { bytesOf, keyOf, type Registry } from '../core/registry.js'
import type { TrackerStats } from '../core/stats.js'
import type { SwarmTable } from '../core/swarm-table.js'
import type { Logger } from '../log.js'
import type { TrackerStorage } from './storage.js'

/** Swarms whose stored count is read per round, at most. */
const LOADS_PER_ROUND = 5000

/** Options of the {@link Flusher}. */
export interface FlusherOptions {
  /** Milliseconds between rounds. */
  readonly intervalMs: number
  /** Where failures are reported. */
  readonly log: Logger
}

/** The batch writer and reader between the tracker's memory and its storage. */
export class Flusher {
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<void> | undefined
  /** The round asked for while one was under way. */
  private queued: Promise<void> | undefined
  private closing: Promise<void> | undefined
  /** Rounds done, failed or not (for tests that wait for one). */
  rounds = 0

  constructor(
    private readonly storage: TrackerStorage,
    private readonly table: SwarmTable,
    private readonly registry: Registry,
    private readonly stats: TrackerStats,
    private readonly options: FlusherOptions,
  ) {}

  /** Reads what a restart needs: the registry, the largest completed counts (as many as fit), the counters. */
  async restore(): Promise<void> {
    await this.reloadRegistry()
    const { swarms, total } = await this.storage.loadSwarms(this.table.limits.maxSwarms)
    this.table.restore(
      swarms.map((swarm) => ({ key: keyOf(swarm.infohash), completed: swarm.completed })),
      total,
    )
    this.stats.restore(await this.storage.counters())
  }

  /** Starts the rounds. */
  start(): void {
    if (this.timer !== undefined || this.closing !== undefined) return
    this.timer = setInterval(() => {
      if (this.running === undefined) void this.round()
    }, this.options.intervalMs)
    this.timer.unref()
  }

  /**
   * Runs a round that starts after this call: now, or after the one under
   * way (which may have read storage before the caller's change).
   *
   * @returns when that round is over (it never rejects: failures are logged and retried)
   */
  round(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.doRound().finally(() => {
        this.running = undefined
        this.rounds++
      })
      return this.running
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined
      return this.round()
    })
    return this.queued
  }

  private async doRound(): Promise<void> {
    try {
      const version = await this.storage.registryVersion()
      if (version !== this.registry.version) await this.reloadRegistry(version)
    } catch (err) {
      this.options.log('warn', `reading the registry failed, will retry: ${(err as Error).message}`)
    }
    const pending = this.table.takePendingLoads(LOADS_PER_ROUND)
    if (pending.length > 0) {
      try {
        const stored = await this.storage.swarms(pending.map(bytesOf))
        const found = new Map(stored.map((swarm) => [keyOf(swarm.infohash), swarm.completed]))
        for (const key of pending) this.table.applyLoaded(key, found.get(key) ?? 0)
      } catch (err) {
        this.table.returnPendingLoads(pending)
        this.options.log('warn', `reading stored swarms failed, will retry: ${(err as Error).message}`)
      }
    }
    const completed = this.table.takeCompleted()
    const counters = this.stats.takeUnflushed()
    if (completed.length === 0 && counters.length === 0) return
    try {
      await this.storage.flush({
        completed: completed.map(({ key, delta }) => ({ infohash: bytesOf(key), delta })),
        counters,
      })
    } catch (err) {
      this.table.returnCompleted(completed)
      this.stats.returnUnflushed(counters)
      this.options.log('warn', `writing to storage failed, will retry: ${(err as Error).message}`)
    }
  }

  private async reloadRegistry(known?: number): Promise<void> {
    const version = known ?? (await this.storage.registryVersion())
    const entries = await this.storage.registered()
    this.registry.replace(entries, version)
  }

  /** Stops the rounds and writes what is left. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer !== undefined) clearInterval(this.timer)
      this.timer = undefined
      await this.round()
    })()
    return this.closing
  }
}
