/** Case 1 of the feel bench: time to the first verified piece. */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { flushPageCache, sha256Path, writeRandomFile } from '../content.js'
import { PeerProcess, type PeerScripts } from '../peer-process.js'
import { type Engine, stop } from './engines.js'
import { fixed, loadAverage, ratios, row, verdict } from './report.js'
import { FIRST_BYTES, MiB, TIMEOUT_MS } from './settings.js'
import { type Transfer, transfer } from './transfer.js'

/** Case 1: go to first verified piece, with the seeder's address (`bootstrap` off) or through a local DHT. */
export async function firstPiece(list: Engine[], scripts: PeerScripts, root: string, viaDht: boolean): Promise<void> {
  const source = join(root, `first-${FIRST_BYTES}.bin`)
  await writeRandomFile(source, FIRST_BYTES)
  const sourceDigest = await sha256Path(source)
  flushPageCache()
  console.log(
    viaDht
      ? `\n1b. first verified piece through a local DHT only: ${fixed(FIRST_BYTES / MiB, 0)} MiB, magnet link without peers, a mycel DHT node on 127.0.0.1 the one bootstrap node of both sides (a fresh one per implementation) (load ${loadAverage()})`
      : `\n1a. first verified piece from a magnet link with the seeder's address: ${fixed(FIRST_BYTES / MiB, 0)} MiB, DHT off (load ${loadAverage()})`,
  )
  const results: Transfer[] = []
  for (const engine of list) {
    let dht: PeerProcess | undefined
    try {
      let bootstrap: { port: number; dht: PeerProcess } | undefined
      if (viaDht) {
        dht = new PeerProcess('DHT bootstrap node', scripts.mycel, ['dht'])
        const { port } = await dht.next<{ port: number }>('ready', TIMEOUT_MS)
        bootstrap = { port, dht }
      }
      results.push(await transfer(engine, root, source, bootstrap === undefined ? {} : { bootstrap }))
    } finally {
      if (dht !== undefined) await stop(dht)
    }
  }
  const widths = [12, 14, 16, 14, 12, 14, 10]
  console.log(
    row(
      [
        '',
        viaDht ? 'announced s' : 'seeder hash s',
        'go->1st piece s',
        'start->1st s',
        '(own clock)',
        'go->done s',
        'MiB/s',
      ],
      widths,
    ),
  )
  for (const result of results) {
    const seeder = result.seeders[0]
    console.log(
      row(
        [
          result.engine.name,
          fixed(viaDht ? (result.announceSeconds ?? Number.NaN) : (seeder?.ready.hashSeconds ?? Number.NaN)),
          fixed(result.first.seconds, 3),
          fixed(result.firstFromSpawn, 3),
          fixed(result.first.sinceStart, 3),
          fixed(result.done.seconds),
          fixed(FIRST_BYTES / MiB / result.done.seconds, 1),
        ],
        widths,
      ),
    )
  }
  const mycel = results.find((result) => result.firstEvent !== undefined)
  if (mycel !== undefined) {
    console.log(
      `mycel's first download 'progress' event that counts a verified piece came ${fixed(mycel.firstEvent ?? Number.NaN, 3)} s after go (the event is throttled; the table has the piece itself)`,
    )
  }
  verdict(results, sourceDigest)
  ratios(results, 'go -> first verified piece', (result: Transfer) => result.first.seconds)
  ratios(results, 'leecher process start -> first verified piece', (result: Transfer) => result.firstFromSpawn)
  rmSync(source)
}
