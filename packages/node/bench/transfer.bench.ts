/**
 * Transfer benchmark of `@mycel/node`: real processes over loopback TCP.
 *
 * 1. A mycel seeder and a mycel leecher (two processes) transfer one file,
 *    1 GiB by default: Noise-encrypted, every piece verified against the
 *    file's SHA-256 Merkle tree and written to disk.
 * 2. Two WebTorrent clients transfer the same file in the same run.
 *    WebTorrent is installed here at bench time, into a folder outside the
 *    workspaces (see `webtorrent-install.ts`). Then two libtorrent peers
 *    (the native engine, Debian's `python3-libtorrent`, a v2 torrent so
 *    SHA-256 verification too, plaintext, `high_performance_seed`), when it
 *    is installed or this is root with apt-get (`libtorrent-install.ts`).
 * 3. One mycel seeder and 8 mycel leechers (9 processes) share a quarter of
 *    that size (256 MiB by default). Each leecher is given only the seeder's
 *    address; the leechers find each other through PEX.
 *
 * Prints MiB/s, CPU seconds and peak RSS of every process, the seeders'
 * hashing apart, the SHA-256 of every copy, and the targets of the issue.
 *
 * Run: `npm run bench -w @mycel/node`
 * (`MYCEL_BENCH_BYTES` sets the size of runs 1-2, run 3 takes a quarter;
 * `MYCEL_BENCH_LEECHERS` sets the leechers of run 3, `MYCEL_BENCH_ONLY=pair|swarm`
 * runs only 1-2 or only 3.)
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { flushPageCache, pageCacheWriteSeconds, sha256File, writeRandomFile } from './content.js'
import { findLibtorrent, LIBTORRENT_PEER, LIBTORRENT_PYTHON, type LibtorrentInstall } from './libtorrent-install.js'
import { buildPeers, PeerProcess, type PeerScripts } from './peer-process.js'
import { installWebTorrent } from './webtorrent-install.js'

const MiB = 1024 * 1024
const BYTES = Number(process.env.MYCEL_BENCH_BYTES ?? 1024 * MiB)
const SWARM_BYTES = Math.max(1, Math.floor(BYTES / 4))
const LEECHERS = Number(process.env.MYCEL_BENCH_LEECHERS ?? 8)
/** `pair` runs only 1-2, `swarm` only 3. */
const ONLY = process.env.MYCEL_BENCH_ONLY
/** Which pairs run 1-2 measures, in this order: `mycel` (the node, bundled), `cli` (the built `mycel` command), `cli-verify` (with `get --verify`), `webtorrent`, `libtorrent`. */
const PAIRS = (process.env.MYCEL_BENCH_PAIRS ?? 'mycel,cli,webtorrent,libtorrent').split(',').map((pair) => pair.trim())
const TIMEOUT_MS = 300_000
const TARGET_RATIO = 1.5
/** Against libtorrent: at least this share of its MiB/s, at most this multiple of its CPU per GiB. */
const TARGET_LIBTORRENT_RATE = 0.8
const TARGET_LIBTORRENT_CPU = 1.5
const TARGET_RSS_MIB = 150

interface SeedReady {
  hashSeconds: number
  hashCpuSeconds: number
  pieceLength: number
  pieceCount: number
  magnet?: string
  addresses?: string[]
  port?: number
}
interface Done {
  seconds: number
  cpuSeconds: number
  bytes: number
  path: string
  /** Distinct peers connected during the download. */
  peers: number
  wireEncryption?: (number | null)[]
}
interface Served {
  uploaded: number
  cpuSeconds?: number
}
interface Exit {
  cpuSeconds: number
  systemSeconds: number
  peakRssMiB: number
  /** Peak anonymous resident memory (not mapped file pages: libtorrent 2 reads and writes files through mmap). */
  peakAnonMiB: number
  /** Page faults the kernel served without disk I/O (fresh memory, page cache), whole process. */
  minorPageFaults: number
  /** Garbage collections of the whole process (hashing included): count, major ones, pause seconds. */
  gc: { count: number; majorCount: number; seconds: number }
}

/** How to run one implementation's seeder and leecher. */
interface Implementation {
  name: string
  script: string
  /** Runs the script (default: Node). */
  interpreter?: string
  seedArgs(dir: string, file: string): string[]
  leechArgs(dir: string, ready: SeedReady): string[]
  peers(ready: SeedReady): string[]
}

interface PairResult {
  name: string
  ready: SeedReady
  done: Done
  seeder: { served: Served; exit: Exit }
  leecher: { exit: Exit }
  digest: string
}

