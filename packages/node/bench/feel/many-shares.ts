/** Case 3 of the feel bench: many shares seeded by one process. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { flushPageCache, sha256Path, writeRandomFiles } from '../content.js'
import { PeerProcess } from '../peer-process.js'
import { type Done, type Engine, type ManyReady, type Stopped, stop } from './engines.js'
import { fixed, loadAverage, ratios, row, target } from './report.js'
import { KiB, SAMPLE_EVERY, SHARE_BYTES, SHARES, TIMEOUT_MS } from './settings.js'

export interface ManyResult {
  engine: Engine
  ready: ManyReady
  /** From spawn to `ready` (every share served), by the orchestrator's clock. */
  startSeconds: number
  done: Done
  seeder: Stopped
  leecher: Stopped
  good: number
  sampled: number
}

/** Case 3: many shares in one seeder; a leecher fetches every n-th. */
export async function manyShares(list: Engine[], root: string): Promise<void> {
  const source = join(root, 'many-shares')
  await writeRandomFiles(source, SHARES, SHARE_BYTES)
  flushPageCache()
  const names = Array.from({ length: SHARES }, (_, i) => `${String(i).padStart(String(SHARES - 1).length, '0')}.bin`)
  const sample = names.map((_, i) => i).filter((i) => i % SAMPLE_EVERY === SAMPLE_EVERY - 1 || SAMPLE_EVERY === 1)
  const sourceDigests = new Map<number, string>()
  for (const i of sample) sourceDigests.set(i, await sha256Path(join(source, names[i] as string)))
  console.log(
    `\n3. ${SHARES} shares of ${fixed(SHARE_BYTES / KiB, 0)} KiB seeded by one process; then one leecher fetches every ${SAMPLE_EVERY}th (${sample.length}) at once (load ${loadAverage()})`,
  )
  const results: ManyResult[] = []
  for (const engine of list) {
    const dir = mkdtempSync(join(root, `${engine.name}-`))
    const spawned = performance.now()
    const seederProcess = new PeerProcess(
      `${engine.name} seeder`,
      engine.script,
      engine.seedMany(dir, source),
      engine.interpreter,
    )
    const ready = await seederProcess.next<ManyReady>('ready', TIMEOUT_MS)
    const startSeconds = (performance.now() - spawned) / 1000
    const links = engine.manyLinks(ready)
    const linksFile = join(dir, 'links.json')
    writeFileSync(linksFile, JSON.stringify(sample.map((i) => links[i])))
    const leecherProcess = new PeerProcess(
      `${engine.name} leecher`,
      engine.script,
      engine.leechMany(dir, linksFile),
      engine.interpreter,
    )
    await leecherProcess.next('ready', TIMEOUT_MS)
    leecherProcess.send({ command: 'go', peers: engine.address(ready) })
    const done = await leecherProcess.next<Done>('done', TIMEOUT_MS)
    const [leecher, seeder] = await Promise.all([leecherProcess, seederProcess].map(stop))
    let good = 0
    for (const [k, i] of sample.entries()) {
      const path = done.paths?.[k]
      if (path !== undefined && (await sha256Path(path)) === sourceDigests.get(i)) good++
    }
    rmSync(dir, { recursive: true, force: true })
    flushPageCache()
    results.push({
      engine,
      ready,
      startSeconds,
      done,
      seeder: seeder as Stopped,
      leecher: leecher as Stopped,
      good,
      sampled: sample.length,
    })
  }
  const widths = [12, 14, 12, 14, 12, 12, 12, 14, 16]
  console.log(
    row(
      [
        '',
        'start-up s',
        '(own clock)',
        'hash CPU s',
        'RSS ready',
        'seeder peak',
        'peak anon',
        'fetch s',
        'copies good',
      ],
      widths,
    ),
  )
  for (const result of results) {
    console.log(
      row(
        [
          result.engine.name,
          fixed(result.startSeconds),
          fixed(result.ready.sinceStart),
          fixed(result.ready.hashCpuSeconds),
          fixed(result.ready.rssMiB, 1),
          fixed(result.seeder.exit.peakRssMiB, 1),
          fixed(result.seeder.exit.peakAnonMiB, 1),
          fixed(result.done.seconds),
          `${result.good}/${result.sampled}${result.good === result.sampled ? '' : ' BAD'}`,
        ],
        widths,
      ),
    )
  }
  for (const { engine, ready } of results) {
    const { phases } = ready
    if (phases === undefined) continue
    const step = (name: string, at: { seconds: number; cpuSeconds: number; rssMiB: number }, from: typeof at) =>
      `${name} ${fixed(at.seconds - from.seconds)} s, ${fixed(at.cpuSeconds - from.cpuSeconds)} CPU-s, +${fixed(at.rssMiB - from.rssMiB, 1)} MiB`
    const start = { seconds: 0, cpuSeconds: 0, rssMiB: 0 }
    const end = {
      seconds: ready.sinceStart,
      cpuSeconds: phases.created.cpuSeconds + ready.hashCpuSeconds,
      rssMiB: ready.rssMiB,
    }
    console.log(
      `${engine.name} start-up by its own clock: ${step('process and modules', phases.loaded, start)}; ${step('createNode', phases.created, phases.loaded)}; ${step(`${SHARES} share() calls`, end, phases.created)}`,
    )
  }
  ratios(results, 'seeder RSS once all are served', (result: ManyResult) => result.ready.rssMiB)
  ratios(results, 'fetch of the sample', (result: ManyResult) => result.done.seconds)
  target(results, 'many shares, start-up until all are served', (result: ManyResult) => result.startSeconds)
  target(results, 'many shares, seeder peak RSS', (result: ManyResult) => result.seeder.exit.peakRssMiB)
  rmSync(source, { recursive: true })
}
