import type { Writable } from 'node:stream'
import type { CliError } from './errors.js'

/** Where a command writes, and how. */
export interface OutputOptions {
  /** Results: text lines, or JSON lines with `--json`. */
  stdout: Writable & { isTTY?: boolean }
  /** Progress, notes and errors. */
  stderr: Writable & { isTTY?: boolean }
  /** `--json`: stdout carries one JSON value per line and nothing else. */
  json: boolean
  /** `--quiet`: no progress and no notes, only results and errors. */
  quiet: boolean
}

/**
 * A command's output. Results go to stdout (text for people, or one JSON
 * value per line with `--json`); notes and progress go to stderr and are
 * left out with `--quiet` or `--json`; errors go to stderr always.
 */
export class Output {
  readonly json: boolean
  readonly quiet: boolean
  readonly stdout: OutputOptions['stdout']
  readonly stderr: OutputOptions['stderr']
  private above: ((line: string) => void) | undefined

  constructor(options: OutputOptions) {
    this.json = options.json
    this.quiet = options.quiet
    this.stdout = options.stdout
    this.stderr = options.stderr
  }

  /** Whether notes and progress are shown. */
  get chatty(): boolean {
    return !this.json && !this.quiet
  }

  /** Whether progress can be drawn as a bar (stderr is a terminal). */
  get terminal(): boolean {
    return this.stderr.isTTY === true
  }

  /**
   * Prints a result: `lines` for people, `value` as one JSON line with `--json`.
   *
   * @param lines - text lines, or a function making them (only called without `--json`)
   * @param value - the same result as JSON
   */
  result(lines: readonly string[] | (() => readonly string[]), value: unknown): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify(value)}\n`)
      return
    }
    for (const line of typeof lines === 'function' ? lines() : lines) this.stdout.write(`${line}\n`)
  }

  /** Prints one JSON event line (only with `--json`). */
  event(name: string, value: Record<string, unknown>): void {
    if (this.json) this.stdout.write(`${JSON.stringify({ event: name, ...value })}\n`)
  }

  /**
   * While a progress bar is drawn on stderr, notes and warnings go through
   * `writer`, which prints them above the bar instead of across it.
   *
   * @param writer - prints one line above the bar; undefined when the bar is gone
   */
  setLineWriter(writer: ((line: string) => void) | undefined): void {
    this.above = writer
  }

  /** A note for people on stderr (not with `--quiet` or `--json`). */
  note(text: string): void {
    if (this.chatty) this.line(text)
  }

  /** A warning: stderr, always (a JSON line with `--json`). */
  warn(text: string): void {
    if (this.json) this.stderr.write(`${JSON.stringify({ warning: text })}\n`)
    else this.line(`mycel: warning: ${text}`)
  }

  private line(text: string): void {
    if (this.above !== undefined) this.above(text)
    else this.stderr.write(`${text}\n`)
  }

  /** A line of the node's log (`--debug`, `MYCEL_DEBUG`, warnings): stderr, above a progress bar, never stdout. */
  log(line: string): void {
    this.line(line)
  }

  /** The one line of a failure (a JSON line with `--json`), then the details with `--debug`. */
  error(error: CliError, details: readonly string[] = []): void {
    if (this.json) {
      this.stderr.write(
        `${JSON.stringify({ error: { code: error.code, message: error.message, hint: error.hint } })}\n`,
      )
    } else {
      this.stderr.write(`mycel: ${error.line}\n`)
    }
    for (const line of details) this.stderr.write(`${line}\n`)
  }
}
