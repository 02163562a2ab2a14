/**
 * Real processes for the end-to-end tests: the built `mycel-tracker`, and
 * stock BitTorrent clients, each killed by {@link Processes.cleanup}.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
/** The built `mycel-tracker` program. */
export const TRACKER_BIN = join(ROOT, 'examples/tracker/dist/bin.js')

/**
 * Builds `mycel-tracker` and the packages it uses (turbo; nothing is rebuilt
 * when the cache is current). The lock is the one the CLI tests and the
 * packaging test take, so that no two builds write the same `dist` at once.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'mycel-cli-test-build.lock')
  await promisify(execFile)(
    'flock',
    [lock, 'npx', 'turbo', 'run', 'build', '--filter=@mycel/tracker...', '--output-logs=errors-only'],
    { cwd: ROOT, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
  ).catch((err: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(`building mycel-tracker failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`)
  })
}

/** What the tracker printed on start (`--json`). */
export interface TrackerListening {
  readonly http: Array<{ host: string; port: number }>
  readonly udp: Array<{ host: string; port: number }>
  readonly storage: string
}

/** A running `mycel-tracker serve`. */
export interface TrackerProcess {
  readonly child: ChildProcess
  readonly listening: TrackerListening
  /** `http://127.0.0.1:<port>/announce`. */
  readonly httpAnnounce: string
  /** `udp://127.0.0.1:<port>/announce`. */
  readonly udpAnnounce: string
  /** `http://127.0.0.1:<port>`. */
  readonly base: string
  /** What it wrote on stderr so far. */
  stderr(): string
  /** Sends SIGTERM (or `signal`) and waits for its exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** The processes of a test file. */
export class Processes {
  private readonly children = new Set<ChildProcess>()

  /** Starts a process; its output is collected, it is killed at cleanup. */
  spawn(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.children.add(child)
    child.on('exit', () => this.children.delete(child))
    return child
  }

  /**
   * Starts `mycel-tracker serve --json` with `args` and waits until it listens.
   *
   * @param args - options after `serve`
   * @returns the process and its addresses
   */
  async tracker(args: string[]): Promise<TrackerProcess> {
    const child = this.spawn(process.execPath, [TRACKER_BIN, 'serve', '--json', ...args])
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
    const listening = JSON.parse(first) as TrackerListening
    const httpPort = listening.http[0]?.port
    const udpPort = listening.udp[0]?.port
    return {
      child,
      listening,
      base: `http://127.0.0.1:${httpPort}`,
      httpAnnounce: `http://127.0.0.1:${httpPort}/announce`,
      udpAnnounce: `udp://127.0.0.1:${udpPort}/announce`,
      stderr: () => stderr,
      async stop(signal = 'SIGTERM') {
        if (child.exitCode !== null) return child.exitCode
        const exited = once(child, 'exit')
        child.kill(signal)
        const [code] = await exited
        return code as number | null
      },
    }
  }

  /** Kills every process still running and waits for them. */
  async cleanup(): Promise<void> {
    await Promise.all(
      [...this.children].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = once(child, 'exit')
        child.kill('SIGKILL')
        await exited
      }),
    )
  }
}

/** Output of a process, collected. */
export function collect(child: ChildProcess): { text: () => string } {
  let text = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  return { text: () => text }
}

/** Waits for a process to exit, at most `timeoutMs`; returns its code (`undefined` on timeout). */
export async function exited(child: ChildProcess, timeoutMs: number): Promise<number | null | undefined> {
  if (child.exitCode !== null) return child.exitCode
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs)
  })
  const result = await Promise.race([once(child, 'exit').then(([code]) => code as number | null), timeout])
  clearTimeout(timer)
  return result
}

/** A free TCP port on 127.0.0.1 (for clients that must be told one). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
