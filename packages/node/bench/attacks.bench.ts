/**
 * Attack benchmark of `@mycel/node` (issue 16, "Hostile peers"): each attack
 * in turn against a real seeder process with default limits, while an honest
 * leecher process downloads from it, beside a baseline with no attack
 * measured in the same run.
 *
 * 0. baseline: no attack (run again at the end, to show how the machine's
 *    load moved the figures meanwhile).
 * 1. meta-get flood: a member of the swarm that sends 4,000 `meta-get`s
 *    reading nothing, and reconnects whenever it is cut off, until 2 MiB of
 *    requests are sent and for as long as the download runs.
 * 2. sybils: 200 fresh identities from one IP that send `hello` and then
 *    nothing, connected before the download and held during it.
 * 3. half-open handshakes: 4,000 connections from one IP that send the
 *    first Noise message and then nothing, held during the download.
 * 4. decoder depth: 20 messages of 1 MiB of nested msgpack arrays, each over
 *    its own Noise connection (from 20 hosts), sent as the download starts.
 *
 * The attacker runs in this process and plays other hosts: it binds
 * 127.0.0.2 (for the depth flood, 127.0.10.2 to 127.0.29.2: 20 hosts in 20
 * networks, so that no per-address limit stops it); the seeder and the
 * leecher are on 127.0.0.1. Printed per run: the seeder's peak RSS (VmHWM) and the
 * leecher's completion time, next to the baseline, and what the attacker saw.
 *
 * Run: `npm run bench:attacks -w @mycel/node` (also part of `npm run bench`).
 * `MYCEL_BENCH_ATTACK_BYTES` sets the file size (default 64 MiB).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeMessage } from '@mycel/wire'
import { bundleBenchScripts } from '../../../scripts/bundle-bench.js'
import { floodMetaGets, HalfOpenFlood, SybilSwarm, sendNestedArrays } from '../test/attack-peers.js'
import { writeRandomFile } from './content.js'
import { PeerProcess } from './peer-process.js'

const MiB = 1024 * 1024
const BYTES = Number(process.env.MYCEL_BENCH_ATTACK_BYTES ?? 64 * MiB)
const ATTACKER = '127.0.0.2'
const PHASE_TIMEOUT_MS = 60_000
/** How long the leecher may take; the baseline takes a few seconds on a busy 2-core machine. */
const DOWNLOAD_TIMEOUT_MS = 40_000
const META_GET_BYTES = 2 * MiB
const SYBILS = 200
const HALF_OPEN = 4000
const NESTED_MESSAGES = 20

interface Ready {
  magnet?: string
  addresses?: string[]
}
interface Done {
  seconds: number
}
interface Exit {
  peakRssMiB: number
}

/** One run: the attack started before the download, stopped after it. */
interface Attack {
  name: string
  /** Starts the attack on the seeder at `address`; returns what stops it and tells what it did. */
  start(address: string, infohash: Uint8Array): Promise<{ stop(): Promise<string> }>
}

interface RunResult {
  name: string
  seederPeakMiB: number
  leecherSeconds: number
  attacker: string
}

/** No attack: run first (the reference) and again last (how much the machine's load moved meanwhile). */
const noAttack = (name: string): Attack => ({ name, start: async () => ({ stop: async () => '' }) })

const attacks: Attack[] = [
  noAttack('none (baseline)'),
  {
    name: `meta-get flood (${META_GET_BYTES / MiB} MiB of requests, not read)`,
    start: async (address, infohash) => {
      const requestBytes = encodeMessage({ type: 'meta-get', id: 4000, infohash, offset: 0 }).length
      const total = Math.ceil(META_GET_BYTES / requestBytes)
      let sent = 0
      let connections = 0
      let running = true
      // At least 2 MiB of requests, and more as long as the download runs: each time the seeder cuts
      // a connection off, the attacker opens another.
      const loop = (async () => {
        while (running || sent < total) {
          connections++
          const peer = await floodMetaGets(address, ATTACKER, infohash, { count: 4000, join: true })
          sent += Math.max(1, peer.written)
          // Reading again (after the flood) lets the attacker see that the seeder closed the connection.
          peer.connection?.resume()
          await Promise.race([peer.connection?.closed, new Promise((resolve) => setTimeout(resolve, 2000))])
          await peer.close()
        }
      })()
      return {
        stop: async () => {
          running = false
          await loop
          return `${sent} meta-gets (${((sent * requestBytes) / MiB).toFixed(1)} MiB) over ${connections} connections`
        },
      }
    },
  },
  {
    name: `sybils (${SYBILS} identities from one IP, hello then nothing)`,
    start: async (address) => {
      const sybils = await SybilSwarm.connect(address, ATTACKER, SYBILS)
      return {
        stop: async () => {
          const open = sybils.open
          await sybils.close()
          return `${sybils.admitted} admitted, ${sybils.refused} refused, ${open} still open at the end`
        },
      }
    },
  },
  {
    name: `half-open handshakes (${HALF_OPEN} from one IP)`,
    start: async (address) => {
      const flood = await HalfOpenFlood.open(address, ATTACKER, HALF_OPEN)
      return {
        stop: async () => {
          const { answered, closedByNode, failed } = flood.result
          await flood.close()
          return `${answered} answered, ${closedByNode} closed by the seeder, ${failed} failed to connect`
        },
      }
    },
  },
  {
    name: `decoder depth (${NESTED_MESSAGES} x 1 MiB of nested arrays)`,
    start: async (address) => {
      const started = performance.now()
      const sends = Array.from({ length: NESTED_MESSAGES }, (_, i) =>
        sendNestedArrays(address, `127.0.${10 + i}.2`, MiB).then(
          () => performance.now() - started,
          () => Number.NaN,
        ),
      )
      return {
        stop: async () => {
          const times = await Promise.all(sends)
          const rejected = times.filter((time) => !Number.isNaN(time))
          return `${rejected.length} rejected, the last after ${(Math.max(0, ...rejected) / 1000).toFixed(1)} s`
        },
      }
    },
  },
  noAttack('none (baseline again, after the attacks)'),
]