const fixed = (value: number, digits = 2): string => value.toFixed(digits)
const loadAverage = (): string =>
  loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')

/** Asks a peer to stop and collects its last two reports. */
async function stop(peer: PeerProcess): Promise<{ served: Served; exit: Exit }> {
  peer.send({ command: 'stop' })
  const served = await peer.next<Served>('served', TIMEOUT_MS)
  const exit = await peer.next<Exit>('exit', TIMEOUT_MS)
  await peer.exited
  return { served, exit }
}

async function runPair(implementation: Implementation, root: string, file: string): Promise<PairResult> {
  const dir = mkdtempSync(join(root, `${implementation.name}-`))
  const { name, script, interpreter } = implementation
  const seederProcess = new PeerProcess(`${name} seeder`, script, implementation.seedArgs(dir, file), interpreter)
  const ready = await seederProcess.next<SeedReady>('ready', TIMEOUT_MS)
  const leecherProcess = new PeerProcess(`${name} leecher`, script, implementation.leechArgs(dir, ready), interpreter)
  await leecherProcess.next('ready', TIMEOUT_MS)
  leecherProcess.send({ command: 'go', peers: implementation.peers(ready) })
  const done = await leecherProcess.next<Done>('done', TIMEOUT_MS)
  const [seeder, leecher] = await Promise.all([stop(seederProcess), stop(leecherProcess)])
  const digest = await sha256File(done.path)
  rmSync(dir, { recursive: true, force: true })
  flushPageCache()
  return { name, ready, done, seeder, leecher, digest }
}

interface SwarmResult {
  seconds: number
  ready: SeedReady
  seeder: { served: Served; exit: Exit }
  leechers: { done: Done; served: Served; exit: Exit; digest: string }[]
}

async function runSwarm(scripts: PeerScripts, root: string, file: string): Promise<SwarmResult> {
  const dir = mkdtempSync(join(root, 'swarm-'))
  const seederProcess = new PeerProcess('swarm seeder', scripts.mycel, ['seed', join(dir, 'seeder'), file])
  const ready = await seederProcess.next<SeedReady>('ready', TIMEOUT_MS)
  const leecherProcesses = Array.from(
    { length: LEECHERS },
    (_, i) =>
      new PeerProcess(`swarm leecher ${i + 1}`, scripts.mycel, [
        'leech',
        join(dir, `leecher-${i + 1}`),
        join(dir, `downloads-${i + 1}`),
        ready.magnet as string,
      ]),
  )
  await Promise.all(leecherProcesses.map((peer) => peer.next('ready', TIMEOUT_MS)))
  const start = performance.now()
  for (const peer of leecherProcesses) peer.send({ command: 'go', peers: ready.addresses ?? [] })
  const dones = await Promise.all(leecherProcesses.map((peer) => peer.next<Done>('done', TIMEOUT_MS)))
  const seconds = (performance.now() - start) / 1000
  const [seeder, ...stopped] = await Promise.all([seederProcess, ...leecherProcesses].map(stop))
  const leechers = []
  for (const [i, done] of dones.entries()) {
    leechers.push({ done, ...(stopped[i] as { served: Served; exit: Exit }), digest: await sha256File(done.path) })
  }
  rmSync(dir, { recursive: true, force: true })
  flushPageCache()
  return { seconds, ready, seeder: seeder as { served: Served; exit: Exit }, leechers }
}

/** A process's CPU seconds in all, with the system part in brackets. */
const cpuAll = (exit: Exit): string => `${fixed(exit.cpuSeconds)} (${fixed(exit.systemSeconds)})`

function row(cells: string[]): string {
  const widths = [20, 8, 10, 22, 10, 16, 12]
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 10) : cell.padStart(widths[i] ?? 10))).join(' ')
}

function printPair(result: PairResult, bytes: number): void {
  const { ready, done, seeder, leecher, name } = result
  const hashing = `${fixed(ready.hashSeconds)} s, CPU ${fixed(ready.hashCpuSeconds)} s`
  console.log(
    row([
      `${name} seeder`,
      '',
      '',
      hashing,
      fixed(seeder.served.cpuSeconds ?? Number.NaN),
      cpuAll(seeder.exit),
      fixed(seeder.exit.peakRssMiB, 1),
    ]),
  )
  console.log(
    row([
      `${name} leecher`,
      fixed(bytes / MiB / done.seconds, 1),
      fixed(done.seconds),
      '',
      fixed(done.cpuSeconds),
      cpuAll(leecher.exit),
      fixed(leecher.exit.peakRssMiB, 1),
    ]),
  )
}

