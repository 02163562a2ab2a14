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
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { flushPageCache, sha256Path, writeRandomFile, writeRandomFiles } from './content.js'
import { findLibtorrent, LIBTORRENT_PEER, LIBTORRENT_PYTHON } from './libtorrent-install.js'
import { buildPeers, PeerProcess, type PeerScripts } from './peer-process.js'
import { installWebTorrent } from './webtorrent-install.js'

const MiB = 1024 * 1024
const KiB = 1024
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
/** Case 1: the file's size. */
const FIRST_BYTES = env('MYCEL_FEEL_FIRST_BYTES', 256 * MiB)
/** Case 2: how many files, and the size of each. */
const SMALL_FILES = env('MYCEL_FEEL_FILES', 10_000)
const SMALL_FILE_BYTES = env('MYCEL_FEEL_FILE_BYTES', 16 * KiB)
/** Case 3: how many shares, the size of each, and which are fetched back (every n-th). */
const SHARES = env('MYCEL_FEEL_SHARES', 200)
const SHARE_BYTES = env('MYCEL_FEEL_SHARE_BYTES', 64 * KiB)
const SAMPLE_EVERY = env('MYCEL_FEEL_SAMPLE_EVERY', 20)
/** Case 4: the file's size and the seeders. */
const SWARM_BYTES = env('MYCEL_FEEL_SWARM_BYTES', 256 * MiB)
const SEEDERS = env('MYCEL_FEEL_SEEDERS', 4)
/** Which cases run: `first`, `dht`, `small`, `shares`, `seeders` (default all). */
const CASES = (process.env.MYCEL_FEEL_ONLY ?? 'first,dht,small,shares,seeders').split(',').map((c) => c.trim())
/** Which implementations run: `mycel`, `webtorrent`, `libtorrent` (default all; libtorrent where installed). */
const ENGINES = (process.env.MYCEL_FEEL_ENGINES ?? 'mycel,webtorrent,libtorrent').split(',').map((e) => e.trim())
const TIMEOUT_MS = 300_000
/** The issue's target for small files and many shares: at least this multiple of WebTorrent. */
const TARGET_WEBTORRENT = 2

interface Exit {
  cpuSeconds: number
  systemSeconds: number
  peakRssMiB: number
  peakAnonMiB: number
}
interface SeedReady {
  hashSeconds: number
  hashCpuSeconds: number
  /** The piece length the seeder chose, and the pieces of the share. */
  pieceLength?: number
  pieceCount?: number
  magnet?: string
  addresses?: string[]
  port?: number
}
interface ManyReady {
  hashSeconds: number
  hashCpuSeconds: number
  /** Seconds from the process's start, by its own clock. */
  sinceStart: number
  rssMiB: number
  magnets?: string[]
  torrents?: string[]
  addresses?: string[]
  port?: number
}
interface FirstPiece {
  /** From `go`. */
  seconds: number
  /** From the process's start, by its own clock. */
  sinceStart: number
}
interface Done {
  seconds: number
  cpuSeconds: number
  bytes: number
  path: string
  /** The downloaded file or folder (the multi-file torrents of the references). */
  root?: string
  paths?: string[]
}
interface Stopped {
  served: { uploaded: number; cpuSeconds?: number }
  exit: Exit
}

/** How one implementation is run: the arguments of each role of its peer script. */
interface Engine {
  name: string
  script: string
  interpreter?: string
  seed(dir: string, path: string, index: number): string[]
  leech(dir: string, link: string): string[]
  /** What a leecher is started from: the seeder's magnet link. */
  link(ready: SeedReady): string
  /** The seeder's address, as the leecher's `go` gives it. */
  address(ready: SeedReady | ManyReady): string[]
  seedMany(dir: string, folder: string): string[]
  leechMany(dir: string, linksFile: string): string[]
  /** What the leecher of many shares is given for each: a magnet link (mycel), a torrent file (the others). */
  manyLinks(ready: ManyReady): string[]
  /** Where the leecher's copy is. */
  copy(done: Done): string
}

const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '-')
const loadAverage = (): string =>
  loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met')
const withBootstrap = (args: string[], bootstrap: string | undefined): string[] =>
  bootstrap === undefined ? args : [...args, '--bootstrap', bootstrap]

/** Asks a peer to stop and collects its last two reports. */
async function stop(peer: PeerProcess): Promise<Stopped> {
  peer.send({ command: 'stop' })
  const served = await peer.next<Stopped['served']>('served', TIMEOUT_MS)
  const exit = await peer.next<Exit>('exit', TIMEOUT_MS)
  await peer.exited
  return { served, exit }
}

