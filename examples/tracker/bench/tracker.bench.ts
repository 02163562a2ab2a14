/**
 * mycel-tracker against the `bittorrent-tracker` npm server, measured in the
 * same run by the same load generator. Each server runs in its own process
 * (with --expose-gc, to read its memory after a full collection), the load
 * generator in another.
 *
 * For each server: fill it with 100,000 peers over HTTP (1,000 swarms of
 * 100, a quarter seeders; the reference keeps at most 1,000 peers per swarm
 * by default), read its memory, then measure HTTP and UDP announces per
 * second of peers announcing again (numwant 50) for a few seconds.
 *
 *   npm run bench -w @mycel/tracker
 *   MYCEL_BENCH_SECONDS=15 MYCEL_BENCH_PEERS=200000 npm run bench -w @mycel/tracker
 */
import { type ChildProcess, execFile, fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { BITTORRENT_TRACKER_VERSION, installBittorrentTracker } from '../test/helpers/bittorrent-tracker.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const root = join(here, '../../..')
const PEERS = Number(process.env.MYCEL_BENCH_PEERS ?? 100_000)
const SWARMS = 1000
const SECONDS = Number(process.env.MYCEL_BENCH_SECONDS ?? 8)
const ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3']
const HTTP_CONNECTIONS = 48
const UDP_SOCKETS = 6
const UDP_WINDOW = 32

interface Memory {
  heapUsed: number
  external: number
  arrayBuffers: number
  rss: number
  peers: number
}

interface LoadResult {
  requests: number
  seconds: number
  perSecond: number
  failures: number
  topUps?: number
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function request<T>(child: ChildProcess, message: string, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: { type: string } & T) => {
      if (reply.type === 'error') reject(new Error(JSON.stringify(reply)))
      if (reply.type !== type) return
      child.off('message', onMessage)
      resolve(reply)
    }
    child.on('message', onMessage)
    if (message !== '') child.send(message)
  })
}

async function load(config: Record<string, unknown>): Promise<LoadResult> {
  const child = spawn(process.execPath, [join(here, 'load.mjs'), JSON.stringify(config)], {
    cwd: here,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`the load generator failed (${code})`)
  return JSON.parse(output.trim().split('\n').at(-1) as string) as LoadResult
}

interface Figures {
  name: string
  fill: LoadResult
  http: LoadResult
  udp: LoadResult
  before: Memory
  after: Memory
}

async function measure(name: string, script: string, args: string[]): Promise<Figures> {
  const server = fork(script, args, { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    const ready = await request<{ http: number; udp: number }>(server, '', 'ready')
    const before = await request<Memory>(server, 'measure', 'memory')
    const common = { peers: PEERS, swarms: SWARMS, addresses: ADDRESSES }
    const fill = await load({ ...common, mode: 'http-fill', port: ready.http, connections: HTTP_CONNECTIONS })
    const after = await request<Memory>(server, 'measure', 'memory')
    const http = await load({
      ...common,
      mode: 'http-rate',
      port: ready.http,
      connections: HTTP_CONNECTIONS,
      seconds: SECONDS,
    })
    const udp = await load({
      ...common,
      mode: 'udp-rate',
      port: ready.udp,
      sockets: UDP_SOCKETS,
      window: UDP_WINDOW,
      seconds: SECONDS,
    })
    return { name, fill, http, udp, before, after }
  } finally {
    server.send('stop')
    await Promise.race([once(server, 'exit'), new Promise((resolve) => setTimeout(resolve, 3000))])
    if (server.exitCode === null) server.kill('SIGKILL')
  }
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
const rate = (result: LoadResult) =>
  `${Math.round(result.perSecond).toLocaleString('en')}/s${result.failures > 0 ? ` (${result.failures} failed)` : ''}`

async function main(): Promise<void> {
  process.stdout.write('building mycel-tracker and installing the reference...\n')
  await promisify(execFile)(
    'flock',
    [
      join(tmpdir(), 'mycel-cli-test-build.lock'),
      'npx',
      'turbo',
      'run',
      'build',
      '--filter=@mycel/tracker...',
      '--output-logs=errors-only',
    ],
    { cwd: root },
  )
  const referenceDir = await installBittorrentTracker()
  const reference = join(referenceDir, 'node_modules', 'bittorrent-tracker', 'index.js')
  const results: Figures[] = []
  results.push(await measure('mycel-tracker', join(here, 'servers', 'mycel.mjs'), []))
  const [httpPort, udpPort] = [await freePort(), await freePort()]
  results.push(
    await measure(`bittorrent-tracker ${BITTORRENT_TRACKER_VERSION}`, join(here, 'servers', 'bittorrent-tracker.mjs'), [
      reference,
      String(httpPort),
      String(udpPort),
    ]),
  )
  process.stdout.write(
    `\n${PEERS.toLocaleString('en')} peers in ${SWARMS} swarms from ${ADDRESSES.length} loopback addresses; ` +
      `HTTP: ${HTTP_CONNECTIONS} keep-alive connections, one request in flight each; ` +
      `UDP: ${UDP_SOCKETS} sockets, ${UDP_WINDOW} requests in flight each; numwant 50; ${SECONDS} s per rate\n\n`,
  )
  const rows = results.map((r) => {
    const heap = r.after.heapUsed + r.after.external - (r.before.heapUsed + r.before.external)
    return {
      server: r.name,
      'peers held': r.after.peers.toLocaleString('en'),
      'HTTP fill': rate(r.fill),
      'HTTP announces': rate(r.http),
      'UDP announces': rate(r.udp),
      'heap per 100k peers': mib((heap * 100_000) / PEERS),
      'RSS per 100k peers': mib(((r.after.rss - r.before.rss) * 100_000) / PEERS),
    }
  })
  console.table(rows)
  const [mine, theirs] = results as [Figures, Figures]
  const heapOf = (r: Figures) => r.after.heapUsed + r.after.external - (r.before.heapUsed + r.before.external)
  process.stdout.write(
    `\nmycel-tracker / bittorrent-tracker: HTTP ${(mine.http.perSecond / theirs.http.perSecond).toFixed(2)}x, ` +
      `UDP ${(mine.udp.perSecond / theirs.udp.perSecond).toFixed(2)}x, ` +
      `memory ${(heapOf(mine) / heapOf(theirs)).toFixed(2)}x (target: HTTP at least 2x, memory at most 1x)\n`,
  )
}

await main()