/** Prints runs 1-2 (and libtorrent's when it ran): mycel first, then each reference, and the ratios. */
function printPairs(results: PairResult[], bytes: number, sourceDigest: string): void {
  console.log(
    row(['process', 'MiB/s', 'transfer s', 'hashing (seeder)', 'CPU s xfer', 'CPU s all (sys)', 'peak RSS MiB']),
  )
  for (const result of results) printPair(result, bytes)
  for (const { name, ready, digest } of results) {
    const verdict = digest === sourceDigest ? 'equals the source' : `DIFFERS from the source ${sourceDigest}`
    console.log(
      `${name.padEnd(10)} pieces ${ready.pieceCount} x ${ready.pieceLength / 1024} KiB; copy SHA-256 ${digest} ${verdict}`,
    )
  }
  const each = (text: (exit: Exit) => string): string =>
    results
      .map((result) => `${result.name} seeder ${text(result.seeder.exit)}, leecher ${text(result.leecher.exit)}`)
      .join('; ')
  console.log(
    `garbage collection, whole process: ${each((exit) => `${exit.gc.count} (${exit.gc.majorCount} major) ${fixed(exit.gc.seconds)} s`)}`,
  )
  console.log(`minor page faults, whole process: ${each((exit) => `${fixed(exit.minorPageFaults / 1000, 1)}k`)}`)
  console.log(
    `peak anonymous memory (RssAnon, no mapped files): ${each((exit) => `${fixed(exit.peakAnonMiB, 1)} MiB`)}`,
  )
  const webtorrent = results.find((result) => result.name === 'WebTorrent')
  const libtorrent = results.find((result) => result.name === 'libtorrent')
  if (webtorrent !== undefined) {
    console.log(
      `WebTorrent wire: MSE crypto_select ${JSON.stringify(webtorrent.done.wireEncryption ?? [])} (1 = plaintext after the MSE handshake, 2 = RC4); libtorrent: encryption off; mycel: Noise ChaCha20-Poly1305`,
    )
  }
  const rate = (result: PairResult): number => bytes / MiB / result.done.seconds
  const cpuPerGiB = (result: PairResult): number =>
    ((result.done.cpuSeconds + (result.seeder.served.cpuSeconds ?? 0)) * 1024 * MiB) / bytes
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met')
  for (const ours of results.filter((result) => result !== webtorrent && result !== libtorrent)) {
    if (webtorrent !== undefined) {
      const ratio = rate(ours) / rate(webtorrent)
      console.log(
        `throughput ${ours.name} / WebTorrent = ${fixed(ratio)}x (target >= ${TARGET_RATIO}x: ${met(ratio >= TARGET_RATIO)})`,
      )
    }
    if (libtorrent !== undefined) {
      const ratio = rate(ours) / rate(libtorrent)
      const cpu = cpuPerGiB(ours) / cpuPerGiB(libtorrent)
      console.log(
        `throughput ${ours.name} / libtorrent = ${fixed(ratio)}x (target >= ${TARGET_LIBTORRENT_RATE}x: ${met(ratio >= TARGET_LIBTORRENT_RATE)}); ` +
          `CPU per GiB ${ours.name} / libtorrent = ${fixed(cpu)}x (target <= ${TARGET_LIBTORRENT_CPU}x: ${met(cpu <= TARGET_LIBTORRENT_CPU)})`,
      )
    }
  }
  const mycel = results.find((result) => result.name === 'mycel')
  if (mycel !== undefined) {
    const peakRss = Math.max(mycel.seeder.exit.peakRssMiB, mycel.leecher.exit.peakRssMiB)
    console.log(
      `peak RSS of each mycel process: seeder ${fixed(mycel.seeder.exit.peakRssMiB, 1)} MiB, leecher ${fixed(mycel.leecher.exit.peakRssMiB, 1)} MiB (target < ${TARGET_RSS_MIB} MiB: ${met(peakRss < TARGET_RSS_MIB)})`,
    )
  }
  console.log(
    `CPU of the transfer (seeder + leecher) per GiB: ${results.map((result) => `${result.name} ${fixed(cpuPerGiB(result))} s`).join(', ')}`,
  )
}

