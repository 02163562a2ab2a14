/**
 * What an operator sees: `/stats` (JSON) and a small status page at `/`.
 * @module
 */
import type { TrackerMode } from './core/access.js'
import type { Registry } from './core/registry.js'
import type { CounterName, TrackerStats } from './core/stats.js'
import type { SwarmTable } from './core/swarm-table.js'
import type { WsFigures } from './ws/signalling.js'

/** The JSON of `/stats`. */
export interface TrackerStatsSnapshot {
  readonly mode: TrackerMode
  /** `sqlite` or `postgres`. */
  readonly storage: string
  /** When the process started (ISO 8601). */
  readonly startedAt: string
  readonly uptimeSeconds: number
  /** Swarms with at least one peer. */
  readonly swarms: number
  /** Swarms in memory, with or without peers. */
  readonly swarmsInMemory: number
  readonly peers: number
  readonly seeders: number
  readonly leechers: number
  /** Infohashes registered (the whitelist). */
  readonly registered: number
  /** Over the last 10 whole seconds, HTTP and UDP together. */
  readonly announcesPerSecond: number
  /** Totals since the database was created (they survive restarts). */
  readonly totals: Readonly<Record<CounterName, number>>
  /**
   * The WebSocket signalling's swarms (with `--ws`): apart from the HTTP and
   * UDP ones above, held only while their sockets are open.
   */
  readonly webSocket?: WsFigures
}

/** The parts the stats are read from. */
export interface StatusParts {
  readonly mode: TrackerMode
  readonly storage: string
  readonly startedAt: number
  readonly nowMs: () => number
  readonly table: SwarmTable
  readonly registry: Registry
  readonly stats: TrackerStats
  /** The WebSocket swarms, when the tracker has `--ws` listeners. */
  readonly webSocket: () => WsFigures | undefined
}

/**
 * The stats as they are now.
 *
 * @param parts - the tracker's state
 * @returns the `/stats` JSON value
 */
export function statsSnapshot(parts: StatusParts): TrackerStatsSnapshot {
  const { table } = parts
  const webSocket = parts.webSocket()
  return {
    mode: parts.mode,
    storage: parts.storage,
    startedAt: new Date(parts.startedAt).toISOString(),
    uptimeSeconds: Math.floor((parts.nowMs() - parts.startedAt) / 1000),
    swarms: table.activeSize,
    swarmsInMemory: table.size,
    peers: table.peers,
    seeders: table.seeders,
    leechers: table.leechers,
    registered: parts.registry.size,
    announcesPerSecond: parts.stats.announcesPerSecond(),
    totals: parts.stats.snapshot(),
    ...(webSocket !== undefined ? { webSocket } : {}),
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

/**
 * The status page: the same figures as `/stats`, for a browser (refreshes every 10 s).
 *
 * @param snapshot - the stats
 * @returns an HTML document
 */
export function statusPage(snapshot: TrackerStatsSnapshot): string {
  const row = (name: string, value: string | number) =>
    `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(typeof value === 'number' ? value.toLocaleString('en') : value)}</td></tr>`
  const totals = snapshot.totals
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>mycel-tracker</title>
<style>body{font:15px system-ui,sans-serif;margin:2em auto;max-width:36em;color:#222}th{text-align:left;font-weight:normal;color:#555;padding-right:2em}td{text-align:right;font-variant-numeric:tabular-nums}h2{font-size:1em;margin-top:1.5em}</style>
</head><body>
<h1>mycel-tracker</h1>
<p>${escapeHtml(snapshot.mode)} tracker on ${escapeHtml(snapshot.storage)}, up ${escapeHtml(formatDuration(snapshot.uptimeSeconds))}. Announce at <code>/announce</code>, scrape at <code>/scrape</code>, figures as JSON at <a href="/stats">/stats</a>.</p>
<h2>Now</h2>
<table>
${row('swarms', snapshot.swarms)}
${row('peers', snapshot.peers)}
${row('seeders', snapshot.seeders)}
${row('leechers', snapshot.leechers)}
${row('announces per second', snapshot.announcesPerSecond.toFixed(1))}
${row('registered infohashes', snapshot.registered)}
</table>
${
  snapshot.webSocket === undefined
    ? ''
    : `<h2>WebSocket signalling</h2>
<table>
${row('sockets', snapshot.webSocket.sockets)}
${row('swarms', snapshot.webSocket.swarms)}
${row('peers', snapshot.webSocket.peers)}
</table>
`
}<h2>Since the start of this database</h2>
<table>
${row('announces (HTTP)', totals.announces_http)}
${row('announces (UDP)', totals.announces_udp)}
${row('scrapes (HTTP)', totals.scrapes_http)}
${row('scrapes (UDP)', totals.scrapes_udp)}
${row('downloads completed', totals.completed)}
${row('requests refused', totals.refused)}
${row('malformed requests', totals.malformed)}
${row('requests over the rate limit', totals.rate_limited)}
</table>
</body></html>
`
}

function formatDuration(seconds: number): string {
  const days = Math.floor(seconds / 86400)
  const hours = Math.floor((seconds % 86400) / 3600)
  const minutes = Math.floor((seconds % 3600) / 60)
  if (days > 0) return `${days} d ${hours} h`
  if (hours > 0) return `${hours} h ${minutes} min`
  return `${minutes} min ${seconds % 60} s`
}
