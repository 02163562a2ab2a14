/**
 * Private against public shares of the same file, in one run: ingest
 * (public: hashed in place; private: read, encrypted and hashed, in worker
 * threads when a core is idle, nothing of the ciphertext written) and
 * transfer between two processes over loopback TCP (public: download;
 * private: the seeder encrypts what it serves from the plaintext, the
 * leecher decrypts each verified piece into the destination). The target of
 * issue 20: private costs at most 15% more than public. CPU seconds are
 * printed beside the times: on a shared machine they move less than wall
 * times do.
 *
 * ```sh
 * npx tsx packages/node/bench/private.bench.ts                          # 1 GiB
 * MYCEL_BENCH_BYTES=268435456 npx tsx packages/node/bench/private.bench.ts   # 256 MiB
 * MYCEL_BENCH_ROUNDS=2 ...                                               # rounds, public and private taking turns
 * ```
 *
 * Each round runs public then private with fresh processes and folders;
 * the figures are the best of the rounds (the machine is shared). Every copy
 * is compared with the source (SHA-256).
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleBenchScripts } from '../../../scripts/bundle-bench.js'
import { sha256File, writeRandomFile } from './content.js'
import { PeerProcess } from './peer-process.js'

const BYTES = Number(process.env.MYCEL_BENCH_BYTES ?? 1024 ** 3)
const ROUNDS = Number(process.env.MYCEL_BENCH_ROUNDS ?? 1)
const MiB = 1024 * 1024
const TIMEOUT_MS = 30 * 60_000

interface Figures {
  ingestSeconds: number
  ingestCpuSeconds: number
  transferSeconds: number
  transferCpuSeconds: number
  seederCpuSeconds: number
  /** The leecher's garbage collection over its whole life (pause time, major collections). */
  leecherGcSeconds: number
  leecherMajorGcs: number
}

async function once(script: string, work: string, source: string, mode: 'public' | 'private'): Promise<Figures> {
  const dir = await mkdtemp(join(work, `${mode}-`))
  const seeder = new PeerProcess(`${mode} seeder`, script, ['seed', join(dir, 'seeder'), source, mode])
  const ready = await seeder.next<{
    link: string
    addresses: string[]
    ingestSeconds: number
    ingestCpuSeconds: number
  }>('ready', TIMEOUT_MS)
  const out = join(dir, 'out')
  await mkdir(out)
  const leecher = new PeerProcess(`${mode} leecher`, script, ['leech', join(dir, 'leecher'), out, ready.link, mode])
  await leecher.next('ready', TIMEOUT_MS)
  leecher.send({ command: 'go', peers: ready.addresses })
  const done = await leecher.next<{ seconds: number; cpuSeconds: number; path: string }>('done', TIMEOUT_MS)
  if (mode === 'private') {
    const ciphertext = await leecher.next<{ seconds: number }>('ciphertext', TIMEOUT_MS)
    console.log(
      `  (private: the ciphertext was complete after ${ciphertext.seconds.toFixed(2)} s of ${done.seconds.toFixed(2)} s)`,
    )
  }
  const [copy] = await readdir(out)
  if ((await sha256File(join(out, copy as string))) !== (await sha256File(source))) {
    throw new Error(`${mode}: the copy differs from the source`)
  }
  leecher.send({ command: 'stop' })
  seeder.send({ command: 'stop' })
  const served = await seeder.next<{ cpuSeconds: number }>('served', TIMEOUT_MS)
  const leecherUsage = await leecher.next<{ gc: { seconds: number; majorCount: number } }>('exit', TIMEOUT_MS)
  await Promise.all([leecher.exited, seeder.exited])
  await rm(dir, { recursive: true, force: true })
  return {
    ingestSeconds: ready.ingestSeconds,
    ingestCpuSeconds: ready.ingestCpuSeconds,
    transferSeconds: done.seconds,
    transferCpuSeconds: done.cpuSeconds,
    seederCpuSeconds: served.cpuSeconds,
    leecherGcSeconds: leecherUsage.gc.seconds,
    leecherMajorGcs: leecherUsage.gc.majorCount,
  }
}

function best(runs: Figures[]): Figures {
  return {
    ingestSeconds: Math.min(...runs.map((r) => r.ingestSeconds)),
    ingestCpuSeconds: Math.min(...runs.map((r) => r.ingestCpuSeconds)),
    transferSeconds: Math.min(...runs.map((r) => r.transferSeconds)),
    transferCpuSeconds: Math.min(...runs.map((r) => r.transferCpuSeconds)),
    seederCpuSeconds: Math.min(...runs.map((r) => r.seederCpuSeconds)),
    leecherGcSeconds: Math.min(...runs.map((r) => r.leecherGcSeconds)),
    leecherMajorGcs: Math.min(...runs.map((r) => r.leecherMajorGcs)),
  }
}

function line(label: string, f: Figures): string {
  const rate = (seconds: number) => `${(BYTES / MiB / seconds).toFixed(0).padStart(5)} MiB/s`
  return `${label.padEnd(8)} ingest ${rate(f.ingestSeconds)} (${f.ingestSeconds.toFixed(2)} s, cpu ${f.ingestCpuSeconds.toFixed(2)} s)   transfer ${rate(f.transferSeconds)} (${f.transferSeconds.toFixed(2)} s, leecher cpu ${f.transferCpuSeconds.toFixed(2)} s, seeder ${f.seederCpuSeconds.toFixed(2)} s; leecher gc ${f.leecherGcSeconds.toFixed(2)} s, ${f.leecherMajorGcs} major)`
}

async function main(): Promise<void> {
  const packageDir = fileURLToPath(new URL('..', import.meta.url))
  const bundle = await bundleBenchScripts(packageDir, ['bench/private-peer.ts'])
  const script = bundle.scripts['private-peer'] as string
  const work = await mkdtemp(join(tmpdir(), 'mycel-private-bench-'))
  try {
    const source = join(work, 'source.bin')
    await writeRandomFile(source, BYTES)
    console.log(
      `private vs public share of ${(BYTES / MiB).toFixed(0)} MiB, ${ROUNDS} round(s); load ${loadavg()[0]?.toFixed(2)}`,
    )
    const runs = { public: [] as Figures[], private: [] as Figures[] }
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['public', 'private'] as const) runs[mode].push(await once(script, work, source, mode))
    }
    const pub = best(runs.public)
    const priv = best(runs.private)
    console.log(line('public', pub))
    console.log(line('private', priv))
    const extra = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(0)}%`
    console.log(
      `private costs  ingest +${extra(pub.ingestSeconds, priv.ingestSeconds)}, transfer +${extra(pub.transferSeconds, priv.transferSeconds)} (target: at most +15%); load ${loadavg()[0]?.toFixed(2)}`,
    )
  } finally {
    await PeerProcess.killAll()
    bundle.remove()
    await rm(work, { recursive: true, force: true })
  }
}

await main()
