import cliProgress from 'cli-progress'
import { formatBytes, formatDuration, formatPercent, formatRate } from './format.js'
import type { Lifetime } from './lifetime.js'
import type { Output } from './output.js'

/** One state of a task, as a progress display shows it. */
export interface ProgressFrame {
  /** What is going on: `hashing`, `downloading`, `verifying`, `looking for peers`. */
  label: string
  /** Bytes done. */
  done: number
  /** Bytes in all, when known (no bar without it). */
  total: number | undefined
  /** Bytes per second now; left out when it means nothing. */
  rate?: number
  /** Seconds left, when known; omitted for tasks that have no ETA. */
  eta?: number | undefined
  /** A word after the bytes done when there is no total, such as `sent`. */
  doneLabel?: string
  /** Text after the figures, such as `2 peers`. */
  extra?: string
}

/** How progress is shown: a bar redrawn in place, plain lines now and then, or not at all. */
export type ProgressMode = 'bar' | 'lines' | 'off'

/**
 * The mode for an output: a bar when stderr is a terminal, plain lines when
 * it is not (a file, a pipe, CI), nothing with `--quiet` or `--json`.
 *
 * @param out - the command's output
 * @returns the mode
 */
export function progressModeOf(out: Output): ProgressMode {
  if (!out.chatty) return 'off'
  return out.terminal ? 'bar' : 'lines'
}

const BAR_MAX = 40
const BAR_MIN = 10

function figures(frame: ProgressFrame): string {
  const parts: string[] = []
  if (frame.total !== undefined) {
    parts.push(formatPercent(frame.done, frame.total), `${formatBytes(frame.done)} / ${formatBytes(frame.total)}`)
  } else if (frame.done > 0 || frame.doneLabel !== undefined) {
    parts.push(
      frame.doneLabel === undefined ? formatBytes(frame.done) : `${formatBytes(frame.done)} ${frame.doneLabel}`,
    )
  }
  if (frame.rate !== undefined && (frame.total === undefined || frame.done < frame.total)) {
    parts.push(formatRate(frame.rate))
  }
  if ('eta' in frame && frame.total !== undefined && frame.done < frame.total) {
    parts.push(`ETA ${formatDuration(frame.eta)}`)
  }
  if (frame.extra) parts.push(frame.extra)
  return parts.join('  ')
}

/** The bar line: label, bar sized to the terminal, then the figures. */
function barLine(frame: ProgressFrame, width: number): string {
  const text = figures(frame)
  if (frame.total === undefined) return `${frame.label}  ${text}`
  const room = width - frame.label.length - text.length - 6
  const size = Math.max(BAR_MIN, Math.min(BAR_MAX, room))
  const ratio = frame.total > 0 ? Math.min(1, frame.done / frame.total) : 1
  const filled = Math.round(ratio * size)
  return `${frame.label}  ${'█'.repeat(filled)}${'░'.repeat(size - filled)}  ${text}`
}

/**
 * Shows the progress of one task on stderr: a bar drawn by `cli-progress`
 * on a terminal (cursor hidden while it runs, restored at the end and on a
 * forced exit), or otherwise a plain line every few seconds and one at the
 * end (a task shorter than the interval prints only its end).
 */
export class ProgressView {
  private readonly bar: cliProgress.SingleBar | undefined
  private started = false
  private ended = false
  private lastLine = 0
  private lastText = ''
  private last: ProgressFrame | undefined
  private readonly unregister: (() => void) | undefined
  private readonly created = performance.now()

  /**
   * @param out - where to write
   * @param mode - bar, lines or off
   * @param options - how often plain lines are printed (default every 2 s), and the lifetime whose forced exit must restore the terminal
   */
  constructor(
    private readonly out: Output,
    private readonly mode: ProgressMode,
    private readonly options: { lineIntervalMs?: number; lifetime?: Lifetime } = {},
  ) {
    if (mode === 'bar') {
      this.bar = new cliProgress.SingleBar({
        stream: out.stderr,
        format: (_options, params, payload: { frame?: ProgressFrame }) =>
          payload.frame === undefined ? '' : barLine(payload.frame, params.maxWidth),
        hideCursor: true,
        linewrap: false,
        fps: 8,
        forceRedraw: true, // redraw after a line printed above the bar
        gracefulExit: false, // the Lifetime handles signals
      })
      this.unregister = options.lifetime?.onForcedExit(() => this.bar?.stop())
    }
  }

  /**
   * Shows how far a task of known size is, at its average rate since this
   * view was made (hashing and verifying, where the rate is steady).
   *
   * @param label - what is going on
   * @param done - bytes done
   * @param total - bytes in all
   */
  advance(label: string, done: number, total: number | undefined): void {
    const seconds = (performance.now() - this.created) / 1000
    this.update({ label, done, total, rate: seconds > 0 ? done / seconds : 0 })
  }

  /** Shows a new state. */
  update(frame: ProgressFrame): void {
    if (this.ended || this.mode === 'off') return
    this.last = frame
    if (this.bar !== undefined) {
      const total = frame.total ?? 1
      if (!this.started) {
        this.started = true
        this.bar.start(total, frame.done, { frame })
        // clear the bar's line, print above it, and save the cursor again where the bar now is (cli-progress
        // returns to the saved position when it stops)
        this.out.setLineWriter((line) => this.out.stderr.write(`\r\x1b[2K${line}\n\x1b7`))
      } else {
        this.bar.setTotal(total)
        this.bar.update(frame.done, { frame })
      }
      return
    }
    const now = Date.now()
    if (this.lastLine === 0) this.lastLine = now // the first line after one interval: short tasks print only their end
    if (now - this.lastLine >= (this.options.lineIntervalMs ?? 2000)) {
      this.lastLine = now
      this.printLine(frame)
    }
  }

  /**
   * Ends the display: the final state is drawn (or printed) once more and
   * the terminal gets its cursor back. Idempotent.
   *
   * @param frame - the final state (default the last one shown)
   */
  finish(frame: ProgressFrame | undefined = this.last): void {
    if (this.ended) return
    this.ended = true
    this.unregister?.()
    if (this.bar !== undefined) {
      if (!this.started) return
      this.out.setLineWriter(undefined)
      if (frame !== undefined) {
        this.bar.setTotal(frame.total ?? 1)
        this.bar.update(frame.done, { frame })
      }
      this.bar.stop()
      return
    }
    if (this.mode === 'lines' && frame !== undefined) this.printLine(frame)
  }

  /** A plain progress line, unless it would repeat the one before. */
  private printLine(frame: ProgressFrame): void {
    const text = `${frame.label}: ${figures(frame)}`
    if (text === this.lastText) return
    this.lastText = text
    this.out.stderr.write(`${text}\n`)
  }
}
