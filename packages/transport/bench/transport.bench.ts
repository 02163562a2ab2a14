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
 * Each case runs MYCEL_BENCH_ROUNDS times (default 3), the cases taking turns,
 * and the median run is reported: this machine's speed drifts by tens of
 * percent over minutes, and taking turns lets the drift hit every case alike.
 *
 * Run: npm run bench -w @mycel/transport   (MYCEL_BENCH_BYTES to change the size)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect as connectTcp, type Socket } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { connect as connectTls } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { Identity } from '../src/index.js'
import { secure } from '../src/node.js'
import { tcpTransport } from '../src/tcp.js'

const TOTAL = Number(process.env.MYCEL_BENCH_BYTES ?? 1024 ** 3)
const CHUNK = 64 * 1024 // raw, TLS and ByteStream writes
const HANDSHAKES = Number(process.env.MYCEL_BENCH_HANDSHAKES ?? 2000)
const MiB = 1024 * 1024
const peerPath = fileURLToPath(new URL('./peer.ts', import.meta.url))
const payload = crypto.getRandomValues(new Uint8Array(CHUNK))

interface Peer {
  port: number
  done: Promise<{ cpu: number; handshakes?: number }>
  child: ChildProcess
}

async function startPeer(mode: string, certDir = ''): Promise<Peer> {
  const child = spawn(process.execPath, ['--import', 'tsx', peerPath, mode, String(TOTAL), certDir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]()
  const first = await lines.next()
  const { port } = JSON.parse(first.value as string) as { port: number }
  const done = lines.next().then((line) => JSON.parse(line.value as string) as { cpu: number; handshakes?: number })
  return { port, done, child }
}

interface Result {
  seconds: number
  cpu: number
}

/** Runs `send` against a fresh peer of `mode`, timing until the peer's one-byte acknowledgement. */
async function measure(mode: string, send: (port: number) => Promise<void>, certDir?: string): Promise<Result> {
  const peer = await startPeer(mode, certDir)
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  await send(peer.port)
  const seconds = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpuStart)
  const remote = await peer.done
  return { seconds, cpu: (cpu.user + cpu.system) / 1e6 + remote.cpu }
}

/** Writes TOTAL bytes to a Node socket with backpressure and waits for the acknowledgement byte. */
function pumpSocket(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.once('data', () => {
      socket.destroy()
      resolve()
    })
    let sent = 0
    const write = (): void => {
      while (sent < TOTAL) {
        sent += CHUNK
        if (!socket.write(payload)) {
          socket.once('drain', write)
          return
        }
      }
    }
    write()
  })
}

function raw(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ port, host: '127.0.0.1', noDelay: true }, () =>
      pumpSocket(socket).then(resolve, reject),
    )
  })
}

/** TLS 1.3 with OpenSSL's default suite (AES-256-GCM, AES-NI here) or the one named. */
const tls =
  (ciphersuites?: string) =>
  (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connectTls(
        { port, host: '127.0.0.1', rejectUnauthorized: false, minVersion: 'TLSv1.3', ciphers: ciphersuites },
        () => pumpSocket(socket).then(resolve, reject),
      )
    })

async function byteStream(port: number): Promise<void> {
  const tcp = tcpTransport()
  const stream = await tcp.dial(`tcp://127.0.0.1:${port}`)
  await new Promise<void>((resolve) => {
    let sent = 0
    const write = (): void => {
      while (sent < TOTAL) {
        sent += CHUNK
        if (!stream.write(payload)) return
      }
    }
    stream.start({ onData: () => resolve(), onEnd: () => {}, onDrain: write, onClose: () => {} })
    write()
  })
  await tcp.close()
}

/** Sends TOTAL bytes as application messages of `size` bytes through the secure channel. */
const secureChannel =
  (size: number) =>
  async (port: number): Promise<void> => {
    const tcp = tcpTransport()
    const conn = await secure(await tcp.dial(`tcp://127.0.0.1:${port}`), Identity.generate(), { initiator: true })
    const acknowledged = new Promise<void>((resolve) => conn.onMessage(() => resolve()))
    const message = payload.subarray(0, size)
    for (let sent = 0; sent < TOTAL; sent += size) {
      if (!conn.write(message)) await conn.drained()
    }
    await acknowledged
    await conn.close()
    await tcp.close()
  }

async function handshakes(): Promise<{ perSecond: number; cpuPerHandshake: number; seconds: number }> {
  const peer = await startPeer('handshakes')
  const tcp = tcpTransport()
  const identity = Identity.generate()
  const address = `tcp://127.0.0.1:${peer.port}`
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next++ < HANDSHAKES) {
      const conn = await secure(await tcp.dial(address), identity, { initiator: true })
      await conn.close()
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  const seconds = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpuStart)
  peer.child.stdin?.end('done\n')
  const remote = await peer.done
  await tcp.close()
  return {
    perSecond: HANDSHAKES / seconds,
    cpuPerHandshake: ((cpu.user + cpu.system) / 1e6 + remote.cpu) / HANDSHAKES,
    seconds,
  }
}

/** Runs over the same bytes, measured in rounds so that a slow spell of the machine hits every case alike. */
const ROUNDS = Number(process.env.MYCEL_BENCH_ROUNDS ?? 3)

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
    const only = process.env.MYCEL_BENCH_ONLY
    const hs = only === undefined ? await handshakes() : { perSecond: 0, seconds: 0, cpuPerHandshake: 0 }
    if (only === undefined)
      console.log(
        `(a) handshakes                      ${hs.perSecond.toFixed(0).padStart(6)} /s     (${HANDSHAKES} in ${hs.seconds.toFixed(2)} s, 8 at a time, CPU ${(hs.cpuPerHandshake * 1000).toFixed(2)} ms each)`,
      )
    const cases: Array<[string, () => Promise<Result>]> = [
      ['(b) secure channel, 16 KiB messages', () => measure('secure', secureChannel(16 * 1024))],
      ['    secure channel, 64 KiB messages', () => measure('secure', secureChannel(64 * 1024))],
      ['(c) raw TCP socket', () => measure('raw', raw)],
      ['(d) node:tls, TLS 1.3 (AES-256-GCM)', () => measure('tls', tls(), certDir)],
      ['    node:tls, TLS 1.3 ChaCha20-Poly1305', () => measure('tls', tls('TLS_CHACHA20_POLY1305_SHA256'), certDir)],
      ['(e) tcp transport ByteStream', () => measure('stream', byteStream)],
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
  } finally {
    rmSync(certDir, { recursive: true, force: true })
  }
}

await main()