function printSwarm(result: SwarmResult, bytes: number, sourceDigest: string): void {
  console.log(
    row(['process', 'MiB/s', 'transfer s', 'peers, uploaded', 'CPU s xfer', 'CPU s all (sys)', 'peak RSS MiB']),
  )
  const { seeder, leechers } = result
  console.log(
    row([
      'seeder',
      '',
      '',
      `uploaded ${fixed(seeder.served.uploaded / MiB, 0)} MiB`,
      fixed(seeder.served.cpuSeconds ?? Number.NaN),
      cpuAll(seeder.exit),
      fixed(seeder.exit.peakRssMiB, 1),
    ]),
  )
  for (const [i, { done, served, exit, digest }] of leechers.entries()) {
    console.log(
      row([
        `leecher ${i + 1}${digest === sourceDigest ? '' : ' BAD COPY'}`,
        fixed(bytes / MiB / done.seconds, 1),
        fixed(done.seconds),
        `${done.peers}, uploaded ${fixed(served.uploaded / MiB, 0)} MiB`,
        fixed(done.cpuSeconds),
        cpuAll(exit),
        fixed(exit.peakRssMiB, 1),
      ]),
    )
  }
  const good = leechers.filter((leecher) => leecher.digest === sourceDigest).length
  const uploadedByLeechers = leechers.reduce((total, leecher) => total + leecher.served.uploaded, 0)
  console.log(
    `total time until all ${leechers.length} leechers completed: ${fixed(result.seconds)} s ` +
      `(${fixed((leechers.length * bytes) / MiB / result.seconds, 1)} MiB/s delivered in all); ` +
      `${good}/${leechers.length} copies' SHA-256 equal the source; ` +
      `the seeder uploaded ${fixed(seeder.served.uploaded / bytes)}x the file, the leechers ${fixed(uploadedByLeechers / bytes)}x`,
  )
  const peakRss = Math.max(seeder.exit.peakRssMiB, ...leechers.map((leecher) => leecher.exit.peakRssMiB))
  console.log(`largest peak RSS of the ${leechers.length + 1} mycel processes: ${fixed(peakRss, 1)} MiB`)
}

async function main(): Promise<void> {
  console.log(
    `@mycel/node transfer bench: Node ${process.version}, ${cpus().length} cores, load average ${loadAverage()} at start`,
  )
  const root = mkdtempSync(join(tmpdir(), 'mycel-bench-node-'))
  let scripts: PeerScripts | undefined
  // Synchronous, so that it also runs from an 'exit' handler or a signal
  // handler whose parent (npm) may be gone: children get SIGKILL at once.
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
    console.log(
      `mycel peers: bundled from src/ with esbuild, run with plain node; default SQLite state; dht off; tcp://127.0.0.1`,
    )
    console.log(
      `WebTorrent ${webtorrent.version} in ${webtorrent.dir} (${webtorrent.installSeconds > 0 ? `installed in ${fixed(webtorrent.installSeconds, 1)} s` : 'reused'}); dht, tracker, lsd, utp, webSeeds, NAT off; peer added by address`,
    )
    const libtorrent = await findLibtorrent()
    console.log(
      libtorrent.available
        ? `libtorrent ${libtorrent.version} (${LIBTORRENT_PYTHON}, ${libtorrent.installSeconds > 0 ? `installed from Debian in ${fixed(libtorrent.installSeconds, 1)} s` : 'python3-libtorrent'}); v2 torrent, high_performance_seed, TCP only, encryption off, dht/lsd/upnp/natpmp off`
        : `libtorrent: not measured in this run: ${libtorrent.reason}`,
    )
    if (ONLY !== 'swarm') await pairs(scripts, webtorrent.dir, libtorrent, root)
    if (ONLY !== 'pair') await swarm(scripts, root)
    console.log(`\nload average at end: ${loadAverage()}`)
  } finally {
    await PeerProcess.killAll()
    cleanUp()
  }
}

