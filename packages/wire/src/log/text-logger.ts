import { componentFilter } from './components.js'
import {
  type ComponentLogger,
  LOG_LEVELS,
  type LogFields,
  type Logger,
  type LogLevel,
  silentComponentLogger,
} from './logger.js'

/** Options of {@link createTextLogger}. */
export interface TextLoggerOptions {
  /**
   * Receives each line, without a line break (`(line) => process.stderr.write(`${line}\n`)`).
   * Whatever it throws is ignored: logging never fails the caller.
   */
  readonly write: (line: string) => void
  /**
   * The components written: `'mycel:*'` (the default: every mycel
   * component), a list such as `'mycel:peer,mycel:dht'` or
   * `['mycel:peer', 'mycel:dht']`, with `*` wildcards and `-` exclusions
   * (see {@link componentFilter}).
   */
  readonly components?: string | readonly string[]
  /** The least important level written. Default `debug` (everything). */
  readonly level?: LogLevel
  /** Milliseconds since the epoch, for the time of each line. Default `Date.now`. */
  readonly now?: () => number
}

/** Each level's rank: a line is written when its rank is at least the logger's least level's. */
const RANK: Readonly<Record<string, number>> = Object.freeze({ debug: 0, info: 1, warn: 2, error: 3 })

/** Bytes of a byte-string field shown, in hex; the rest is counted. */
const MAX_FIELD_BYTES = 32
/** Characters of one formatted field value kept; the rest is counted. */
const MAX_FIELD_CHARS = 512

/**
 * A logger that writes one line of text per event, for apps and the `mycel`
 * command:
 *
 * ```text
 * 2025-05-01T12:00:00.000Z mycel:peer debug refused tcp://203.0.113.5:41000: 8 connections address=tcp://203.0.113.5:41000 reason=address-connections
 * ```
 *
 * the time (ISO 8601, UTC), the component, the level, the message, then the
 * fields as `key=value` (strings with spaces or quotes in JSON quotes, byte
 * strings in hex, errors as `name[code]: message`). Control characters in
 * messages and values are escaped, so text a remote sent can never start a
 * line of its own. Components and levels that are off cost nothing: their
 * methods are no-ops that read neither message nor fields.
 *
 * @param options - where lines go, which components, from which level
 * @returns the logger
 * @throws TypeError when `write` is not a function or `components` is not a string or list of strings;
 *   RangeError for an unknown `level`
 *
 * @example
 * ```ts
 * import { createTextLogger } from '@mycel/wire/log'
 *
 * const logger = createTextLogger({
 *   write: (line) => process.stderr.write(`${line}\n`),
 *   components: process.env.MYCEL_DEBUG ?? 'mycel:*',
 * })
 * const node = await createNode({ logger })
 * ```
 */
export function createTextLogger(options: TextLoggerOptions): Logger {
  if (typeof options !== 'object' || options === null || typeof options.write !== 'function') {
    throw new TypeError('options.write must be a function')
  }
  const level = options.level ?? 'debug'
  const least = RANK[level] ?? -1
  if (least < 0 || !Object.hasOwn(RANK, level))
    throw new RangeError(`options.level must be one of ${LOG_LEVELS.join(', ')}`)
  const selected = componentFilter(options.components ?? 'mycel:*')
  const { write } = options
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw new TypeError('options.now must be a function')
  return {
    forComponent(name: string): ComponentLogger {
      if (typeof name !== 'string') throw new TypeError('a component name must be a string')
      if (!selected(name)) return silentComponentLogger(name)
      const component = escapeText(name)
      const at = (lineLevel: LogLevel) => {
        if ((RANK[lineLevel] as number) < least) return ignore
        return (message: string, fields?: LogFields): void => {
          try {
            write(
              `${new Date(now()).toISOString()} ${component} ${lineLevel} ${escapeText(String(message))}${formatFields(fields)}`,
            )
          } catch {
            // A broken output (a closed pipe) must not break the node that logs.
          }
        }
      }
      return {
        component: name,
        enabled: (asked: LogLevel = 'debug') => (RANK[asked] ?? -1) >= least,
        debug: at('debug'),
        info: at('info'),
        warn: at('warn'),
        error: at('error'),
      }
    },
  }
}

const ignore = (): void => {}

/** ` key=value` for each field that is not undefined. */
function formatFields(fields: LogFields | undefined): string {
  if (fields === undefined || fields === null || typeof fields !== 'object') return ''
  let out = ''
  for (const key of Object.keys(fields)) {
    const value = fields[key]
    if (value === undefined) continue
    const name = /^[\w.-]{1,64}$/.test(key) ? key : escapeText(JSON.stringify(key.slice(0, 64)))
    out += ` ${name}=${formatValue(value)}`
  }
  return out
}

/**
 * One field value as text: plain when it has no space, quote, `=` or
 * control character, else quoted.
 * @internal
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return quoted(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) {
    return String(value)
  }
  if (value instanceof Uint8Array) {
    let hex = ''
    for (const byte of value.subarray(0, MAX_FIELD_BYTES)) hex += byte.toString(16).padStart(2, '0')
    return value.length > MAX_FIELD_BYTES ? `${hex}…(${value.length} bytes)` : hex
  }
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code
    return quoted(`${value.name}${typeof code === 'string' ? `[${code}]` : ''}: ${value.message}`)
  }
  let json: string | undefined
  try {
    json = JSON.stringify(value, (_, inner: unknown) => (typeof inner === 'bigint' ? String(inner) : inner))
  } catch {
    json = undefined
  }
  return json === undefined ? quoted(Object.prototype.toString.call(value)) : clip(escapeText(json))
}

function quoted(text: string): string {
  const clipped = clip(text)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
  return /^[^\s"=\\\x00-\x1f\x7f-\x9f\u2028\u2029]+$/.test(clipped) ? clipped : escapeText(JSON.stringify(clipped))
}

function clip(text: string): string {
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…(${text.length} characters)` : text
}

/**
 * Escapes the characters that would break a line or move a terminal's
 * cursor: C0 and C1 controls, DEL, and the Unicode line and paragraph
 * separators.
 * @internal
 */
export function escapeText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (char) => {
    switch (char) {
      case '\n':
        return '\\n'
      case '\r':
        return '\\r'
      case '\t':
        return '\\t'
      default:
        return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
    }
  })
}
