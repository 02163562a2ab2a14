import { type ChildProcess, spawn } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** The built `mycel` program. */
export const BIN = join(ROOT, 'examples/cli/dist/bin.js')

function exec(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

/**
 * Builds the CLI and the packages it uses (turbo; nothing is rewritten when
 * the cache is current). `flock` keeps test files that start together from
 * building at the same time.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'mycel-cli-test-build.lock')
  const { code, output } = await exec(
    'flock',
    [lock, 'npx', 'turbo', 'run', 'build', '--filter=@mycel/cli...', '--output-logs=errors-only'],
    300_000,
  )
  if (code !== 0) throw new Error(`building the CLI failed (${code}):\n${output}`)
}

/** Temporary folders and processes of a test file, removed and killed by {@link Sandbox.cleanup}. */
export class Sandbox {
  private readonly dirs: string[] = []
  private readonly children = new Set<ChildProcess>()
  private workDir: string | undefined

  /**
   * The folder `mycel` runs in when a test names none: a temporary one of
   * this sandbox, so that nothing a command writes where it runs (a `get`
   * without `-o`) lands in the repository.
   */
  get cwd(): string {
    if (this.workDir === undefined) {
      this.workDir = mkdtempSync(join(tmpdir(), 'mycel-cli-cwd-'))
      this.dirs.push(this.workDir)
    }
    return this.workDir
  }

  /** A new temporary folder. */
  async dir(prefix = 'mycel-cli-test-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    this.dirs.push(dir)
    return dir
  }

  /** Runs `mycel` to its end (`env`: variables added to the test's environment). */
  run(
    args: string[],
    options: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    const child = this.spawn(args, options.cwd, options.env)
    return finished(child, options.timeoutMs ?? 60_000)
  }

  /** Starts `mycel` in the background. */
  start(args: string[], options: { cwd?: string } = {}): Background {
    return new Background(this.spawn(args, options.cwd))
  }

  /** Kills every process still running and removes every folder. */
  async cleanup(): Promise<void> {
    await Promise.all(
      [...this.children].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        child.kill('SIGKILL')
        await once(child, 'exit')
      }),
    )
    this.workDir = undefined
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
  }

  private spawn(args: string[], cwd = this.cwd, env?: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
    })
    this.children.add(child)
    child.on('exit', () => this.children.delete(child))
    return child
  }
}

/** What a finished `mycel` printed, and how it ended. */
export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function finished(child: ChildProcess, timeoutMs: number): Promise<RunResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/** A `mycel` running in the background: its stdout JSON lines (`--json`) can be awaited. */
export class Background {
  private readonly events: Record<string, unknown>[] = []
  private readonly waiters = new Set<() => void>()
  private stderrText = ''
  private readonly ended: Promise<RunResult>

  constructor(readonly child: ChildProcess) {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    let stdout = ''
    lines.on('line', (line) => {
      stdout += `${line}\n`
      try {
        this.events.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        // not JSON: kept in stdout only
      }
      for (const wake of this.waiters) wake()
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString()
    })
    this.ended = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        for (const wake of this.waiters) wake()
        resolve({ code, signal, stdout, stderr: this.stderrText })
      })
    })
  }

  /** What it wrote on stderr so far. */
  get stderr(): string {
    return this.stderrText
  }

  /** Waits for a JSON line whose `event` is `name` (and that `match` accepts). */
  async waitFor(
    name: string,
    match: (event: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.events.find((event) => event.event === name && match(event))
      if (found !== undefined) return found
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`mycel ended before "${name}": ${this.stderrText}`)
      }
      if (Date.now() > deadline) throw new Error(`no "${name}" within ${timeoutMs} ms; stderr: ${this.stderrText}`)
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake)
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(wake, 250)
        this.waiters.add(wake)
      })
    }
  }

  /** Sends a signal and waits for the end. */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 20_000): Promise<RunResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    try {
      return await this.ended
    } finally {
      clearTimeout(timer)
    }
  }

  /** Waits for the end without signalling. */
  exit(): Promise<RunResult> {
    return this.ended
  }
}

/** Starts a local DHT bootstrap node (`mycel dht`) on 127.0.0.1; returns it and its `host:port`. */
export async function startDht(sandbox: Sandbox): Promise<{ dht: Background; bootstrap: string }> {
  const dht = sandbox.start(['dht', '--host', '127.0.0.1', '--port', '0', '--json'])
  const listening = await dht.waitFor('listening')
  return { dht, bootstrap: String(listening.address) }
}

/** Writes `bytes` pseudo-random bytes (AES-CTR of zeros under a fixed key per `seed`). */
export async function writeContent(path: string, bytes: number, seed = 1): Promise<void> {
  const key = createHash('sha256').update(`mycel test ${seed}`).digest()
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32))
  await writeFile(path, cipher.update(new Uint8Array(bytes)))
}

/** SHA-256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex')
}

/** Parses every line of a `--json` output. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** The global options that keep a node on 127.0.0.1 with a local bootstrap node. */
export function local(dataDir: string, bootstrap: string): string[] {
  return ['--data-dir', dataDir, '--host', '127.0.0.1', '--bootstrap', bootstrap]
}

/**
 * Starts `mycel share` of one file on 127.0.0.1 and waits until the share is announced on the DHT.
 *
 * @returns the process and the `shared` event (magnet link, infohash, piece length, ...)
 */
export async function startSeeder(
  sandbox: Sandbox,
  source: string,
  dataDir: string,
  bootstrap: string,
  extra: string[] = [],
): Promise<{ seeder: Background; shared: Record<string, unknown> }> {
  const seeder = sandbox.start(['share', source, ...local(dataDir, bootstrap), ...extra, '--json'])
  const shared = await seeder.waitFor('shared')
  await seeder.waitFor('announced')
  return { seeder, shared }
}
