/**
 * `npm run testnet`: a local mycel network in one command, on 127.0.0.1
 * only. Starts a DHT bootstrap node (`mycel dht`), a tracker
 * (`mycel-tracker`, open mode, SQLite) and N nodes, each a `mycel daemon`
 * with its own data folder joined to both; prints their web UI addresses
 * (the token in the fragment), API addresses and tokens; stops everything
 * and removes the temporary folder on Ctrl-C.
 *
 *   npm run testnet                     three nodes
 *   npm run testnet -- --nodes 5        five
 *   npm run testnet -- --json           one JSON line ({"event":"testnet",...}) instead of the table
 *
 * The root `testnet` script builds the CLI and the tracker first.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const MYCEL = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
const TRACKER = fileURLToPath(new URL('../../tracker/dist/bin.js', import.meta.url))
const STEP_TIMEOUT_MS = 60_000
const MAX_NODES = 32

const children: ChildProcess[] = []
let workDir: string | undefined
let stopping: Promise<void> | undefined

function readOptions(argv: readonly string[]): { nodes: number; json: boolean } {
  const at = argv.indexOf('--nodes')
  const nodes = at < 0 ? Number(process.env.MYCEL_TESTNET_NODES ?? 3) : Number(argv[at + 1])
  if (!Number.isSafeInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new Error(`--nodes must be a number from 1 to ${MAX_NODES}`)
  }
  return { nodes, json: argv.includes('--json') }
}

/** Starts a program in the background; resolves with its first stdout JSON line that `match` accepts. */
function start(
  program: string,
  args: string[],
  match: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${stderr}`)), STEP_TIMEOUT_MS)
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    lines.on('line', (text) => {
      try {
        const line = JSON.parse(text) as Record<string, unknown>
        if (!match(line)) return
        clearTimeout(timer)
        resolve(line)
      } catch {
        // not JSON
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (stopping === undefined) reject(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`))
    })
  })
}

/** Stops every child with SIGINT (as Ctrl-C would), waits for them, and removes the folder. Idempotent. */
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            const kill = setTimeout(() => child.kill('SIGKILL'), 20_000)
            child.once('exit', () => {
              clearTimeout(kill)
              resolve()
            })
            child.kill('SIGINT')
          }),
      ),
    )
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true })
  })()
  return stopping
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2))
  workDir = await mkdtemp(join(tmpdir(), 'mycel-testnet-'))
  const dir = workDir
  const dht = await start(
    MYCEL,
    ['dht', '--host', '127.0.0.1', '--port', '0', '--json'],
    (line) => line.event === 'listening',
  )
  const bootstrap = String(dht.address)
  const tracker = await start(
    TRACKER,
    [
      'serve',
      '--database',
      join(dir, 'tracker.db'),
      '--http',
      '127.0.0.1:0',
      '--udp',
      '127.0.0.1:0',
      '--json',
      '--quiet',
    ],
    (line) => Array.isArray(line.http),
  )
  const http = (tracker.http as { host: string; port: number }[])[0]
  const trackerUrl = http === undefined ? '' : `http://${http.host}:${http.port}/announce`
  const nodes = await Promise.all(
    Array.from({ length: options.nodes }, async (_, index) => {
      const dataDir = join(dir, `node-${index + 1}`)
      const started = await start(
        MYCEL,
        [
          '--data-dir',
          dataDir,
          '--host',
          '127.0.0.1',
          '--bootstrap',
          bootstrap,
          '--json',
          'daemon',
          '--listen',
          '127.0.0.1:0',
        ],
        (line) => line.event === 'daemon',
      )
      const token = (await readFile(join(dataDir, 'daemon.token'), 'utf8')).trim()
      const addresses = started.addresses as string[]
      return {
        name: `node-${index + 1}`,
        dataDir,
        url: String(started.url),
        ui: `${String(started.url)}/#token=${token}`,
        transmission: String(started.transmission),
        token,
        peerId: String(started.peerId),
        peerAddress: addresses[0] ?? null,
        pid: Number(started.pid),
      }
    }),
  )
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ event: 'testnet', dir, bootstrap, tracker: trackerUrl, nodes })}\n`)
  } else {
    const say = (text = '') => process.stdout.write(`${text}\n`)
    say(`mycel testnet in ${dir} (127.0.0.1 only)`)
    say(`  DHT bootstrap  ${bootstrap}`)
    say(`  tracker        ${trackerUrl}`)
    for (const node of nodes) {
      say()
      say(`  ${node.name}  web UI ${node.ui}`)
      say(`          API ${node.url}/rpc  WebSocket ${node.url.replace('http', 'ws')}/ws`)
      say(`          Transmission ${node.transmission}  (user any, password the token)`)
      say(`          token ${node.token}`)
      say(`          peer ${node.peerAddress}  (${node.peerId.slice(0, 16)}...)`)
      say(`          MYCEL_DATA_DIR=${node.dataDir} mycel ls`)
    }
    say()
    say(`share: MYCEL_DATA_DIR=${nodes[0]?.dataDir} mycel share <file> --tracker ${trackerUrl}`)
    say('press Ctrl-C to stop everything')
  }
}

process.on('SIGINT', () => void stopAll().finally(() => process.exit(0)))
process.on('SIGTERM', () => void stopAll().finally(() => process.exit(0)))
main().catch(async (error: unknown) => {
  process.stderr.write(`testnet: ${error instanceof Error ? error.message : String(error)}\n`)
  await stopAll()
  process.exit(1)
})
