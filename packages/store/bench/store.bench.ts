/**
 * Benchmarks of @mycel/store, each against a reference measured in the same
 * run: the file-system PieceStore against node:fs and dd (1 GiB in 16 KiB
 * blocks), and 100,000 piece completions recorded in the SQLite StateStore
 * against one row per piece.
 *
 * Run: `npm run bench -w @mycel/store` (MYCEL_BENCH_MIB=256 for a shorter run).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchFsPieceStore } from './fs.js'
import { benchCompletions } from './sqlite.js'

const mib = Number(process.env.MYCEL_BENCH_MIB ?? 1024)
const completions = Number(process.env.MYCEL_BENCH_COMPLETIONS ?? 100_000)
const dir = mkdtempSync(join(tmpdir(), 'mycel-store-bench-'))
try {
  console.log(
    `@mycel/store (Node ${process.version}, ${cpus().length} CPUs, load ${(await import('node:os')).loadavg()[0]?.toFixed(1)}, temp folder ${tmpdir()})`,
  )
  console.log(`\nfs PieceStore: ${mib} MiB in 16 KiB blocks (one block per piece)`)
  console.table(await benchFsPieceStore(dir, mib * 1024 * 1024))
  console.log(`\nSQLite StateStore: ${completions.toLocaleString('en-US')} piece completions, one share, random order`)
  console.table(await benchCompletions(dir, completions))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
