/** Text forms of sizes, rates, durations and tables, for people. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/**
 * A byte count in binary units: `0 B`, `512 B`, `1.5 KiB`, `300.0 MiB`.
 *
 * @param bytes - a non-negative count
 * @returns the text
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?'
  if (bytes < 1024) return `${Math.round(bytes)} B`
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`
}

/**
 * A rate in bytes per second: `12.3 MiB/s`.
 *
 * @param bytesPerSecond - the rate
 * @returns the text
 */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`
}

/**
 * A duration for an ETA or an uptime: `45s`, `3m 05s`, `2h 10m`, `3d 4h`; `?` when unknown.
 *
 * @param seconds - the duration
 * @returns the text
 */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '?'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`
}

/**
 * A percentage with one decimal, never 100.0% before the end.
 *
 * @param done - what is done
 * @param total - all of it
 * @returns `42.5%`, or `?%` without a total
 */
export function formatPercent(done: number, total: number | undefined): string {
  if (total === undefined || total <= 0) return '?%'
  const percent = (done / total) * 100
  return `${(done < total ? Math.min(percent, 99.9) : 100).toFixed(1)}%`
}

/** How many hex digits of an infohash `ls` shows; every command accepts such a prefix. */
export const SHORT_INFOHASH_LENGTH = 12

/**
 * The short form of an infohash that `ls` and `search` show.
 *
 * @param infohashHex - 64 hex digits
 * @returns its first 12
 */
export function shortInfohash(infohashHex: string): string {
  return infohashHex.slice(0, SHORT_INFOHASH_LENGTH)
}

/**
 * Lays rows out in columns separated by two spaces; the last column is not padded.
 *
 * @param header - column titles
 * @param rows - cells, as text
 * @returns the lines
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows]
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)))
  return all.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
}

const RATE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
}

/**
 * Reads a size such as `500k`, `2MiB`, `1.5M` or `1048576` (bytes; `k`/`M`/`G`
 * are powers of 1000, `KiB`/`MiB`/`GiB` of 1024).
 *
 * @param text - the size
 * @returns bytes, or undefined when the text is not a size (or beyond 2^53)
 */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)(?:\/s)?\s*$/i.exec(text)
  if (match === null) return undefined
  const unit = RATE_UNITS[(match[2] ?? '').toLowerCase()]
  if (unit === undefined) return undefined
  const value = Math.round(Number(match[1]) * unit)
  return Number.isSafeInteger(value) ? value : undefined
}
