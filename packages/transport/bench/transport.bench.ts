/**
 * Transport benchmark: two processes over loopback TCP.
 *
 * (a) secure-channel handshakes per second; (b) 1 GiB through the secure
 * channel (node:crypto provider); (c) the same bytes over a raw TCP socket;
 * (d) the same over node:tls, TLS 1.3, with a self-signed certificate made
 * here; (e) the same through the tcp transport's ByteStream, to show what
 * the byte-stream contract costs next to (c). Prints MiB/s, the ratios b/c
 * and b/d, and the CPU seconds of both processes.
 *
 * Every case runs between two child processes, a receiver (`peer.ts`) and a
 * sender (`sender.ts`), bundled from the sources with esbuild and run with
 * plain `node`, as an application runs the built package: under the tsx
 * loader a process carries the loader's modules and transform cache, and
 * the larger heap makes V8 start full (mark-compact) collections that a
 * process of the built code does not (docs/decisions.md, Benchmarks). This
 * orchestrator only starts them and reads their figures; the bundles go
 * under `node_modules/.cache` and are removed at the end.
 *
 * Each case runs MYCEL_BENCH_ROUNDS times (default 5), the cases taking turns,
 * and the median run is reported: this machine's speed drifts by tens of
 * percent over minutes, and taking turns lets the drift hit every case alike.
 *
 * Run: npm run bench -w @mycel/transport   (MYCEL_BENCH_BYTES to change the size)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { bundleBenchScripts } from '../../../scripts/bundle-bench.js'

const TOTAL = Number(process.env.MYCEL_BENCH_BYTES ?? 1024 ** 3)
const HANDSHAKES = Number(process.env.MYCEL_BENCH_HANDSHAKES ?? 2000)
const MiB = 1024 * 1024
const packageDir = fileURLToPath(new URL('..', import.meta.url))
/** Node flags for both child processes, e.g. `--cpu-prof` to profile them. */
const CHILD_FLAGS = (process.env.MYCEL_BENCH_CHILD_FLAGS ?? '').split(' ').filter((flag) => flag !== '')

interface Scripts {
  peer: string
  sender: string
  remove(): void
}

/** Bundles the two child scripts from the current sources. */
async function bundle(): Promise<Scripts> {
  const bundled = await bundleBenchScripts(packageDir, ['bench/peer.ts', 'bench/sender.ts'])
  return { peer: bundled.scripts.peer as string, sender: bundled.scripts.sender as string, remove: bundled.remove }
}

/** Starts a child with plain `node` and reads its JSON lines. */
interface Child {
  child: ChildProcess
  /** The next JSON line the child prints; rejects if it exits first. */
  next: () => Promise<unknown>
  /** Resolves when the child has exited. */
  exited: Promise<void>
}