function engines(scripts: PeerScripts, webtorrentDir: string, libtorrent: boolean): Engine[] {
  const all: Record<string, Engine | undefined> = {
    mycel: {
      name: 'mycel',
      script: scripts.mycel,
      seed: (dir, path, index) => ['seed', join(dir, `seeder-${index}`), path],
      leech: (dir, link) => ['leech', join(dir, 'leecher'), join(dir, 'downloads'), link],
      link: (ready) => ready.magnet as string,
      address: (ready) => ready.addresses ?? [],
      seedMany: (dir, folder) => ['seed-many', join(dir, 'seeder'), folder],
      leechMany: (dir, linksFile) => ['leech-many', join(dir, 'leecher'), join(dir, 'downloads'), linksFile],
      manyLinks: (ready) => ready.magnets ?? [],
      copy: (done) => done.path,
    },
    webtorrent: {
      name: 'WebTorrent',
      script: scripts.webtorrent,
      seed: (dir, path, index) => [webtorrentDir, 'seed', path, join(dir, `share-${index}.torrent`)],
      leech: (dir, link) => [webtorrentDir, 'leech', join(dir, 'downloads'), link],
      link: (ready) => ready.magnet as string,
      address: (ready) => [`127.0.0.1:${ready.port}`],
      seedMany: (dir, folder) => [webtorrentDir, 'seed-many', folder, torrentDir(dir)],
      leechMany: (dir, linksFile) => [webtorrentDir, 'leech-many', join(dir, 'downloads'), linksFile],
      manyLinks: (ready) => ready.torrents ?? [],
      copy: (done) => done.root ?? done.path,
    },
    libtorrent: libtorrent
      ? {
          name: 'libtorrent',
          script: LIBTORRENT_PEER,
          interpreter: LIBTORRENT_PYTHON,
          seed: (dir, path, index) => ['seed', path, join(dir, `share-${index}.torrent`)],
          leech: (dir, link) => ['leech', downloadDir(dir), link],
          link: (ready) => ready.magnet as string,
          address: (ready) => [`127.0.0.1:${ready.port}`],
          seedMany: (dir, folder) => ['seed-many', folder, torrentDir(dir)],
          leechMany: (dir, linksFile) => ['leech-many', downloadDir(dir), linksFile],
          manyLinks: (ready) => ready.torrents ?? [],
          copy: (done) => done.root ?? done.path,
        }
      : undefined,
  }
  return ENGINES.map((name) => all[name]).filter((engine): engine is Engine => engine !== undefined)
}

/** The download folder of a libtorrent leecher, made beforehand (libtorrent does not make its save path). */
function downloadDir(dir: string): string {
  const path = join(dir, 'downloads')
  mkdirSync(path, { recursive: true })
  return path
}

function torrentDir(dir: string): string {
  const path = join(dir, 'torrents')
  mkdirSync(path, { recursive: true })
  return path
}

/** One transfer: seeders started (and announced to the DHT when there is one), then a leecher. */
interface Transfer {
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

async function transfer(
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

function row(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 12) : cell.padStart(widths[i] ?? 12))).join(' ')
}

function verdict(results: Transfer[], sourceDigest: string): void {
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
function ratios(results: { engine: Engine }[], label: string, figure: (result: never) => number): void {
  const mycel = results.find((result) => result.engine.name === 'mycel')
  if (mycel === undefined) return
  const parts = results
    .filter((result) => result !== mycel)
    .map((result) => `${result.engine.name} ${fixed(figure(result as never) / figure(mycel as never))}x`)
  if (parts.length > 0) console.log(`${label}, reference / mycel (above 1: mycel less): ${parts.join(', ')}`)
}

/** Case 1: go to first verified piece, with the seeder's address (`bootstrap` off) or through a local DHT. */
async function firstPiece(list: Engine[], scripts: PeerScripts, root: string, viaDht: boolean): Promise<void> {
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

/** Prints each side's hashing, CPU and memory. */
function printSides(results: Transfer[], bytes: number): void {
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
function target(results: { engine: Engine }[], label: string, figure: (result: never) => number): void {
  const mycel = results.find((result) => result.engine.name === 'mycel')
  const webtorrent = results.find((result) => result.engine.name === 'WebTorrent')
  if (mycel === undefined || webtorrent === undefined) return
  const ratio = figure(webtorrent as never) / figure(mycel as never)
  console.log(
    `${label}: WebTorrent / mycel = ${fixed(ratio)}x (target >= ${TARGET_WEBTORRENT}x: ${met(ratio >= TARGET_WEBTORRENT)})`,
  )
}

/** Case 2: one share of many small files. */
async function smallFiles(list: Engine[], root: string): Promise<void> {
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

interface ManyResult {
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
async function manyShares(list: Engine[], root: string): Promise<void> {
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
  ratios(results, 'seeder RSS once all are served', (result: ManyResult) => result.ready.rssMiB)
  ratios(results, 'fetch of the sample', (result: ManyResult) => result.done.seconds)
  target(results, 'many shares, start-up until all are served', (result: ManyResult) => result.startSeconds)
  target(results, 'many shares, seeder peak RSS', (result: ManyResult) => result.seeder.exit.peakRssMiB)
  rmSync(source, { recursive: true })
}

/** Case 4: several seeders, one leecher. */
async function manySeeders(list: Engine[], root: string): Promise<void> {
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
