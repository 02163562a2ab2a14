/** How the feel bench prints its figures: tables, ratios and the issue's targets. */
import { loadavg } from 'node:os'
import type { Engine } from './engines.js'
import { KiB, MiB, TARGET_WEBTORRENT } from './settings.js'
import type { Transfer } from './transfer.js'

export const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '-')
export const loadAverage = (): string =>
  loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')
export const met = (ok: boolean): string => (ok ? 'met' : 'NOT met')

export function row(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 12) : cell.padStart(widths[i] ?? 12))).join(' ')
}

export function verdict(results: Transfer[], sourceDigest: string): void {
  for (const { engine, digest, seeders } of results) {
    const ready = seeders[0]?.ready
    const pieces =
      ready?.pieceCount === undefined ? '' : `pieces ${ready.pieceCount} x ${(ready.pieceLength ?? 0) / KiB} KiB; `
    console.log(
      `${engine.name.padEnd(11)} ${pieces}copy SHA-256 ${digest} ${digest === sourceDigest ? 'equals the source' : `DIFFERS from the source ${sourceDigest}`}`,
    )
  }
}

/** Prints how many times `other`'s figure is mycel's, per reference (for figures where less is better). */
export function ratios(results: { engine: Engine }[], label: string, figure: (result: never) => number): void {
  const mycel = results.find((result) => result.engine.name === 'mycel')
  if (mycel === undefined) return
  const parts = results
    .filter((result) => result !== mycel)
    .map((result) => `${result.engine.name} ${fixed(figure(result as never) / figure(mycel as never))}x`)
  if (parts.length > 0) console.log(`${label}, reference / mycel (above 1: mycel less): ${parts.join(', ')}`)
}

/** Prints each side's hashing, CPU and memory. */
export function printSides(results: Transfer[], bytes: number): void {
  const widths = [24, 16, 14, 12, 10, 12, 12, 12]
  console.log(
    row(['', 'hash s (CPU s)', 'uploaded MiB', 'transfer s', 'MiB/s', 'CPU s xfer', 'peak RSS', 'peak anon'], widths),
  )
  for (const result of results) {
    for (const [i, seeder] of result.seeders.entries()) {
      console.log(
        row(
          [
            `${result.engine.name} seeder${result.seeders.length > 1 ? ` ${i + 1}` : ''}`,
            `${fixed(seeder.ready.hashSeconds)} (${fixed(seeder.ready.hashCpuSeconds)})`,
            fixed(seeder.stopped.served.uploaded / MiB, 1),
            '',
            '',
            fixed(seeder.stopped.served.cpuSeconds ?? Number.NaN),
            fixed(seeder.stopped.exit.peakRssMiB, 1),
            fixed(seeder.stopped.exit.peakAnonMiB, 1),
          ],
          widths,
        ),
      )
    }
    console.log(
      row(
        [
          `${result.engine.name} leecher`,
          '',
          '',
          fixed(result.done.seconds),
          fixed(bytes / MiB / result.done.seconds, 1),
          fixed(result.done.cpuSeconds),
          fixed(result.leecher.exit.peakRssMiB, 1),
          fixed(result.leecher.exit.peakAnonMiB, 1),
        ],
        widths,
      ),
    )
  }
}

/** Prints mycel's figure against WebTorrent's with the issue's target (`reference / mycel` at least 2). */
export function target(results: { engine: Engine }[], label: string, figure: (result: never) => number): void {
  const mycel = results.find((result) => result.engine.name === 'mycel')
  const webtorrent = results.find((result) => result.engine.name === 'WebTorrent')
  if (mycel === undefined || webtorrent === undefined) return
  const ratio = figure(webtorrent as never) / figure(mycel as never)
  console.log(
    `${label}: WebTorrent / mycel = ${fixed(ratio)}x (target >= ${TARGET_WEBTORRENT}x: ${met(ratio >= TARGET_WEBTORRENT)})`,
  )
}
