/**
 * The orchestrator's side of a peer process: builds the peer scripts, spawns
 * them with plain `node`, reads their JSON-line events, sends commands, and
 * kills every one still running when the benchmark ends, fails or is
 * interrupted.
 *
 * The peers are bundled from sources with esbuild (the `@mycel/*` imports
 * resolved to `src/` through the tsconfig paths) rather than run through the
 * tsx loader: the loader's worker thread and transform cache add about 40 MiB
 * of RSS and some CPU to a process, which would be charged to mycel. The
 * bundle goes under `node_modules/.cache` so that its bare imports
 * (`@noble/*`, `better-sqlite3`, ...) resolve as the package's own would.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { bundleBenchScripts } from '../../../scripts/bundle-bench.js'
import type { Command } from './child-io.js'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** The bundled peer scripts. */
export interface PeerScripts {
  mycel: string
  webtorrent: string
  /** The adapter that runs the built `mycel` CLI as a peer. */
  cli: string
  /** Removes the bundles. */
  remove(): void
}

/** Bundles `mycel-peer.ts`, `webtorrent-peer.ts` and `cli-peer.ts` from the current sources. */
export async function buildPeers(): Promise<PeerScripts> {
  const bundle = await bundleBenchScripts(packageDir, [
    'bench/mycel-peer.ts',
    'bench/webtorrent-peer.ts',
    'bench/cli-peer.ts',
  ])
  return {
    mycel: bundle.scripts['mycel-peer'] as string,
    webtorrent: bundle.scripts['webtorrent-peer'] as string,
    cli: bundle.scripts['cli-peer'] as string,
    remove: bundle.remove,
  }
}

/** Node flags for every peer process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them. */
const PEER_NODE_FLAGS = (process.env.MYCEL_BENCH_PEER_FLAGS ?? '').split(' ').filter((flag) => flag !== '')

type Event = Record<string, unknown> & { event: string }

const running = new Set<PeerProcess>()

/** One peer process and the events it reported. */
export class PeerProcess {
  private readonly child: ChildProcess
  private readonly events: Event[] = []
  private readonly wakers = new Set<() => void>()
  private stderr = ''
  private failure: Error | undefined
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>

  /**
   * @param label - names the peer in errors
   * @param script - the peer script
   * @param args - its arguments
   * @param interpreter - runs the script (default: this Node, with `MYCEL_BENCH_PEER_FLAGS`)
   */
  constructor(
    readonly label: string,
    script: string,
    args: string[],
    interpreter?: string,
  ) {
    const [command, commandArgs] =
      interpreter === undefined
        ? [process.execPath, [...PEER_NODE_FLAGS, script, ...args]]
        : [interpreter, [script, ...args]]
    this.child = spawn(command, commandArgs, { stdio: ['pipe', 'pipe', 'pipe'] })
    running.add(this)
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-8192)
    })
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => this.onLine(line))
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        running.delete(this)
        if (code !== 0) this.fail(`exited with ${code ?? signal}`)
        this.wake()
        resolve(code)
      })
    })
    this.child.stdin?.on('error', () => {}) // a peer that died: reported through its exit
  }

  /** The operating system's process id. */
  get pid(): number | undefined {
    return this.child.pid
  }

  /**
   * Waits for the next event named `event` (earlier ones are kept in order).
   * @throws when the peer reported an error, exited, or stayed silent for `timeoutMs`
   */
  async next<T>(event: string, timeoutMs: number): Promise<T & Event> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.events.findIndex((e) => e.event === event)
      if (index >= 0) return this.events.splice(index, 1)[0] as T & Event
      if (this.failure !== undefined) throw this.failure
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${this.label}: no '${event}' within ${timeoutMs / 1000} s\n${this.stderr}`)
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer)
          this.wakers.delete(wake)
          resolve()
        }
        const timer = setTimeout(wake, left)
        this.wakers.add(wake)
      })
    }
  }

  /** Sends a command line to the peer. */
  send(command: Command): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`)
  }

  private onLine(line: string): void {
    let event: Event
    try {
      event = JSON.parse(line) as Event
    } catch {
      this.stderr += `${line}\n` // stray output of a library
      return
    }
    if (event.event === 'error') this.fail(String(event.message))
    else this.events.push(event)
    this.wake()
  }

  private fail(reason: string): void {
    this.failure ??= new Error(`${this.label}: ${reason}${this.stderr ? `\n--- stderr ---\n${this.stderr}` : ''}`)
  }

  private wake(): void {
    for (const wake of [...this.wakers]) wake()
  }

  /** Kills every peer process still running (SIGKILL), and waits until they are gone. */
  static async killAll(): Promise<void> {
    const left = [...running]
    for (const peer of left) peer.child.kill('SIGKILL')
    await Promise.all(left.map((peer) => peer.exited))
  }
}
