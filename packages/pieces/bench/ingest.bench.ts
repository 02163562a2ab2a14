/**
 * Ingest throughput and memory: hashes a 1 GiB file through the full Node
 * ingest path (`ingestFile`, node:crypto provider) and, in the same run,
 * times `openssl dgst -sha256` on the same file (both read it from the page
 * cache). Then measures `verifyPiece` over 1 GiB (the download hot path),
 * and streams 256 MiB and 4 GiB through the core `ingest` to show that
 * memory does not grow with the input.
 *
 * Each ingest runs in a fresh child process and reports its peak RSS
 * (`process.resourceUsage().maxRSS`); an idle child with the same loader and
 * imports is measured too, so the ingest's own share can be read off.
 *
 * Run: `npm run bench -w @mycel/pieces`.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { hash, randomBytes } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ingest, verifyPiece } from '../src/index.js'
import { ingestFile } from '../src/node.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

interface ChildResult {
  seconds: number
  bytes: number
  maxRssMiB: number
  startRssMiB: number
  infohash: string
}

async function child(mode: string, path: string): Promise<void> {
  const startRssMiB = process.memoryUsage.rss() / MiB
  const start = process.hrtime.bigint()
  let result: { infohash: Uint8Array; totalLength: number }
  if (mode === 'idle') {
    result = { infohash: new Uint8Array(32), totalLength: 0 }
  } else if (mode === 'file') {
    result = await ingestFile(path)
  } else {
    const size = Number(path)
    const chunk = new Uint8Array(MiB)
    async function* stream() {
      for (let at = 0; at < size; at += chunk.length) {
        chunk[0] = at / MiB // vary the content a little
        yield chunk
      }
    }
    result = await ingest([{ path: ['stream.bin'], content: stream(), length: size }], { name: 'stream.bin' })
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const out: ChildResult = {
    seconds,
    bytes: result.totalLength,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    startRssMiB,
    infohash: Buffer.from(result.infohash).toString('hex'),
  }
  console.log(JSON.stringify(out))
}

function runChild(mode: string, arg: string): ChildResult {
  const self = fileURLToPath(import.meta.url)
  const run = spawnSync(process.execPath, [...process.execArgv, self, '--child', mode, arg], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`)
  return JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as ChildResult
}

function openssl(path: string): number {
  const start = process.hrtime.bigint()
  execFileSync('openssl', ['dgst', '-sha256', path], { stdio: ['ignore', 'pipe', 'inherit'] })
  return Number(process.hrtime.bigint() - start) / 1e9
}

function writeTestFile(path: string, size: number): void {
  const block = randomBytes(64 * MiB)
  const fd = openSync(path, 'w')
  try {
    for (let written = 0; written < size; written += block.length) {
      block[0] = written / MiB
      writeSync(fd, block, 0, Math.min(block.length, size - written))
    }
  } finally {
    closeSync(fd)
  }
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** The download hot path: verifyPiece over 1 GiB of 1 MiB pieces, against raw SHA-256 of the same 16 KiB blocks. */
async function verifyBench(): Promise<void> {
  const data = randomBytes(64 * MiB)
  const manifest = await ingest([{ path: ['v.bin'], content: [data], length: data.length }], {
    name: 'v.bin',
    pieceLength: MiB,
  })
  const pieces = Array.from({ length: 64 }, (_, i) => data.subarray(i * MiB, (i + 1) * MiB))
  const timeIt = (fn: () => void) => {
    const start = process.hrtime.bigint()
    fn()
    return GiB / MiB / (Number(process.hrtime.bigint() - start) / 1e9)
  }
  const verify = timeIt(() => {
    for (let round = 0; round < 16; round++) {
      for (const [i, piece] of pieces.entries()) if (!verifyPiece(manifest, i, piece)) throw new Error('bad piece')
    }
  })
  const raw = timeIt(() => {
    for (let round = 0; round < 16; round++) {
      for (const piece of pieces) for (let at = 0; at < MiB; at += 16384) hash('sha256', piece.subarray(at, at + 16384))
    }
  })
  console.log(
    `verifyPiece, 1 GiB in 1 MiB pieces: ${verify.toFixed(0)} MiB/s; raw node:crypto SHA-256 of the same 16 KiB blocks: ` +
      `${raw.toFixed(0)} MiB/s (ratio ${(verify / raw).toFixed(2)})`,
  )
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mycel-bench-'))
  const file = join(dir, 'one-gib.bin')
  try {
    console.log(
      `@mycel/pieces ingest bench (Node ${process.version}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
    )
    writeTestFile(file, GiB)
    openssl(file) // warm the page cache: both sides then read from memory
    const rounds = 3
    const ingestRuns: ChildResult[] = []
    const opensslSeconds: number[] = []
    for (let round = 0; round < rounds; round++) {
      ingestRuns.push(runChild('file', file))
      opensslSeconds.push(openssl(file))
    }
    const ingestSeconds = median(ingestRuns.map((r) => r.seconds))
    const opensslMedian = median(opensslSeconds)
    const ingestRate = GiB / MiB / ingestSeconds
    const opensslRate = GiB / MiB / opensslMedian
    const peak = Math.max(...ingestRuns.map((r) => r.maxRssMiB))
    const idle = runChild('idle', '')
    console.table([
      {
        case: 'ingestFile 1 GiB (node:crypto)',
        'MiB/s (median of 3)': ingestRate.toFixed(0),
        runs: ingestRuns.map((r) => (GiB / MiB / r.seconds).toFixed(0)).join(' / '),
        'peak RSS MiB': peak.toFixed(1),
      },
      {
        case: 'openssl dgst -sha256 1 GiB',
        'MiB/s (median of 3)': opensslRate.toFixed(0),
        runs: opensslSeconds.map((s) => (GiB / MiB / s).toFixed(0)).join(' / '),
        'peak RSS MiB': '',
      },
    ])
    console.log(`ratio ingest/openssl: ${(ingestRate / opensslRate).toFixed(2)} (target >= 0.80)`)
    console.log(
      `peak RSS of the ingest process: ${peak.toFixed(1)} MiB (target < 100); the same process idle ` +
        `(Node + the tsx loader + the imports) peaks at ${idle.maxRssMiB.toFixed(1)} MiB, so the ingest adds ` +
        `${(peak - idle.maxRssMiB).toFixed(1)} MiB`,
    )
    const infohashes = new Set(ingestRuns.map((r) => r.infohash))
    if (infohashes.size !== 1) throw new Error('ingest runs disagree on the infohash')

    await verifyBench()

    const small = runChild('stream', String(256 * MiB))
    const large = runChild('stream', String(4 * GiB))
    console.log(
      `constant memory, streamed through the core ingest: peak RSS ${small.maxRssMiB.toFixed(1)} MiB for 256 MiB, ` +
        `${large.maxRssMiB.toFixed(1)} MiB for 4 GiB (${signed(large.maxRssMiB - small.maxRssMiB)} MiB for 16x the input; ` +
        `${(GiB / MiB / (large.seconds / 4)).toFixed(0)} MiB/s)`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const at = process.argv.indexOf('--child')
if (at >= 0) await child(process.argv[at + 1] as string, process.argv[at + 2] as string)
else await main()