async function run(scripts: { mycel: string }, root: string, source: string, attack: Attack): Promise<RunResult> {
  const dir = mkdtempSync(join(root, 'run-'))
  const seeder = new PeerProcess('seeder', scripts.mycel, ['seed', join(dir, 'seeder'), source])
  const ready = await seeder.next<Ready>('ready', PHASE_TIMEOUT_MS)
  const address = (ready.addresses ?? [])[0] as string
  const magnet = ready.magnet as string
  const infohash = Uint8Array.from(Buffer.from(/urn:btmh:1220([0-9a-f]{64})/.exec(magnet)?.[1] as string, 'hex'))
  const leecher = new PeerProcess('leecher', scripts.mycel, [
    'leech',
    join(dir, 'leecher'),
    join(dir, 'downloads'),
    magnet,
  ])
  await leecher.next('ready', PHASE_TIMEOUT_MS)
  const running = await attack.start(address, infohash)
  leecher.send({ command: 'go', peers: [address] })
  // A leecher that does not complete is a result too (it dials its one peer once: a handshake that
  // timed out while the seeder was stalled leaves it with none).
  const done = await leecher.next<Done>('done', DOWNLOAD_TIMEOUT_MS).catch(() => undefined)
  const attacker = await running.stop()
  seeder.send({ command: 'stop' })
  const seederExit = await seeder.next<Exit>('exit', PHASE_TIMEOUT_MS)
  if (done !== undefined) {
    leecher.send({ command: 'stop' })
    await leecher.next<Exit>('exit', PHASE_TIMEOUT_MS)
  }
  await PeerProcess.killAll()
  rmSync(dir, { recursive: true, force: true })
  return {
    name: attack.name,
    seederPeakMiB: seederExit.peakRssMiB,
    leecherSeconds: done?.seconds ?? Number.NaN,
    attacker,
  }
}

function loadAverage(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')
}

async function main(): Promise<void> {
  console.log(
    `@mycel/node attack bench: Node ${process.version}, ${cpus().length} cores, load average ${loadAverage()} at start`,
  )
  console.log(
    `seeder and leecher: mycel peer processes on 127.0.0.1 (default limits, SQLite state), ${BYTES / MiB} MiB file; attacker: this process, from ${ATTACKER}`,
  )
  const root = mkdtempSync(join(tmpdir(), 'mycel-bench-attacks-'))
  const packageDir = fileURLToPath(new URL('..', import.meta.url))
  let remove: (() => void) | undefined
  const cleanUp = (): void => {
    void PeerProcess.killAll()
    rmSync(root, { recursive: true, force: true })
    remove?.()
  }
  process.once('exit', cleanUp)
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanUp()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
  try {
    const bundle = await bundleBenchScripts(packageDir, ['bench/mycel-peer.ts'])
    remove = bundle.remove
    const scripts = { mycel: bundle.scripts['mycel-peer'] as string }
    const source = join(root, 'source.bin')
    await writeRandomFile(source, BYTES)
    const results: RunResult[] = []
    for (const attack of attacks) {
      const result = await run(scripts, root, source, attack)
      results.push(result)
      console.log(`  done: ${attack.name}`)
    }
    const baseline = results[0] as RunResult
    const columns = (cells: string[]): string =>
      [
        (cells[0] as string).padEnd(58),
        ...cells.slice(1, 5).map((cell) => cell.padStart(11)),
        `  ${cells[5] as string}`,
      ].join(' ')
    console.log('')
    console.log(columns(['attack', 'seeder RSS', 'x baseline', 'leecher', 'x baseline', 'attacker saw']))
    for (const result of results) {
      console.log(
        columns([
          result.name,
          `${result.seederPeakMiB.toFixed(0)} MiB`,
          `x${(result.seederPeakMiB / baseline.seederPeakMiB).toFixed(2)}`,
          Number.isNaN(result.leecherSeconds) ? 'not done' : `${result.leecherSeconds.toFixed(2)} s`,
          Number.isNaN(result.leecherSeconds)
            ? `> ${DOWNLOAD_TIMEOUT_MS / 1000} s`
            : `x${(result.leecherSeconds / baseline.leecherSeconds).toFixed(2)}`,
          result.attacker,
        ]),
      )
    }
    console.log(
      '(seeder RSS: peak resident memory of the seeder process, VmHWM; leecher: seconds from go to every piece verified)',
    )
    console.log(`\nload average at end: ${loadAverage()}`)
  } finally {
    await PeerProcess.killAll()
    cleanUp()
  }
}

await main()
