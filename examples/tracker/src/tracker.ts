/**
 * `createTracker`: wires the parts (storage, swarms, registry, stats, the
 * HTTP and UDP servers, the batch writer, the expiry sweep) and nothing
 * more; per-request work lives in the parts.
 * @module
 */

import { Accounts } from './accounts/accounts.js'
import { PasskeyAuthorizer } from './accounts/authorizer.js'
import { Ledger } from './accounts/ledger.js'
import { ReceiptBook } from './accounts/receipts.js'
import { ReportBook } from './accounts/reports.js'
import { AccountStore } from './accounts/store.js'
import { type ApiAddress, ApiServer } from './api/server.js'
import { Catalogue } from './catalogue/catalogue.js'
import {
  DEFAULT_API_PORT,
  DEFAULT_HTTP_LIMITS,
  DEFAULT_LIMITS,
  DEFAULT_PORT,
  DEFAULT_RATE_LIMIT,
  DEFAULT_WS_LIMITS,
  type ListenAddress,
  positiveInteger,
  type TrackerOptions,
} from './config.js'
import type { AccessRequest, Authorizer } from './core/access.js'
import { RateLimiter } from './core/rate-limit.js'
import { keyOf, type RegisteredInfohash, Registry } from './core/registry.js'
import { TrackerStats } from './core/stats.js'
import { SwarmTable } from './core/swarm-table.js'
import { TrackerCore } from './core/tracker-core.js'
import { TrackerError } from './errors.js'
import { type HttpAddress, HttpTrackerServer } from './http/server.js'
import { silent } from './log.js'
import { statsSnapshot, statusPage, type TrackerStatsSnapshot } from './status.js'
import { Flusher } from './storage/flusher.js'
import { openStorage } from './storage/open.js'
import type { TrackerStorage } from './storage/storage.js'
import { ConnectionIds } from './udp/connection-id.js'
import { type UdpAddress, UdpTrackerServer } from './udp/server.js'
import { type WsAddress, WsTrackerServer } from './ws/server.js'
import { WsSignalling } from './ws/signalling.js'

export type { AccessRequest, Authorizer }

/** A running tracker. */
export interface Tracker {
  /** Where the HTTP tracker listens (announce at `http://host:port/announce`). */
  readonly http: readonly HttpAddress[]
  /** Where the UDP tracker listens (`udp://host:port`). */
  readonly udp: readonly UdpAddress[]
  /** Where the WebSocket tracker listens (`ws://host:port/announce`; empty unless asked for). */
  readonly ws: readonly WsAddress[]
  /** Where the JSON API and web page listen (with accounts; empty without). */
  readonly api: readonly ApiAddress[]
  /** The storage it writes to. */
  readonly storage: TrackerStorage
  /** The accounts, when enabled. */
  readonly accounts: Accounts | undefined
  /** The figures of `/stats`. */
  stats(): TrackerStatsSnapshot
  /**
   * Registers infohashes (the whitelist) and applies them at once.
   *
   * @param entries - from `torrentEntries` or `infohashEntries`
   */
  register(entries: readonly RegisteredInfohash[]): Promise<void>
  /**
   * Removes registered infohashes (with the rest of their swarm's) and applies it at once.
   *
   * @param infohashes - 20-byte infohashes
   * @returns how many were removed
   */
  unregister(infohashes: readonly Uint8Array[]): Promise<number>
  /** Runs one storage round now: registry changes read, counts written. */
  flush(): Promise<void>
  /** The swarm table (for tests and the benchmark). @internal */
  readonly table: SwarmTable
  /** Stops serving, writes what is left, closes the storage. Idempotent. */
  close(): Promise<void>
}

function listenAddresses(given: readonly ListenAddress[] | undefined): readonly ListenAddress[] {
  return given ?? [{ host: '::', port: DEFAULT_PORT }]
}

/** Binds on `::`, or on `0.0.0.0` when the machine has no IPv6. */
async function bindDualStack<T>(host: string, bind: (host: string) => Promise<T>): Promise<T> {
  try {
    return await bind(host)
  } catch (err) {
    const cause = (err as TrackerError).cause as NodeJS.ErrnoException | undefined
    if (host === '::' && (cause?.code === 'EAFNOSUPPORT' || cause?.code === 'EADDRNOTAVAIL')) return bind('0.0.0.0')
    throw err
  }
}

/**
 * Starts a tracker: opens its storage, restores what a restart needs
 * (registry, completed counts, totals, the connection-id secret), and
 * listens.
 *
 * @param options - storage, addresses, mode, intervals, bounds
 * @returns the running tracker
 * @throws {@link TrackerError} `CONFIG_INVALID`, `LISTEN_FAILED`, and the storage's errors
 *
 * @example
 * ```ts
 * const tracker = await createTracker({ database: 'tracker.db', http: [{ host: '::', port: 6969 }] })
 * console.log(tracker.stats().peers)
 * await tracker.close()
 * ```
 */
