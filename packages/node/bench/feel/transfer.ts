/** One transfer of the feel bench: seeders started (and announced to the DHT when there is one), then a leecher. */
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { flushPageCache, sha256Path } from '../content.js'
import { PeerProcess } from '../peer-process.js'
import {
  type Done,
  type Engine,
  type FirstPiece,
  type SeedReady,
  type Stopped,
  stop,
  withBootstrap,
} from './engines.js'
import { TIMEOUT_MS } from './settings.js'

/** One transfer: seeders started (and announced to the DHT when there is one), then a leecher. */
export interface Transfer {
  engine: Engine
  seeders: { ready: SeedReady; stopped: Stopped }[]
  /** Seconds from the first seeder's `ready` until the DHT node held its announcement. */
  announceSeconds?: number
  first: FirstPiece
  /** mycel: from `go` to the first `progress` event that counted a verified piece (throttled to one per 250 ms). */
  firstEvent?: number
  /** From the leecher's spawn to its first-piece event, by the orchestrator's clock. */
  firstFromSpawn: number
  done: Done
  leecher: Stopped
  digest: string
}

export async function transfer(
  engine: Engine,
  root: string,
  source: string,
  options: { seeders?: number; bootstrap?: { port: number; dht: PeerProcess } } = {},
): Promise<Transfer> {
  const dir = mkdtempSync(join(root, `${engine.name}-`))
  const bootstrap = options.bootstrap === undefined ? undefined : `127.0.0.1:${options.bootstrap.port}`
  const seederProcesses = Array.from(
    { length: options.seeders ?? 1 },
    (_, i) =>
      new PeerProcess(
        `${engine.name} seeder ${i + 1}`,
        engine.script,
        withBootstrap(engine.seed(dir, source, i + 1), bootstrap),
        engine.interpreter,
      ),
  )
  const readies = await Promise.all(seederProcesses.map((peer) => peer.next<SeedReady>('ready', TIMEOUT_MS)))
  let announceSeconds: number | undefined
  if (options.bootstrap !== undefined) {
    const start = performance.now()
    await options.bootstrap.dht.next('stored', TIMEOUT_MS)
    announceSeconds = (performance.now() - start) / 1000
  }
  const ready = readies[0] as SeedReady
  const spawned = performance.now()
  const leecherProcess = new PeerProcess(
    `${engine.name} leecher`,
    engine.script,
    withBootstrap(engine.leech(dir, engine.link(ready)), bootstrap),
    engine.interpreter,
  )
  await leecherProcess.next('ready', TIMEOUT_MS)
  const peers = bootstrap === undefined ? readies.flatMap((each) => engine.address(each)) : []
  leecherProcess.send({ command: 'go', peers })
  const first = await leecherProcess.next<FirstPiece>('first-piece', TIMEOUT_MS)
  const firstFromSpawn = (performance.now() - spawned) / 1000
  const done = await leecherProcess.next<Done>('done', TIMEOUT_MS)
  // mycel's leecher also tells when its first throttled `progress` event counted a piece (sent before `done`).
  const firstEvent =
    engine.name === 'mycel'
      ? (await leecherProcess.next<{ seconds: number }>('first-piece-event', 1000)).seconds
      : undefined
  const [leecher, ...seeders] = await Promise.all([leecherProcess, ...seederProcesses].map(stop))
  const digest = await sha256Path(engine.copy(done))
  rmSync(dir, { recursive: true, force: true })
  flushPageCache()
  return {
    engine,
    seeders: seeders.map((stopped, i) => ({ ready: readies[i] as SeedReady, stopped })),
    ...(announceSeconds === undefined ? {} : { announceSeconds }),
    first,
    ...(firstEvent === undefined ? {} : { firstEvent }),
    firstFromSpawn,
    done,
    leecher: leecher as Stopped,
    digest,
  }
}
