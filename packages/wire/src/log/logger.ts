/**
 * How important a log line is, from the least: `debug` (every refusal and
 * drop, with its reason: normal on a real network), `info` (a notable change
 * of state: a peer banned, direct I/O turned off), `warn` (something local
 * went wrong and was recovered from: state not saved, retried), `error` (a
 * failure that loses something or is a bug).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Every {@link LogLevel}, least important first. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['debug', 'info', 'warn', 'error'])

/**
 * Structured facts of one log line (`address`, `code`, `peer`...), kept
 * apart from the message so that a logger can print or index them. Values
 * are read only when the line is written.
 */
export type LogFields = Readonly<Record<string, unknown>>

/**
 * The logger of one component (`mycel:dht`, `mycel:peer`...). Every method
 * is cheap when its level is off: no formatting is done, the fields are
 * not read. Build an expensive message only after {@link ComponentLogger.enabled}.
 * Logging never throws.
 *
 * @example
 * ```ts
 * const log = logger.forComponent('mycel:dht')
 * log.debug('dropped a malformed datagram', { from: '203.0.113.5:6881', reason: err.message })
 * if (log.enabled('debug')) log.debug(`routing table: ${describe(table)}`)
 * ```
 */
export interface ComponentLogger {
  /** The component's name, as given to {@link Logger.forComponent}. */
  readonly component: string
  /**
   * Whether lines of `level` are written: check it before building a
   * message that costs something.
   *
   * @param level - the level asked about; default `debug`
   * @returns true when a line of that level would be written
   */
  enabled(level?: LogLevel): boolean
  /**
   * Logs a refusal, a drop or a detail: what happened and why.
   * @param message - one line of text (control characters are escaped by text loggers)
   * @param fields - structured facts, read only if the line is written
   */
  debug(message: string, fields?: LogFields): void
  /**
   * Logs a notable change of state.
   * @param message - one line of text
   * @param fields - structured facts, read only if the line is written
   */
  info(message: string, fields?: LogFields): void
  /**
   * Logs a local fault that was recovered from.
   * @param message - one line of text
   * @param fields - structured facts, read only if the line is written
   */
  warn(message: string, fields?: LogFields): void
  /**
   * Logs a failure that lost something, or a bug.
   * @param message - one line of text
   * @param fields - structured facts, read only if the line is written
   */
  error(message: string, fields?: LogFields): void
}

/**
 * Where mycel's packages log: one {@link ComponentLogger} per component.
 * Every package takes an optional `logger` option and uses
 * {@link silentLogger} without one. Adapt any logging library by
 * implementing this one method (see docs/embedding.md, "Logging").
 *
 * @example
 * ```ts
 * import { createTextLogger } from '@mycel/wire/log'
 *
 * const logger = createTextLogger({ write: (line) => console.error(line), components: 'mycel:peer,mycel:dht' })
 * const node = await createNode({ logger })
 * ```
 */
export interface Logger {
  /**
   * The logger of one component. Called when a part is built, not per line.
   * @param name - the component, such as `mycel:dht`
   * @returns its logger
   */
  forComponent(name: string): ComponentLogger
}

/**
 * An error in a few words for a log message: `CODE: message` for an error
 * with a string `code` (every mycel error), else its message (a Node
 * system error's message starts with its code already).
 *
 * @param error - what was thrown or passed as a reason
 * @returns the text
 *
 * @example
 * ```ts
 * log.debug(`dial ${address} failed: ${describeError(error)}`)
 * ```
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message
}

const ignore = (): void => {}
const never = (): boolean => false

/**
 * A component logger that writes nothing and reads nothing.
 * @param component - the component's name
 * @returns the logger
 * @internal
 */
export function silentComponentLogger(component: string): ComponentLogger {
  return { component, enabled: never, debug: ignore, info: ignore, warn: ignore, error: ignore }
}

/**
 * The logger every mycel package uses when it is given none: it writes
 * nothing, and each call costs a function call that returns at once.
 *
 * @example
 * ```ts
 * const log = (options.logger ?? silentLogger).forComponent('mycel:store')
 * ```
 */
export const silentLogger: Logger = Object.freeze({ forComponent: silentComponentLogger })

/**
 * The component logger of `logger`, or a silent one when `logger` is
 * undefined: what a part does with its optional `logger` option.
 *
 * @param logger - the option, possibly undefined
 * @param component - the component's name
 * @returns the component logger
 * @throws TypeError when `logger` is neither undefined nor an object with `forComponent`
 *
 * @example
 * ```ts
 * this.log = componentLogger(options.logger, 'mycel:transport')
 * ```
 */
export function componentLogger(logger: Logger | undefined, component: string): ComponentLogger {
  if (logger === undefined) return silentComponentLogger(component)
  if (typeof logger !== 'object' || logger === null || typeof logger.forComponent !== 'function') {
    throw new TypeError('logger must be an object with a forComponent(name) method')
  }
  return logger.forComponent(component)
}