export async function createTracker(options: TrackerOptions = {}): Promise<Tracker> {
  const nowMs = options.now ?? Date.now
  const nowSeconds = () => Math.floor(nowMs() / 1000)
  const log = options.log ?? silent
  const mode = options.mode ?? 'open'
  const accountsConfig = options.accounts === true ? {} : options.accounts === false ? undefined : options.accounts
  if (mode === 'private' && options.authorizer === undefined && accountsConfig === undefined) {
    throw new TrackerError('CONFIG_INVALID', 'private mode needs an authorizer (accounts and passkeys)')
  }
  const interval = positiveInteger(options.interval ?? 1800, 'interval')
  const minInterval = positiveInteger(options.minInterval ?? Math.min(60, interval), 'minInterval')
  const factor = options.peerTtlFactor ?? 2
  if (!(factor >= 1)) throw new TrackerError('CONFIG_INVALID', `peerTtlFactor must be at least 1, got ${factor}`)
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  for (const [name, value] of Object.entries(limits)) positiveInteger(value, name)
  const httpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.httpLimits }
  for (const [name, value] of Object.entries(httpLimits)) positiveInteger(value, name)
  const wsLimits = { ...DEFAULT_WS_LIMITS, ...options.wsLimits }
  for (const [name, value] of Object.entries(wsLimits)) positiveInteger(value, name)
  if (mode === 'private' && (options.ws?.length ?? 0) > 0) {
    throw new TrackerError('CONFIG_INVALID', 'WebSocket signalling is not offered in private mode (no passkeys there)')
  }
  const rate = options.rateLimit === false ? undefined : { ...DEFAULT_RATE_LIMIT, ...options.rateLimit }
  if (rate !== undefined)
    for (const [name, value] of Object.entries(rate)) if (!(value > 0)) positiveInteger(value, name)
  const settings = {
    interval,
    minInterval,
    peerTtl: Math.ceil(interval * factor),
    defaultNumwant: positiveInteger(options.defaultNumwant ?? 50, 'defaultNumwant', true),
    maxNumwant: positiveInteger(options.maxNumwant ?? 200, 'maxNumwant', true),
    maxNumwantUdp6: positiveInteger(options.maxNumwantUdp6 ?? 80, 'maxNumwantUdp6', true),
  }

  const database = options.database ?? ':memory:'
  const storage =
    typeof database === 'string'
      ? await openStorage(database, { onError: (err) => log('warn', `database connection: ${err.message}`) })
      : database
  const table = new SwarmTable(limits)
  const registry = new Registry()
  const stats = new TrackerStats(nowMs)
  const store = accountsConfig === undefined ? undefined : new AccountStore(storage.sql)
  const ledger = store === undefined ? undefined : new Ledger(storage.sql, settings.peerTtl, nowSeconds)
  const passkeys =
    mode === 'private' && options.authorizer === undefined && store !== undefined
      ? new PasskeyAuthorizer(store, ledger, nowMs)
      : undefined
  const core = new TrackerCore(
    mode,
    settings,
    table,
    registry,
    stats,
    nowSeconds,
    options.authorizer ?? passkeys,
    passkeys === undefined ? undefined : ledger,
  )
  const flusher = new Flusher(storage, table, registry, stats, {
    intervalMs: positiveInteger(options.flushIntervalMs ?? 5000, 'flushIntervalMs'),
    log,
  })
  const limiter = rate === undefined ? undefined : new RateLimiter(rate, nowMs)
  const startedAt = nowMs()
  let signalling: WsSignalling | undefined
  const parts = {
    mode,
    storage: storage.kind,
    startedAt,
    nowMs,
    table,
    registry,
    stats,
    webSocket: () => signalling?.figures(),
  }
  const servers: Array<HttpTrackerServer | UdpTrackerServer | ApiServer | WsTrackerServer> = []
  let sweep: ReturnType<typeof setInterval> | undefined
  let accountRounds: ReturnType<typeof setInterval> | undefined
  let catalogue: Catalogue | undefined
  /** Writes the ledger's counts and the catalogue's seeder counts (with accounts). */
  const accountRound = async () => {
    await ledger?.flush().catch((err: Error) => log('warn', `writing account counts: ${err.message}`))
    await catalogue?.writeCounts().catch((err: Error) => log('warn', `writing catalogue counts: ${err.message}`))
  }

  const shutdown = async () => {
    if (sweep !== undefined) clearInterval(sweep)
    if (accountRounds !== undefined) clearInterval(accountRounds)
    await Promise.allSettled(servers.map((server) => server.close()))
    await accountRound()
    await flusher.close()
    if (typeof database === 'string') await storage.close()
  }

  try {
    await flusher.restore()
    const ids = new ConnectionIds(await storage.secret(), nowSeconds)
    const status = { stats: () => statsSnapshot(parts), page: () => statusPage(statsSnapshot(parts)) }
    const http: HttpAddress[] = []
    for (const { host, port } of listenAddresses(options.http)) {
      const server = new HttpTrackerServer(
        core,
        limiter,
        status,
        { ...httpLimits, trustProxy: options.trustProxy ?? false },
        log,
      )
      servers.push(server)
      http.push(await bindDualStack(host, (bindHost) => server.listen(bindHost, port)))
    }
    const udp: UdpAddress[] = []
    for (const { host, port } of listenAddresses(options.udp)) {
      const server = new UdpTrackerServer(core, ids, limiter, log)
      servers.push(server)
      udp.push(await bindDualStack(host, (bindHost) => server.listen(bindHost, port)))
    }
    const ws: WsAddress[] = []
    if ((options.ws?.length ?? 0) > 0) {
      const wsSignalling = new WsSignalling(
        wsLimits,
        interval,
        (infohash) => mode === 'open' || registry.has(keyOf(infohash)),
        nowMs,
      )
      signalling = wsSignalling
      for (const { host, port } of options.ws ?? []) {
        const server = new WsTrackerServer(wsSignalling, wsLimits, log, options.trustProxy ?? false)
        servers.push(server)
        ws.push(await bindDualStack(host, (bindHost) => server.listen(bindHost, port)))
      }
    }
    const api: ApiAddress[] = []
    let accounts: Accounts | undefined
    if (store !== undefined && ledger !== undefined && accountsConfig !== undefined) {
      accounts = new Accounts(store, await storage.secret(), { ...accountsConfig, nowMs, log })
      const counts = (swarm: Uint8Array) => {
        const live = table.get(registry.swarm(keyOf(swarm)))
        return { seeders: live?.seeders ?? 0, leechers: live?.leechers ?? 0, completed: live?.completed ?? 0 }
      }
      catalogue = new Catalogue(
        storage.sql,
        {
          register: async (entries) => {
            await storage.register(entries)
            await flusher.round()
          },
          unregister: async (infohashes) => {
            const removed = await storage.unregister(infohashes)
            await flusher.round()
            return removed
          },
          counts,
        },
        nowSeconds,
      )
      const receipts = new ReceiptBook(storage.sql, store, ledger, nowMs)
      const reports = new ReportBook(storage.sql, store, ledger, nowSeconds)
      const announcePort = http[0]?.port ?? DEFAULT_PORT
      const publicUrl = options.publicUrl?.replace(/\/+$/, '')
      for (const { host, port } of options.api ?? [{ host: '::', port: DEFAULT_API_PORT }]) {
        const server = new ApiServer({
          accounts,
          catalogue,
          receipts,
          reports,
          announceUrl: (passkey, hostHeader) => {
            if (publicUrl !== undefined) return `${publicUrl}/announce/${passkey}`
            const hostname = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d+)?$/.exec(hostHeader ?? '')?.[1] ?? '127.0.0.1'
            return `http://${hostname}:${announcePort}/announce/${passkey}`
          },
          forgetPasskey: (passkey) => passkeys?.forget(passkey),
          trustProxy: options.trustProxy ?? false,
          log,
        })
        servers.push(server)
        api.push(await bindDualStack(host, (bindHost) => server.listen(bindHost, port)))
      }
      const accountMs = positiveInteger(options.flushIntervalMs ?? 5000, 'flushIntervalMs')
      accountRounds = setInterval(() => void accountRound(), accountMs)
      accountRounds.unref()
    }
    flusher.start()
    // Expired peers are removed in one sweep over the swarms, a few times per peer lifetime.
    const sweepMs = Math.max(1000, Math.min(60_000, (settings.peerTtl * 1000) / 4))
    sweep = setInterval(() => {
      const removed = table.expire(nowSeconds())
      limiter?.prune()
      if (removed > 0) log('debug', `${removed} peers expired`)
    }, sweepMs)
    sweep.unref()
    log(
      'info',
      `${mode} tracker on ${storage.kind}: ${table.size} swarms and ${registry.size} registered infohashes restored`,
    )

    let closing: Promise<void> | undefined
    return {
      http,
      udp,
      ws,
      api,
      storage,
      accounts,
      table,
      stats: () => statsSnapshot(parts),
      async register(entries) {
        await storage.register(entries)
        await flusher.round()
      },
      async unregister(infohashes) {
        const removed = await storage.unregister(infohashes)
        await flusher.round()
        return removed
      },
      async flush() {
        await flusher.round()
        await accountRound()
      },
      close() {
        closing ??= shutdown()
        return closing
      },
    }
  } catch (err) {
    await shutdown().catch(() => {})
    throw err
  }
}
