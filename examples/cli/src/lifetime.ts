import { CliError } from './errors.js'

/** Exit statuses after a signal: 128 + its number, as shells report them. */
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 }

/**
 * How long a command runs: until it finishes, or until SIGINT (Ctrl-C) or
 * SIGTERM. The first signal aborts {@link Lifetime.signal}, and the command
 * closes its node cleanly; a second signal runs the restore hooks (the
 * terminal's cursor) and exits at once.
 */
export class Lifetime {
  private readonly controller = new AbortController()
  private readonly restores = new Set<() => void>()
  private received: 'SIGINT' | 'SIGTERM' | undefined
  private readonly onSignal = (name: 'SIGINT' | 'SIGTERM') => {
    if (this.received !== undefined) {
      for (const restore of this.restores) restore()
      process.exit(SIGNAL_EXIT[name])
    }
    this.received = name
    this.controller.abort(this.interruption())
  }
  private readonly onInt = () => this.onSignal('SIGINT')
  private readonly onTerm = () => this.onSignal('SIGTERM')

  constructor() {
    process.on('SIGINT', this.onInt)
    process.on('SIGTERM', this.onTerm)
  }

  /** Aborted by the first signal. */
  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** The signal received, if any. */
  get signalName(): 'SIGINT' | 'SIGTERM' | undefined {
    return this.received
  }

  /** The exit status for an interrupted command: 130 after SIGINT, 143 after SIGTERM. */
  get interruptedExitCode(): number {
    return SIGNAL_EXIT[this.received ?? 'SIGINT']
  }

  /**
   * The error of an interrupted command, with the signal's exit status.
   *
   * @param message - what was interrupted
   * @param hint - what to do
   * @returns the error
   */
  interruption(message = 'interrupted', hint = ''): CliError {
    return new CliError('INTERRUPTED', message, hint, { exitCode: this.interruptedExitCode })
  }

  /**
   * Resolves at the first signal: how a seeding command waits.
   *
   * @returns the signal's name
   */
  stopped(): Promise<'SIGINT' | 'SIGTERM'> {
    if (this.received !== undefined) return Promise.resolve(this.received)
    return new Promise((resolve) => {
      this.controller.signal.addEventListener('abort', () => resolve(this.received ?? 'SIGINT'), { once: true })
    })
  }

  /**
   * Registers what a forced exit must undo first (a hidden cursor).
   *
   * @param restore - runs synchronously
   * @returns a function that unregisters it
   */
  onForcedExit(restore: () => void): () => void {
    this.restores.add(restore)
    return () => this.restores.delete(restore)
  }

  /** Stops listening for signals. */
  dispose(): void {
    process.off('SIGINT', this.onInt)
    process.off('SIGTERM', this.onTerm)
    this.restores.clear()
  }
}
