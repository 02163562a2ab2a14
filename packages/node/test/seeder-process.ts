/**
 * The test side of `fixtures/seeder-child.ts`: starts the seeder process,
 * reads its JSON lines, asks it for its memory and figures, and kills it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { NodeLimits, RefusalReason } from '../src/index.js'

const script = fileURLToPath(new URL('./fixtures/seeder-child.ts', import.meta.url))

type Line = Record<string, unknown> & { event: string }

/** A seeder running in a child process. */
export class SeederProcess {
  /** The share's magnet link and the seeder's address and id, once ready. */
  magnet = ''
  address = ''
  peerId = ''
  /** Every line it printed, in order. */
  readonly lines: Line[] = []
  private readonly child: ChildProcess
  private readonly waiters = new Set<() => void>()
  private stderr = ''
  private exited = false

  private constructor(dataDir: string, file: string, pieceLength: number, limits: NodeLimits) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', script, dataDir, file, String(pieceLength), JSON.stringify(limits)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    )
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4096)
    })
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as Line)
      } catch {
        this.stderr += `${text}\n`
      }
      this.wake()
    })
    this.child.once('exit', () => {
      this.exited = true
      this.wake()
    })
  }

  /** Starts a seeder of `file` with these limits; resolves once it listens. */
  static async start(dataDir: string, file: string, pieceLength: number, limits: NodeLimits): Promise<SeederProcess> {
    const seeder = new SeederProcess(dataDir, file, pieceLength, limits)
    const ready = await seeder.next('ready', 60_000)
    seeder.magnet = String(ready.magnet)
    seeder.address = String(ready.address)
    seeder.peerId = String(ready.peerId)
    return seeder
  }

  /** Its resident memory now and at its peak so far, MiB. */
  async memory(): Promise<{ rss: number; peak: number }> {
    this.child.stdin?.write('rss\n')
    const line = await this.next('rss')
    return { rss: Number(line.rss), peak: Number(line.peak) }
  }

  /** Its connections and the inbound connections it refused, by reason. */
  async stats(): Promise<{ connections: number; refused: Record<RefusalReason, number> | null }> {
    this.child.stdin?.write('stats\n')
    const line = await this.next('stats')
    return { connections: Number(line.connections), refused: line.refused as Record<RefusalReason, number> | null }
  }

  /** The codes of the reasons peers were disconnected for, so far. */
  get disconnections(): (string | null)[] {
    return this.lines.filter((line) => line.event === 'disconnected').map((line) => line.code as string | null)
  }

  /** The code of the reason a peer was disconnected for (null for a clean close), if it was. */
  disconnectionOf(peerId: string): string | null | undefined {
    const line = this.lines.find((candidate) => candidate.event === 'disconnected' && candidate.peerId === peerId)
    return line === undefined ? undefined : (line.code as string | null)
  }

  /** Kills it and waits until it is gone. */
  async kill(): Promise<void> {
    if (this.exited) return
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.kill('SIGKILL')
    await gone
  }

  /**
   * Resolves once `condition()` holds: at once, or after the line (or the
   * exit) that makes it true; rejects when the seeder exits first or
   * `timeoutMs` (real time: another process) passes.
   */
  async untilLine(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (condition()) return
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (condition()) finish(resolve)
        else if (this.exited) finish(() => reject(new Error(`the seeder exited before ${what}:\n${this.stderr}`)))
      }
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what} from the seeder within ${timeoutMs} ms:\n${this.stderr}`))),
        timeoutMs,
      )
      const finish = (settle: () => void): void => {
        clearTimeout(timer)
        this.waiters.delete(check)
        settle()
      }
      this.waiters.add(check)
      check()
    })
  }

  /** The next unread line of an event (removed from the unread ones). */
  private async next(event: string, timeoutMs = 20_000): Promise<Line> {
    const unread = () => this.lines.find((line) => line.event === event && line.read !== true)
    await this.untilLine(() => unread() !== undefined, `'${event}'`, timeoutMs)
    const line = unread() as Line
    line.read = true
    return line
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake()
  }
}
