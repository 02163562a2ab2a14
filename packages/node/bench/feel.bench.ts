/**
 * What users feel, against WebTorrent and libtorrent in the same run: real
 * processes over loopback, every copy's SHA-256 compared with the source.
 *
 * 1. Time from starting a download (a magnet link) to its first verified
 *    piece, 256 MiB file: (a) the seeder's address given; (b) through a
 *    local DHT only (a mycel DHT node on 127.0.0.1, the one bootstrap node).
 * 2. A share of 10,000 files of 16 KiB: hashing, transfer, memory.
 * 3. 200 shares of 64 KiB seeded by one process: start-up time until all are
 *    served, memory, and every 20th fetched back by a leecher.
 * 4. 4 seeders to 1 leecher, 256 MiB: the leecher's MiB/s and CPU.
 *
 * Run: `npm run bench:feel -w @mycel/node` (sizes and cases: see README.md).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { engines } from './feel/engines.js'
import { firstPiece } from './feel/first-piece.js'
import { manySeeders } from './feel/many-seeders.js'
import { manyShares } from './feel/many-shares.js'
import { loadAverage } from './feel/report.js'
import { CASES } from './feel/settings.js'
import { smallFiles } from './feel/small-files.js'
import { findLibtorrent } from './libtorrent-install.js'
import { buildPeers, PeerProcess, type PeerScripts } from './peer-process.js'
import { installWebTorrent } from './webtorrent-install.js'

async function main(): Promise<void> {
  console.log(
    `@mycel/node feel bench: Node ${process.version}, ${cpus().length} cores, load average ${loadAverage()} at start`,
  )
  const root = mkdtempSync(join(tmpdir(), 'mycel-bench-feel-'))
  let scripts: PeerScripts | undefined
  // Synchronous, so that it also runs from an 'exit' or signal handler: children get SIGKILL at once.
  const cleanUp = (): void => {
    void PeerProcess.killAll()
    rmSync(root, { recursive: true, force: true })
    scripts?.remove()
  }
  process.once('exit', cleanUp)
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanUp()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
  try {
    scripts = await buildPeers()
    const webtorrent = await installWebTorrent()
    const libtorrent = await findLibtorrent()
    console.log(
      'mycel: bundled from src/, plain node, default SQLite state, tcp://127.0.0.1, Noise on the wire; ' +
        `WebTorrent ${webtorrent.version} (tracker, lsd, utp, webSeeds, NAT off); ` +
        (libtorrent.available
          ? `libtorrent ${libtorrent.version} (v2 torrents, high_performance_seed, TCP only, encryption off, lsd/upnp/natpmp off)`
          : `libtorrent: not measured in this run: ${libtorrent.reason}`),
    )
    console.log('DHT off in every case but 1b; every download starts from a magnet link unless said otherwise')
    const list = engines(scripts, webtorrent.dir, libtorrent.available)
    if (CASES.includes('first')) await firstPiece(list, scripts, root, false)
    if (CASES.includes('dht')) await firstPiece(list, scripts, root, true)
    if (CASES.includes('small')) await smallFiles(list, root)
    if (CASES.includes('shares')) await manyShares(list, root)
    if (CASES.includes('seeders')) await manySeeders(list, root)
    console.log(`\nload average at end: ${loadAverage()}`)
  } finally {
    await PeerProcess.killAll()
    cleanUp()
  }
}

await main()
