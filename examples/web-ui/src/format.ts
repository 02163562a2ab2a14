/**
 * How the UI writes sizes, rates and times.
 * @module
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/**
 * @param bytes - a size
 * @returns `1.5 MiB`
 */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`
}

/**
 * @param bytesPerSecond - a rate
 * @returns `1.5 MiB/s`
 */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`
}

/**
 * @param done - bytes (or pieces) done
 * @param total - of how many; null when not known yet
 * @returns a whole percentage, `100%` only when complete
 */
export function formatPercent(done: number, total: number | null): string {
  if (total === null || total === 0) return total === 0 ? '100%' : '?'
  return `${done >= total ? 100 : Math.min(99, Math.floor((done / total) * 100))}%`
}

/**
 * @param hex - an infohash or a peer id
 * @returns its first 12 characters and an ellipsis
 */
export function shortId(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 12)}…` : hex
}
