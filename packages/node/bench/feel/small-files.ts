/** Case 2 of the feel bench: one share of many small files. */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { flushPageCache, sha256Path, writeRandomFiles } from '../content.js'
import type { Engine } from './engines.js'
import { fixed, loadAverage, printSides, ratios, target, verdict } from './report.js'
import { KiB, MiB, SMALL_FILE_BYTES, SMALL_FILES } from './settings.js'
import { type Transfer, transfer } from './transfer.js'

/** Case 2: one share of many small files. */
export async function smallFiles(list: Engine[], root: string): Promise<void> {
  const source = join(root, 'small-files')
  await writeRandomFiles(source, SMALL_FILES, SMALL_FILE_BYTES)
  const sourceDigest = await sha256Path(source)
  const bytes = SMALL_FILES * SMALL_FILE_BYTES
  flushPageCache()
  console.log(
    `\n2. one share of ${SMALL_FILES} files of ${fixed(SMALL_FILE_BYTES / KiB, 0)} KiB (${fixed(bytes / MiB, 1)} MiB), magnet link with the seeder's address (load ${loadAverage()})`,
  )
  const results: Transfer[] = []
  for (const engine of list) results.push(await transfer(engine, root, source))
  printSides(results, bytes)
  verdict(results, sourceDigest)
  ratios(results, 'seeder hashing time', (result: Transfer) => result.seeders[0]?.ready.hashSeconds ?? Number.NaN)
  ratios(results, 'seeder hashing CPU', (result: Transfer) => result.seeders[0]?.ready.hashCpuSeconds ?? Number.NaN)
  ratios(results, 'leecher peak RSS', (result: Transfer) => result.leecher.exit.peakRssMiB)
  ratios(results, 'seeder peak RSS', (result: Transfer) => result.seeders[0]?.stopped.exit.peakRssMiB ?? Number.NaN)
  target(results, 'small files, transfer time', (result: Transfer) => result.done.seconds)
  target(
    results,
    'small files, seeder hashing time',
    (result: Transfer) => result.seeders[0]?.ready.hashSeconds ?? Number.NaN,
  )
  rmSync(source, { recursive: true })
}
