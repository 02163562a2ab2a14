/**
 * A real `mycel-tracker` (examples/tracker) for the tests of the node and
 * the CLI: built once (turbo, under the lock the CLI and tracker tests
 * take), run as its own process on 127.0.0.1, killed by
 * {@link TrackerProcess.stop}. Test support shared by the workspaces, so
 * that none imports another's sources.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TRACKER_BIN = join(ROOT, 'examples/tracker/dist/bin.js')

/** Builds `mycel-tracker` and what it uses (nothing is rebuilt when turbo's cache is current). */
export async function ensureTrackerBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'mycel-cli-test-build.lock')
  await promisify(execFile)(
    'flock',
    [lock, 'npx', 'turbo', 'run', 'build', '--filter=@mycel/tracker...', '--output-logs=errors-only'],
    { cwd: ROOT, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
  ).catch((error: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(`building mycel-tracker failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`)
  })
}

/** A running `mycel-tracker serve`. */
export interface TrackerProcess {
  /** `http://127.0.0.1:<port>/announce`. */
  readonly http: string
  /** `udp://127.0.0.1:<port>`. */
  readonly udp: string
  /** `ws://127.0.0.1:<port>/announce`, when started with `--ws`. */
  readonly ws: string | undefined
  /** `http://127.0.0.1:<port>` (for `/stats`). */
  readonly base: string
  /** `http://127.0.0.1:<port>`: the JSON API and web page, when started with accounts (`--accounts`, `--mode private`). */
  readonly api: string | undefined
  /** Kills it and waits for its exit. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts a tracker with an in-memory database, HTTP and UDP (and with
 * accounts, the API) on free ports of 127.0.0.1.
 * @param args - more options of `serve` (`--mode private` for accounts)
 */
export async function startTracker(args: string[] = []): Promise<TrackerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      TRACKER_BIN,
      'serve',
      '--json',
      '--quiet',
      '--database',
      ':memory:',
      '--http',
      '127.0.0.1:0',
      '--udp',
      '127.0.0.1:0',
      ...(args.includes('--accounts') || args.includes('private') ? ['--api', '127.0.0.1:0'] : []),
      ...args,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => line as string),
    once(child, 'exit').then(([code]) => {
      throw new Error(`mycel-tracker exited with ${code} before listening:\n${stderr}`)
    }),
  ])
  const listening = JSON.parse(first) as {
    http: Array<{ port: number }>
    udp: Array<{ port: number }>
    api: Array<{ port: number }>
    ws?: Array<{ port: number }>
  }
  const api = listening.api[0]
  const base = `http://127.0.0.1:${listening.http[0]?.port}`
  return {
    http: `${base}/announce`,
    udp: `udp://127.0.0.1:${listening.udp[0]?.port}`,
    ws: listening.ws?.[0] === undefined ? undefined : `ws://127.0.0.1:${listening.ws[0].port}/announce`,
    base,
    api: api === undefined ? undefined : `http://127.0.0.1:${api.port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    },
  }
}
