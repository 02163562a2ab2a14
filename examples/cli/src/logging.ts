import { type ComponentLogger, createTextLogger, type Logger } from '@mycel/wire/log'

/** Every mycel component: what `--debug` shows. */
export const ALL_COMPONENTS = 'mycel:*'

/** What the `mycel` command logs, from `--debug` and `MYCEL_DEBUG`. */
export interface CliLogging {
  /** `--debug`: every mycel component at `debug` (unless `components` picks some). */
  readonly debug: boolean
  /**
   * `MYCEL_DEBUG`: the components shown at `debug` (`mycel:peer,mycel:dht`,
   * with `*` and `-` as `componentFilter` reads them; `1` or `all` for every
   * one), with or without `--debug`. Undefined when the variable is unset or empty.
   */
  readonly components: string | undefined
}

/**
 * Reads `MYCEL_DEBUG`: undefined when unset or blank, every component for
 * `1`, `true`, `yes` or `all`, else the patterns as given.
 *
 * @param value - the variable's value
 * @returns the components to show at `debug`, if any
 */
export function readDebugComponents(value: string | undefined): string | undefined {
  const text = value?.trim() ?? ''
  if (text === '') return undefined
  return /^(1|true|yes|all)$/i.test(text) ? ALL_COMPONENTS : text
}

/**
 * The logger of a `mycel` command: the components chosen with `--debug` or
 * `MYCEL_DEBUG` at `debug`; every other mycel component only at `warn` and
 * above (a local fault recovered from: rare, and worth a line without
 * asking). Each line goes through `write` (stderr, above a progress bar).
 *
 * @param logging - `--debug` and `MYCEL_DEBUG`
 * @param write - prints one line
 * @returns the logger to hand to the node, the DHT and the stores
 */
export function createCliLogger(logging: CliLogging, write: (line: string) => void): Logger {
  const chosen = logging.components ?? (logging.debug ? ALL_COMPONENTS : undefined)
  const detailed = chosen === undefined ? undefined : createTextLogger({ write, components: chosen, level: 'debug' })
  const warnings = createTextLogger({ write, components: ALL_COMPONENTS, level: 'warn' })
  return {
    forComponent(name: string): ComponentLogger {
      const shown = detailed?.forComponent(name)
      return shown?.enabled('debug') ? shown : warnings.forComponent(name)
    },
  }
}
