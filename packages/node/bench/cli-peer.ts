/**
 * The `mycel` command as users run it, as a peer of the transfer benchmark:
 * this process speaks the benchmark's protocol (child-io.ts) and runs the
 * built CLI (`examples/cli/dist/bin.js`) as its child, with
 * `usage-preload.cjs` so that the figures reported are the CLI process's
 * own, not this adapter's.
 *
 * Every role starts with `<cliBin> <preload>`: the CLI's `bin.js`, and the
 * path of `usage-preload.cjs` (this script runs from a bundle elsewhere).
 *
 * - `seed <cliBin> <preload> <dataDir> <file>`: runs `mycel share <file> --json` (DHT
 *   off: `--bootstrap none`), reports `ready` when it says `seeding`; its
 *   "hashing" time is from the command's start (start-up included). `stop`
 *   sends SIGINT, as Ctrl-C would.
 * - `leech <cliBin> <preload> <dataDir> <downloadDir> <magnet> [flags]`: on `go`, runs
 *   `mycel get <magnet> --peer <seeder> --json` with the extra flags (such as
 *   `--verify`) and reports `done` when the command exits 0: the time and
 *   CPU of the whole command (start-up, download, state writes, exit).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { command, report, run } from './child-io.js'

const [role, cliBin, preload, dataDir, ...rest] = process.argv.slice(2)

type Usage = {
  cpuSeconds: number
  systemSeconds: number
  peakRssMiB: number
  peakAnonMiB: number
  minorPageFaults: number
  gc: { count: number; majorCount: number; seconds: number }
}

interface Cli {
  child: ChildProcess
  usageFile: string
  events: AsyncIterator<string>
  /** The end of what it wrote on stderr. */
  stderr(): string
}

function startCli(args: string[]): Cli {
  const usageFile = `${dataDir}.usage.json`
  const child = spawn(process.execPath, [cliBin as string, ...args, '--json', '--data-dir', dataDir as string], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`,
      MYCEL_BENCH_USAGE_FILE: usageFile,
    },
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4096)
  })
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) report('error', { message: `mycel ${args[0]} exited with ${code}: ${stderr}` })
  })
  return {
    child,
    usageFile,
    events: createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator](),
    stderr: () => stderr,
  }
}

/** The next JSON event named `name` on the CLI's stdout. */
async function nextEvent(cli: Cli, name: string): Promise<Record<string, unknown>> {
  for (;;) {
    const line = await cli.events.next()
    if (line.done) throw new Error(`the CLI ended before '${name}': ${cli.stderr()}`)
    const event = JSON.parse(line.value) as Record<string, unknown>
    if (event.event === name) return event
  }
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', resolve))

async function readUsage(file: string): Promise<Usage> {
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  return JSON.parse(readFileSync(file, 'utf8')) as Usage
}

async function seed(file: string): Promise<void> {
  const start = performance.now()
  const cli = startCli(['share', file, '--bootstrap', 'none', '--host', '127.0.0.1'])
  const shared = await nextEvent(cli, 'shared')
  const seeding = await nextEvent(cli, 'seeding')
  const hashSeconds = (performance.now() - start) / 1000
  cli.child.kill('SIGUSR2')
  const ready = await readUsage(`${cli.usageFile}.1`)
  report('ready', {
    magnet: shared.magnet,
    addresses: seeding.addresses,
    hashSeconds,
    hashCpuSeconds: ready.cpuSeconds,
    pieceLength: shared.pieceLength,
    pieceCount: shared.pieceCount,
  })
  await command('stop')
  cli.child.kill('SIGINT')
  await exited(cli.child)
  const end = await readUsage(cli.usageFile)
  report('served', { cpuSeconds: end.cpuSeconds - ready.cpuSeconds, uploaded: 0 })
  report('exit', end)
}

async function leech(downloadDir: string, magnet: string, flags: string[]): Promise<void> {
  report('ready', {})
  const { peers = [] } = await command('go')
  const start = performance.now()
  const cli = startCli([
    'get',
    magnet,
    '-o',
    downloadDir,
    '--bootstrap',
    'none',
    '--host',
    '127.0.0.1',
    '--peer',
    ...peers,
    ...flags,
  ])
  const done = await nextEvent(cli, 'done')
  const code = await exited(cli.child)
  if (code !== 0) throw new Error(`mycel get exited with ${code}`)
  const seconds = (performance.now() - start) / 1000
  const end = await readUsage(cli.usageFile)
  report('done', { seconds, cpuSeconds: end.cpuSeconds, bytes: done.totalBytes, path: done.path, peers: peers.length })
  await command('stop')
  report('served', { uploaded: 0 })
  report('exit', end)
}

run(async () => {
  if (cliBin === undefined || dataDir === undefined)
    throw new Error('usage: cli-peer seed|leech <cliBin> <dataDir> ...')
  if (role === 'seed') await seed(rest[0] as string)
  else if (role === 'leech') await leech(rest[0] as string, rest[1] as string, rest.slice(2))
  else throw new Error(`unknown role ${role}`)
})
