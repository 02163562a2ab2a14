/**
 * What a peer process of the transfer benchmark shares with the others: it
 * reports events as JSON lines on stdout, reads commands as JSON lines on
 * stdin, and measures itself (CPU of every thread, peak RSS). A peer whose
 * stdin closes (the orchestrator died) exits at once.
 */
import { readFileSync } from 'node:fs'
import { PerformanceObserver } from 'node:perf_hooks'
import { createInterface } from 'node:readline'

/** Garbage collections of this process so far: how many, and their pause time. */
const gc = { count: 0, majorCount: 0, seconds: 0 }
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++
    // detail.kind 4 is a major (mark-compact) collection.
    if ((entry as { detail?: { kind?: number } }).detail?.kind === 4) gc.majorCount++
    gc.seconds += entry.duration / 1000
  }
}).observe({ entryTypes: ['gc'] })

/** A command from the orchestrator: `go` (start the transfer) or `stop` (close and report). */
export interface Command {
  command: 'go' | 'stop'
  /** Peer addresses to start from (`go`). */
  peers?: string[]
}

/** A `kB` field of `/proc/self/status` in MiB, or undefined (not Linux, or no such field). */
function statusFieldMiB(name: string): number | undefined {
  try {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))
    if (match) return Number(match[1]) / 1024
  } catch {
    // not Linux
  }
  return undefined
}

/**
 * The largest anonymous resident memory seen (`RssAnon`: heap, stacks,
 * buffers; not the pages of mapped files, which the kernel can drop), sampled
 * every 50 ms. Comparable across engines that read files through `mmap`
 * (libtorrent 2) and those that read into buffers.
 */
let anonymousPeakMiB = statusFieldMiB('RssAnon') ?? 0
setInterval(() => {
  anonymousPeakMiB = Math.max(anonymousPeakMiB, statusFieldMiB('RssAnon') ?? 0)
}, 50).unref()

/**
 * Peak resident memory of this process in MiB: `VmHWM` of `/proc/self/status`.
 * Not `process.resourceUsage().maxRSS`: Linux carries `ru_maxrss` over
 * `fork` and `execve`, so a child reports at least the RSS its parent had
 * when it was spawned (here the orchestrator's), whatever it used itself.
 */
function peakRssMiB(): number {
  return statusFieldMiB('VmHWM') ?? process.resourceUsage().maxRSS / 1024
}

/**
 * CPU seconds (user + system, every thread, as `getrusage` counts them), the
 * system part, peak resident and anonymous memory (MiB) and garbage collection of this
 * process so far.
 */
export function usage(): {
  cpuSeconds: number
  systemSeconds: number
  peakRssMiB: number
  peakAnonMiB: number
  minorPageFaults: number
  gc: { count: number; majorCount: number; seconds: number }
} {
  const { user, system } = process.cpuUsage()
  return {
    cpuSeconds: (user + system) / 1e6,
    systemSeconds: system / 1e6,
    peakRssMiB: peakRssMiB(),
    peakAnonMiB: Math.max(anonymousPeakMiB, statusFieldMiB('RssAnon') ?? 0),
    minorPageFaults: process.resourceUsage().minorPageFault,
    gc: { ...gc },
  }
}

/** CPU seconds of this process so far. */
export function cpuSeconds(): number {
  return usage().cpuSeconds
}

/** Writes one event line for the orchestrator. */
export function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`)
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()

/** Waits for the next command, which must be `expected`. */
export async function command(expected: Command['command']): Promise<Command> {
  const next = await lines.next()
  if (next.done) process.exit(2) // the orchestrator is gone
  const parsed = JSON.parse(next.value) as Command
  if (parsed.command !== expected) throw new Error(`expected command ${expected}, got ${parsed.command}`)
  return parsed
}

/** Runs a peer's main function; any failure is reported as an `error` event and ends the process. */
export function run(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const code = (error as { code?: unknown } | undefined)?.code
      report('error', { message: error instanceof Error ? (error.stack ?? error.message) : String(error), code })
      process.exit(1)
    },
  )
}
