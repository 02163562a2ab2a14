/** Case 4 of the feel bench: several seeders, one leecher. */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { flushPageCache, sha256Path, writeRandomFile } from '../content.js'
import type { Engine } from './engines.js'
import { fixed, loadAverage, printSides, ratios, verdict } from './report.js'
import { MiB, SEEDERS, SWARM_BYTES } from './settings.js'
import { type Transfer, transfer } from './transfer.js'

/** Case 4: several seeders, one leecher. */
export async function manySeeders(list: Engine[], root: string): Promise<void> {
  const source = join(root, `swarm-${SWARM_BYTES}.bin`)
  await writeRandomFile(source, SWARM_BYTES)
  const sourceDigest = await sha256Path(source)
  flushPageCache()
  console.log(
    `\n4. ${SEEDERS} seeders -> 1 leecher, ${fixed(SWARM_BYTES / MiB, 0)} MiB, magnet link with every seeder's address (load ${loadAverage()})`,
  )
  const results: Transfer[] = []
  for (const engine of list) results.push(await transfer(engine, root, source, { seeders: SEEDERS }))
  printSides(results, SWARM_BYTES)
  verdict(results, sourceDigest)
  ratios(results, 'leecher time', (result: Transfer) => result.done.seconds)
  ratios(results, 'leecher CPU of the transfer', (result: Transfer) => result.done.cpuSeconds)
  rmSync(source)
}
