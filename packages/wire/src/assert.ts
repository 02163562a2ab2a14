/**
 * The argument checks of every mycel package, in one style: each names the
 * argument it checks (`assertBytes(key, 'key', 32)`), throws `TypeError` for
 * a value of the wrong type and `RangeError` for a value of the right type
 * outside what is allowed. They are for programming mistakes of the caller;
 * bad input from the network or a file gets the package's own error class
 * with a stable code instead.
 *
 * @example
 * ```ts
 * import { assertBytes, assertInteger, integerOption } from '@mycel/wire/assert'
 *
 * export function deriveKey(secret: Uint8Array, index: number, options: { rounds?: number } = {}) {
 *   assertBytes(secret, 'secret', 32)
 *   assertInteger(index, 'index', { max: 2 ** 31 - 1 })
 *   const rounds = integerOption(options.rounds, 'rounds', { min: 1, max: 64, fallback: 8 })
 * }
 * ```
 *
 * @packageDocumentation
 */

/** Bounds of a number, both inclusive. */
export interface NumberRange {
  /** Smallest allowed value; default 0. */
  readonly min?: number
  /** Largest allowed value; default `Number.MAX_SAFE_INTEGER`. */
  readonly max?: number
}

/** Bounds of an optional number, and the value an omitted one takes. */
export interface NumberOption extends NumberRange {
  /** What `undefined` stands for (not checked against the bounds). */
  readonly fallback: number
}

/**
 * Throws unless `value` is a `Uint8Array` (of exactly `length` bytes, when given).
 *
 * @param value - the argument
 * @param name - its name, for the message
 * @param length - the exact length required, if any
 * @throws TypeError when `value` is not a `Uint8Array`; RangeError when its length is wrong
 *
 * @example
 * ```ts
 * assertBytes(publicKey, 'publicKey', 32)
 * ```
 */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array, got ${describe(value)}`)
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`)
  }
}

/**
 * Returns `value` if it is a safe integer within `range`.
 *
 * @param value - the argument
 * @param name - its name, for the message
 * @param range - inclusive bounds; default 0 to `Number.MAX_SAFE_INTEGER`
 * @returns `value`
 * @throws TypeError when `value` is not a number; RangeError when it is not a safe integer within `range`
 *
 * @example
 * ```ts
 * assertInteger(port, 'port', { min: 1, max: 65535 })
 * ```
 */
export function assertInteger(value: unknown, name: string, range: NumberRange = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`)
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`)
  }
  return value
}

/**
 * {@link assertInteger} for an optional setting: `option.fallback` when
 * `value` is undefined.
 *
 * @param value - the setting, or undefined
 * @param name - its name, for the message
 * @param option - inclusive bounds and the fallback
 * @returns `value`, or the fallback
 * @throws TypeError/RangeError as {@link assertInteger}
 *
 * @example
 * ```ts
 * const k = integerOption(options.k, 'k', { min: 1, max: 64, fallback: 8 })
 * ```
 */
export function integerOption(value: unknown, name: string, option: NumberOption): number {
  return value === undefined ? option.fallback : assertInteger(value, name, option)
}

/**
 * Returns `value` if it is a finite number within `range` (fractions allowed).
 *
 * @param value - the argument
 * @param name - its name, for the message
 * @param range - inclusive bounds; default 0 to `Number.MAX_SAFE_INTEGER`
 * @returns `value`
 * @throws TypeError when `value` is not a number; RangeError when it is not finite or outside `range`
 *
 * @example
 * ```ts
 * assertNumber(loss, 'loss', { max: 1 })
 * ```
 */
export function assertNumber(value: unknown, name: string, range: NumberRange = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`)
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a number from ${min} to ${max}, got ${value}`)
  }
  return value
}

/**
 * {@link assertNumber} for an optional setting: `option.fallback` when `value` is undefined.
 *
 * @param value - the setting, or undefined
 * @param name - its name, for the message
 * @param option - inclusive bounds and the fallback
 * @returns `value`, or the fallback
 * @throws TypeError/RangeError as {@link assertNumber}
 *
 * @example
 * ```ts
 * const loss = numberOption(options.loss, 'loss', { max: 1, fallback: 0 })
 * ```
 */
export function numberOption(value: unknown, name: string, option: NumberOption): number {
  return value === undefined ? option.fallback : assertNumber(value, name, option)
}

/**
 * Throws unless `value` is a string of `minLength` to `maxLength` UTF-16 code units.
 *
 * @param value - the argument
 * @param name - its name, for the message
 * @param lengths - inclusive bounds of `value.length`; default 0 to unbounded
 * @throws TypeError when `value` is not a string; RangeError when its length is outside the bounds
 *
 * @example
 * ```ts
 * assertString(label, 'label', { minLength: 1, maxLength: 255 })
 * ```
 */
export function assertString(
  value: unknown,
  name: string,
  lengths: { readonly minLength?: number; readonly maxLength?: number } = {},
): asserts value is string {
  const { minLength = 0, maxLength = Number.POSITIVE_INFINITY } = lengths
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`)
  if (value.length < minLength) {
    throw new RangeError(
      minLength === 1 ? `${name} must not be empty` : `${name} must be at least ${minLength} characters`,
    )
  }
  if (value.length > maxLength) {
    throw new RangeError(`${name} must be at most ${maxLength} characters, got ${value.length}`)
  }
}

/**
 * Throws unless `value` is an `AbortSignal` or undefined.
 *
 * @param value - the argument
 * @param name - its name, for the message; default `'signal'`
 * @throws TypeError otherwise
 *
 * @example
 * ```ts
 * assertSignal(options.signal)
 * ```
 */
export function assertSignal(value: unknown, name = 'signal'): asserts value is AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new TypeError(`${name} must be an AbortSignal, got ${describe(value)}`)
  }
}

/**
 * Throws unless `value` is a function.
 *
 * @param value - the argument
 * @param name - its name, for the message
 * @throws TypeError otherwise
 *
 * @example
 * ```ts
 * assertFunction(options.onConnection, 'onConnection')
 * ```
 */
// biome-ignore lint/complexity/noBannedTypes: the check is exactly "callable", whatever the signature
export function assertFunction(value: unknown, name: string): asserts value is Function {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${describe(value)}`)
}

/** A short description of a value's type for messages (never its contents, which may be secret). */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object'
  return typeof value
}