/** Runs 1 and 2: the same file, mycel, WebTorrent, then libtorrent where it is available. */
async function pairs(
  scripts: PeerScripts,
  webtorrentDir: string,
  libtorrent: LibtorrentInstall,
  root: string,
): Promise<void> {
  const source = join(root, `source-${BYTES}.bin`)
  await writeRandomFile(source, BYTES)
  const sourceDigest = await sha256File(source)
  flushPageCache()
  const cliBin = PAIRS.some((pair) => pair.startsWith('cli')) ? buildCli() : ''
  const cli = (name: string, flags: string[]): Implementation => ({
    name,
    script: scripts.cli,
    seedArgs: (dir, file) => ['seed', cliBin, USAGE_PRELOAD, join(dir, 'seeder'), file],
    leechArgs: (dir, ready) => [
      'leech',
      cliBin,
      USAGE_PRELOAD,
      join(dir, 'leecher'),
      join(dir, 'downloads'),
      ready.magnet as string,
      ...flags,
    ],
    peers: (ready) => ready.addresses ?? [],
  })
  const implementations: Record<string, Implementation | undefined> = {
    mycel: {
      name: 'mycel',
      script: scripts.mycel,
      seedArgs: (dir, file) => ['seed', join(dir, 'seeder'), file],
      leechArgs: (dir, ready) => ['leech', join(dir, 'leecher'), join(dir, 'downloads'), ready.magnet as string],
      peers: (ready) => ready.addresses ?? [],
    },
    cli: cli('mycel CLI', []),
    'cli-verify': cli('CLI --verify', ['--verify']),
    webtorrent: {
      name: 'WebTorrent',
      script: scripts.webtorrent,
      seedArgs: (dir, file) => [webtorrentDir, 'seed', file, join(dir, 'share.torrent')],
      leechArgs: (dir) => [webtorrentDir, 'leech', join(dir, 'downloads'), join(dir, 'share.torrent')],
      peers: (ready) => [`127.0.0.1:${ready.port}`],
    },
    libtorrent: libtorrent.available
      ? {
          name: 'libtorrent',
          script: LIBTORRENT_PEER,
          interpreter: LIBTORRENT_PYTHON,
          seedArgs: (dir, file) => ['seed', file, join(dir, 'share.torrent')],
          leechArgs: (dir) => {
            const downloads = join(dir, 'downloads')
            mkdirSync(downloads, { recursive: true })
            return ['leech', downloads, join(dir, 'share.torrent')]
          },
          peers: (ready) => [`127.0.0.1:${ready.port}`],
        }
      : undefined,
  }
  console.log(`\n1 seeder -> 1 leecher, ${fixed(BYTES / MiB, 0)} MiB, two processes each (load ${loadAverage()})`)
  const results: PairResult[] = []
  for (const pair of PAIRS) {
    const implementation = implementations[pair]
    if (implementation === undefined) continue // unknown, or libtorrent where it is missing (said above)
    results.push(await runPair(implementation, root, source))
    console.log(`(load ${loadAverage()} after ${implementation.name})`)
  }
  printPairs(results, BYTES, sourceDigest)
  rmSync(source)
  await printPageCacheCost(root)
}

/** Loaded into the CLI processes to report their own CPU and memory. */
const USAGE_PRELOAD = fileURLToPath(new URL('usage-preload.cjs', import.meta.url))

/** Builds the `mycel` CLI as users get it (turbo, tsup), and returns its `bin.js`. */
function buildCli(): string {
  const repository = fileURLToPath(new URL('../../..', import.meta.url))
  execFileSync('npx', ['turbo', 'run', 'build', '--filter=@mycel/cli...', '--output-logs=errors-only'], {
    cwd: repository,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return join(repository, 'examples', 'cli', 'dist', 'bin.js')
}

/**
 * What the kernel charges for storing the bytes, measured without any
 * client: writing the same size into a new file right after a file was
 * deleted (the kernel reuses its pages), and again after 15 s of rest. On a
 * virtual machine whose host takes back memory the guest leaves free, the
 * second costs several times the first.
 */
async function printPageCacheCost(root: string): Promise<void> {
  const path = join(root, 'page-cache-probe.bin')
  const warm = pageCacheWriteSeconds(path, BYTES)
  await new Promise((resolve) => setTimeout(resolve, 15_000))
  const cold = pageCacheWriteSeconds(path, BYTES)
  console.log(
    `kernel, no client: writing ${fixed(BYTES / MiB, 0)} MiB into a new file took ${fixed(warm)} s of system CPU right after ` +
      `a file was deleted, ${fixed(cold)} s after 15 s of rest; each leecher pays this to store its copy`,
  )
}

/** Runs 3: one mycel seeder, LEECHERS mycel leechers. */
async function swarm(scripts: PeerScripts, root: string): Promise<void> {
  const source = join(root, `swarm-${SWARM_BYTES}.bin`)
  await writeRandomFile(source, SWARM_BYTES)
  const sourceDigest = await sha256File(source)
  flushPageCache()
  console.log(
    `\n1 mycel seeder -> ${LEECHERS} mycel leechers, ${fixed(SWARM_BYTES / MiB, 0)} MiB, ${LEECHERS + 1} processes; ` +
      `each leecher is given the seeder's address only, PEX finds the others (load ${loadAverage()})`,
  )
  printSwarm(await runSwarm(scripts, root, source), SWARM_BYTES, sourceDigest)
  rmSync(source)
}

await main()
