/**
 * File paths in manifests: which are safe, and the canonical order.
 * @internal
 * @module
 */
import { PiecesError } from '../errors.js'
import type { ManifestLimits } from '../limits.js'

const utf8 = new TextEncoder()
const LONE_SURROGATE = /\p{Surrogate}/u

/** UTF-8 byte length of a string without lone surrogates. */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit < 0xdc00) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

/**
 * Refuses a name or path component that could reach outside the folder it
 * belongs to or that no file system can hold: empty, `.`, `..`, containing
 * `/`, `\` or NUL, not valid Unicode, or longer than the limit.
 */
export function assertSafeComponent(component: string, limits: ManifestLimits, what = 'path component'): void {
  if (typeof component !== 'string') throw PiecesError.badPath(String(component), `${what} is not text`)
  if (component.length === 0) throw PiecesError.badPath(component, `empty ${what}`)
  if (component === '.' || component === '..') throw PiecesError.badPath(component, `${what} is a relative reference`)
  if (/[/\\\0]/.test(component)) throw PiecesError.badPath(component, `${what} contains a separator or NUL`)
  if (LONE_SURROGATE.test(component)) throw PiecesError.badPath(component, `${what} is not valid Unicode`)
  const bytes = utf8Length(component)
  if (bytes > limits.maxComponentBytes) {
    throw PiecesError.badPath(component, `${what} of ${bytes} bytes is over ${limits.maxComponentBytes}`)
  }
}

/** Refuses an unsafe file path (see {@link assertSafeComponent}), or one too deep or too long. */
export function assertSafePath(path: readonly string[], limits: ManifestLimits): void {
  if (!Array.isArray(path) || path.length === 0) throw PiecesError.badPath('', 'a file needs a non-empty path')
  if (path.length > limits.maxPathDepth) {
    throw PiecesError.badPath(path.join('/'), `${path.length} components is over ${limits.maxPathDepth}`)
  }
  let bytes = path.length - 1
  for (const component of path) {
    assertSafeComponent(component, limits)
    bytes += utf8Length(component)
  }
  if (bytes > limits.maxPathBytes) {
    throw PiecesError.badPath(path.join('/'), `path of ${bytes} bytes is over ${limits.maxPathBytes}`)
  }
}

/** Moves surrogates (halves of code points above U+FFFF) after all other code units. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit
  if (unit < 0xe000) return unit + 0x2000
  return unit - 0x800
}

/** Orders strings as their UTF-8 bytes are ordered (code point order). */
export function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

/**
 * The canonical order of files: component by component, each compared as
 * UTF-8 bytes, a path before the paths inside it. This is the order of a
 * BEP 52 file tree walked with its keys sorted, and libtorrent's order.
 */
export function comparePaths(a: readonly string[], b: readonly string[]): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const order = compareText(a[i] as string, b[i] as string)
    if (order !== 0) return order
  }
  return a.length - b.length
}

/**
 * Checks paths already in canonical order: no two equal, and no file whose
 * path is also a folder of another file.
 */
export function assertDistinctPaths(paths: readonly (readonly string[])[]): void {
  for (let i = 1; i < paths.length; i++) {
    const previous = paths[i - 1] as readonly string[]
    const current = paths[i] as readonly string[]
    if (previous.length <= current.length && previous.every((component, k) => component === current[k])) {
      const why = previous.length === current.length ? 'two files with this path' : 'a file is also a folder'
      throw new PiecesError('MANIFEST_DUPLICATE_PATH', `${why}: ${JSON.stringify(previous.join('/'))}`)
    }
  }
}

/** UTF-8 bytes of text. */
export function encodeUtf8(text: string): Uint8Array {
  return utf8.encode(text)
}
