/**
 * The tracker's settings and their defaults (listed in docs/tracker.md and
 * docs/limits.md).
 * @module
 */
import type { AccountLimits } from './accounts/accounts.js'
import type { ScryptCost } from './accounts/password.js'
import type { Authorizer, TrackerMode } from './core/access.js'
import type { RateLimitOptions } from './core/rate-limit.js'
import type { SwarmLimits } from './core/swarm-table.js'
import { TrackerError } from './errors.js'
import type { HttpServerOptions } from './http/server.js'
import type { Logger } from './log.js'
import type { TrackerStorage } from './storage/storage.js'
import type { WsServerOptions } from './ws/server.js'
import type { WsSignallingLimits } from './ws/signalling.js'

/** Every bound of the WebSocket tracker. */
export type WsLimits = WsServerOptions & WsSignallingLimits

/** An address to listen on. */
export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** Options of `createTracker`; every one has a default. */
export interface TrackerOptions {
  /** A SQLite file, a `postgres://` URL, or an open storage. Default `:memory:` (nothing kept). */
  readonly database?: string | TrackerStorage
  /** HTTP listen addresses, or none. Default `[::]:6969` (dual-stack). */
  readonly http?: readonly ListenAddress[]
  /** UDP listen addresses, or none. Default `[::]:6969` (dual-stack). */
  readonly udp?: readonly ListenAddress[]
  /**
   * WebSocket (WebTorrent-style signalling) listen addresses. Default none.
   * Not offered in `private` mode.
   */
  readonly ws?: readonly ListenAddress[]
  /** Bounds of the WebSocket tracker. */
  readonly wsLimits?: Partial<WsLimits>
  /** Who may announce. Default `open`. */
  readonly mode?: TrackerMode
  /** Asked about every request; in `private` mode, the accounts' passkeys when not given. */
  readonly authorizer?: Authorizer
  /**
   * Accounts, the catalogue, credits and the JSON API (`true` for the
   * defaults). `private` mode without an `authorizer` needs them.
   */
  readonly accounts?: boolean | AccountsConfig
  /** Where the JSON API and the web page listen (with accounts). Default `[::]:6970`. */
  readonly api?: readonly ListenAddress[]
  /**
   * The tracker's public HTTP base (`https://tracker.example.org`), for the
   * announce URLs given to users; default the address a request to the API
   * was made to, with the first HTTP announce port.
   */
  readonly publicUrl?: string
  /** Seconds between regular announces clients are told. Default 1800. */
  readonly interval?: number
  /** Seconds clients must wait at least (`min interval`). Default 60. */
  readonly minInterval?: number
  /** A peer is dropped after `interval` times this without an announce. Default 2. */
  readonly peerTtlFactor?: number
  /** Peers given when a client does not say. Default 50. */
  readonly defaultNumwant?: number
  /** Most peers in one answer (HTTP, or UDP over IPv4). Default 200. */
  readonly maxNumwant?: number
  /** Most peers in one UDP answer over IPv6. Default 80 (one 1,500-byte packet). */
  readonly maxNumwantUdp6?: number
  /** Bounds of the swarms in memory. */
  readonly limits?: Partial<SwarmLimits>
  /** Per-address request budget, or `false` for none. */
  readonly rateLimit?: Partial<RateLimitOptions> | false
  /** Bounds and timeouts of the HTTP server. */
  readonly httpLimits?: Partial<Omit<HttpServerOptions, 'trustProxy'>>
  /** Take the client's address from `X-Forwarded-For` (only behind a reverse proxy). Default false. */
  readonly trustProxy?: boolean
  /** Milliseconds between batches written to storage. Default 5000. */
  readonly flushIntervalMs?: number
  /** Where the tracker reports. Default silent. */
  readonly log?: Logger
  /** The clock, in milliseconds (tests move it). Default `Date.now`. */
  readonly now?: () => number
}

/** Settings of the accounts. */
export interface AccountsConfig {
  /** scrypt's cost of new password hashes. Default N = 2^15, r = 8, p = 1. */
  readonly scryptCost?: ScryptCost
  /** Seconds a session token lasts. Default 3600. */
  readonly sessionSeconds?: number
  /** Login and registration budgets. */
  readonly limits?: Partial<AccountLimits>
}

/** The default port of the JSON API and web page. */
export const DEFAULT_API_PORT = 6970

/** The swarm bounds when none are given. */
export const DEFAULT_LIMITS: SwarmLimits = {
  maxSwarms: 1_000_000,
  maxPeers: 2_000_000,
  maxPeersPerSwarm: 200_000,
  maxPeersPerAddress: 10_000,
}

/** The per-address budget when none is given. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  perSecond: 50,
  burst: 200,
  refusalsPerSecond: 2,
  maxAddresses: 100_000,
}

/** The HTTP bounds when none are given. */
export const DEFAULT_HTTP_LIMITS: Omit<HttpServerOptions, 'trustProxy'> = {
  maxHeadBytes: 8192,
  headTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 64,
}

/** The WebSocket bounds when none are given. */
export const DEFAULT_WS_LIMITS: WsLimits = {
  maxSockets: 10_000,
  maxSocketsPerAddress: 64,
  maxMessageBytes: 64 * 1024,
  idleTimeoutMs: 120_000,
  maxSwarmsPerSocket: 100,
  maxOffers: 10,
  maxSdpChars: 16 * 1024,
  maxScrapeHashes: 64,
  messageBurst: 40,
  messagesPerSecond: 2,
}

/** The default port of both the HTTP and the UDP tracker. */
export const DEFAULT_PORT = 6969

/** Checks that `value` is a positive integer (or 0 when `zero` allows it). */
export function positiveInteger(value: number, name: string, zero = false): number {
  if (!Number.isSafeInteger(value) || value < (zero ? 0 : 1)) {
    throw new TrackerError(
      'CONFIG_INVALID',
      `${name} must be a ${zero ? 'non-negative' : 'positive'} integer, got ${String(value)}`,
    )
  }
  return value
}

/**
 * Reads `host:port`, `[v6]:port` or a bare port.
 *
 * @param text - the address
 * @param defaultHost - the host of a bare port
 * @returns the address
 * @throws {@link TrackerError} `CONFIG_INVALID`
 */
export function parseListenAddress(text: string, defaultHost = '::'): ListenAddress {
  const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(text.trim())
  const port = Number(match?.[3])
  if (match === null || port > 65535) {
    throw new TrackerError('CONFIG_INVALID', `${JSON.stringify(text)} is not host:port, [ipv6]:port or a port`)
  }
  return { host: match[1] ?? match[2] ?? defaultHost, port }
}