function startChild(script: string, args: string[]): Child {
  const child = spawn(process.execPath, [...CHILD_FLAGS, script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const next = async (): Promise<unknown> => {
    const line = await Promise.race([
      lines.next(),
      exited.then(() => Promise.reject(new Error(`${script} exited before reporting`))),
    ])
    return JSON.parse(line.value as string)
  }
  return { child, next, exited }
}

/** Waits up to 10 s for a child to exit on its own (writing a profile, if asked to), then kills it. */
async function reap(child: Child | undefined, failed: boolean): Promise<void> {
  if (child === undefined || child.child.exitCode !== null || child.child.signalCode !== null) return
  if (!failed) {
    const timer = setTimeout(() => child.child.kill('SIGKILL'), 10_000)
    await child.exited
    clearTimeout(timer)
    return
  }
  child.child.kill('SIGKILL')
  await child.exited
}

interface Result {
  seconds: number
  cpu: number
}

/** Runs one case: a receiver of `mode`, then a sender of `kind` against it. */
async function measure(scripts: Scripts, mode: string, kind: string, certDir = ''): Promise<Result> {
  const peer = startChild(scripts.peer, [mode, String(TOTAL), certDir])
  let sender: Child | undefined
  let failed = true
  try {
    const { port } = (await peer.next()) as { port: number }
    sender = startChild(scripts.sender, [kind, String(port), String(TOTAL), String(HANDSHAKES)])
    const sent = (await sender.next()) as Result
    if (mode === 'handshakes') peer.child.stdin?.end('done\n')
    const received = (await peer.next()) as { cpu: number }
    failed = false
    return { seconds: sent.seconds, cpu: sent.cpu + received.cpu }
  } finally {
    // After a failure neither may outlive the bench; after a success both end on their own.
    await Promise.all([reap(peer, failed), reap(sender, failed)])
  }
}

/** Runs over the same bytes, measured in rounds so that a slow spell of the machine hits every case alike. */
const ROUNDS = Number(process.env.MYCEL_BENCH_ROUNDS ?? 5)

/** The median run (by time) of a case, with every run's MiB/s for the range. */
function summarise(label: string, results: Result[]): { label: string; result: Result; text: string } {
  const mibs = (r: Result): number => TOTAL / MiB / r.seconds
  const byTime = [...results].sort((a, b) => a.seconds - b.seconds)
  const result = byTime[Math.floor(byTime.length / 2)] as Result
  const runs = results.map((r) => mibs(r).toFixed(0)).join(' / ')
  const text =
    `${label.padEnd(38)} ${mibs(result).toFixed(0).padStart(6)} MiB/s  ${result.seconds.toFixed(2).padStart(6)} s  ` +
    `CPU ${result.cpu.toFixed(2)} s (both processes)   runs ${runs}`
  return { label, result, text }
}

async function main(): Promise<void> {
  const certDir = mkdtempSync(join(tmpdir(), 'mycel-bench-'))
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        join(certDir, 'key.pem'),
        '-out',
        join(certDir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
    console.log(`transport bench: ${TOTAL / MiB} MiB per run, loopback TCP, two processes, node:crypto provider`)
    console.log(
      `machine: ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
    const scripts = await bundle()
    try {
      await runCases(scripts, certDir)
    } finally {
      scripts.remove()
    }
  } finally {
    rmSync(certDir, { recursive: true, force: true })
  }
}

async function runCases(scripts: Scripts, certDir: string): Promise<void> {
  if (process.env.MYCEL_BENCH_ONLY === undefined) {
    const hs = await measure(scripts, 'handshakes', 'handshakes')
    console.log(
      `(a) handshakes                      ${(HANDSHAKES / hs.seconds).toFixed(0).padStart(6)} /s     ` +
        `(${HANDSHAKES} in ${hs.seconds.toFixed(2)} s, 8 at a time, CPU ${((hs.cpu / HANDSHAKES) * 1000).toFixed(2)} ms each)`,
    )
  }
  const cases: Array<[string, () => Promise<Result>]> = [
    ['(b) secure channel, 16 KiB messages', () => measure(scripts, 'secure', 'secure-16k')],
    ['    secure channel, 64 KiB messages', () => measure(scripts, 'secure', 'secure-64k')],
    ['(c) raw TCP socket', () => measure(scripts, 'raw', 'raw')],
    ['(d) node:tls, TLS 1.3 (AES-256-GCM)', () => measure(scripts, 'tls', 'tls', certDir)],
    ['    node:tls, TLS 1.3 ChaCha20-Poly1305', () => measure(scripts, 'tls', 'tls-chacha', certDir)],
    ['(e) tcp transport ByteStream', () => measure(scripts, 'stream', 'stream')],
  ]
  const results = cases.map((): Result[] => [])
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, [, run]] of cases.entries()) (results[index] as Result[]).push(await run())
  }
  console.log(`median of ${ROUNDS} rounds, each round running every case once in turn`)
  const [b, , c, d, dChaCha, e] = cases.map(([label], index) => {
    const summary = summarise(label, results[index] as Result[])
    console.log(summary.text)
    return summary.result
  }) as Result[]
  const rate = (r: Result | undefined): number => TOTAL / (r as Result).seconds
  const ratios = (index: number, reference: number): string =>
    (results[index] as Result[])
      .map((r, round) => (rate(r) / rate((results[reference] as Result[])[round])).toFixed(2))
      .join(' / ')
  console.log(
    `b/c = ${(rate(b) / rate(c)).toFixed(2)}   b/d = ${(rate(b) / rate(d)).toFixed(2)} (target >= 0.60; per round ${ratios(0, 3)})   ` +
      `b/d(ChaCha) = ${(rate(b) / rate(dChaCha)).toFixed(2)}   e/c = ${(rate(e) / rate(c)).toFixed(2)} (cost of the ByteStream contract)`,
  )
}

await main()
