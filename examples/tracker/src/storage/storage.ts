/**
 * What the tracker keeps across restarts, behind one interface with two
 * implementations (SQLite, PostgreSQL) and one compliance suite. Live peers
 * are not stored: clients announce again within an interval. Writes come in
 * batches (every few seconds), never one per announce.
 * @module
 */
import type { RegisteredInfohash } from '../core/registry.js'
import type { SqlDatabase } from './sql.js'

/** The completed count storage holds for one swarm. */
export interface StoredSwarm {
  /** The swarm's 20-byte key. */
  readonly infohash: Uint8Array
  /** Downloads completed in it. */
  readonly completed: number
}

/** One batch of increases, written in one transaction. */
export interface FlushBatch {
  /** Completed downloads to add, per swarm (20-byte keys; each at most once per batch). */
  readonly completed: ReadonlyArray<{ readonly infohash: Uint8Array; readonly delta: number }>
  /** Counter increases to add, per counter name (each at most once per batch). */
  readonly counters: ReadonlyArray<{ readonly name: string; readonly delta: number }>
}

/**
 * The tracker's durable state. Every method may be called while another is
 * under way; `close()` waits for them and is idempotent. Several tracker
 * processes may share one PostgreSQL database: increments add up, the
 * secret is created once, registry changes bump a version the others poll.
 */
export interface TrackerStorage {
  /** `sqlite` or `postgres`. */
  readonly kind: 'sqlite' | 'postgres'

  /** Statements on the same database, for the accounts, the catalogue and the credits (not on the announce path). */
  readonly sql: SqlDatabase

  /**
   * The tracker's secret (it signs UDP connection ids): 32 random bytes
   * created by the first call on a new database, the same ever after, for
   * every process using the database.
   */
  secret(): Promise<Uint8Array>

  /**
   * Adds a batch of increases, all or nothing.
   *
   * @param batch - the increases
   * @throws {@link TrackerError} `DATABASE_FAILED` when the write fails (nothing of it is kept)
   */
  flush(batch: FlushBatch): Promise<void>

  /**
   * Completed counts, the largest first.
   *
   * @param limit - most swarms returned
   * @returns the swarms, and how many storage holds in all
   */
  loadSwarms(limit: number): Promise<{ swarms: StoredSwarm[]; total: number }>

  /**
   * Completed counts of some swarms.
   *
   * @param infohashes - 20-byte keys
   * @returns the counts of those storage knows, in any order
   */
  swarms(infohashes: readonly Uint8Array[]): Promise<StoredSwarm[]>

  /** Every counter's total. */
  counters(): Promise<Map<string, number>>

  /**
   * Registers infohashes (adds them, or changes the swarm and name of those
   * already there) and bumps the registry version.
   *
   * @param entries - the infohashes
   */
  register(entries: readonly RegisteredInfohash[]): Promise<void>

  /**
   * Removes registered infohashes, with every other infohash registered
   * with the same torrent (a hybrid torrent goes as a whole, its discovery
   * key too), and bumps the registry version.
   *
   * @param infohashes - 20-byte infohashes
   * @returns how many registered infohashes were removed
   */
  unregister(infohashes: readonly Uint8Array[]): Promise<number>

  /** Every registered infohash, in byte order. */
  registered(): Promise<RegisteredInfohash[]>

  /** A number that changes whenever the registry does (whoever changed it). */
  registryVersion(): Promise<number>

  /** Waits for what is under way, then releases the database. Idempotent. */
  close(): Promise<void>
}
