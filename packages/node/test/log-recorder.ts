import { createTextLogger, type Logger } from '@mycel/wire/log'

/**
 * A text logger that keeps its lines, with a promise of the first line that
 * matches (already written, or to come): tests await what a node logs
 * instead of polling.
 */
export class LogRecorder {
  readonly lines: string[] = []
  readonly logger: Logger
  private readonly waiters: Array<{ match: (line: string) => boolean; resolve: (line: string) => void }> = []

  constructor(components = 'mycel:*') {
    this.logger = createTextLogger({
      components,
      write: (line) => {
        this.lines.push(line)
        for (const waiter of this.waiters.filter((candidate) => candidate.match(line))) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1)
          waiter.resolve(line)
        }
      },
    })
  }

  /** The first line that contains `text` (a string) or matches it (a pattern). */
  line(text: string | RegExp): Promise<string> {
    const match = (line: string) => (typeof text === 'string' ? line.includes(text) : text.test(line))
    const found = this.lines.find(match)
    if (found !== undefined) return Promise.resolve(found)
    return new Promise((resolve) => this.waiters.push({ match, resolve }))
  }
}
