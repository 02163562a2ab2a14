import { isAbsolute } from 'node:path'
import { CliError } from '../errors.js'

/** The params of a method: an object (JSON-RPC by-name params). */
export type Params = Record<string, unknown>

/** Longest text a param may hold (paths, links, peer ids). */
const MAX_TEXT_LENGTH = 8192
/** Most items in a list param (files, peers, trackers, readers). */
const MAX_LIST_ITEMS = 10_000

/**
 * A required text param.
 *
 * @throws {@link CliError} `USAGE` when it is missing, not a string or too long
 */
export function text(params: Params, name: string): string {
  const value = params[name]
  if (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH) throw CliError.usage(`${name} must be a string`)
  return value
}

/** An optional text param. */
export function optionalText(params: Params, name: string): string | undefined {
  return params[name] === undefined || params[name] === null ? undefined : text(params, name)
}

/**
 * A share's infohash: 64 hex digits, lowercased.
 *
 * @throws {@link CliError} `USAGE`
 */
export function infohash(params: Params, name = 'infohash'): string {
  const value = text(params, name).toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(value)) throw CliError.usage(`${name} must be 64 hex digits`)
  return value
}

/** An optional positive integer param. */
export function optionalPositiveInteger(params: Params, name: string): number | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw CliError.usage(`${name} must be a positive integer`)
  return value as number
}

/** An optional list of strings. */
export function optionalTextList(params: Params, name: string): string[] | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (
    !Array.isArray(value) ||
    value.length > MAX_LIST_ITEMS ||
    !value.every((item) => typeof item === 'string' && item.length <= MAX_TEXT_LENGTH)
  ) {
    throw CliError.usage(`${name} must be a list of strings`)
  }
  return value as string[]
}

/** An optional boolean param. */
export function optionalFlag(params: Params, name: string): boolean | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw CliError.usage(`${name} must be true or false`)
  return value
}

/**
 * A path on the daemon's machine: absolute (a relative one would be read from
 * wherever the daemon was started).
 *
 * @throws {@link CliError} `USAGE`
 */
export function absolutePath(params: Params, name: string): string {
  const value = text(params, name)
  if (!isAbsolute(value)) throw CliError.usage(`${name} must be an absolute path on the daemon's machine`)
  return value
}

/** An optional absolute path. */
export function optionalAbsolutePath(params: Params, name: string): string | undefined {
  return params[name] === undefined || params[name] === null ? undefined : absolutePath(params, name)
}
