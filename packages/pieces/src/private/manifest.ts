/**
 * The encrypted manifest of a private share: its name, its files (paths,
 * lengths, executable bit) in canonical order, and where each starts in the
 * content stream. Only readers see it.
 * @module
 */
import { type BencodeValue, decodeBencode, encodeBencode } from '@mycel/wire'
import { PiecesError } from '../errors.js'
import { MANIFEST_LIMITS, type ManifestLimits } from '../limits.js'
import { assertDistinctPaths, assertSafeComponent, assertSafePath, comparePaths } from '../manifest/paths.js'
import { PRIVATE_LIMITS } from './limits.js'

/** A file of a private share. */
export interface PrivateFile {
  /** Path components inside the share (for a single file: `[name]`). */
  readonly path: readonly string[]
  /** Bytes. */
  readonly length: number
  /** Whether the file is executable. */
  readonly executable: boolean
  /** Where its bytes start in the content stream (the files follow each other in canonical order). */
  readonly offset: number
}

/** What a reader learns once the manifest opens. */
export interface PrivateManifest {
  /** The share's name: the file name of a single file, the folder name otherwise. */
  readonly name: string
  /** The files, in canonical order. */
  readonly files: readonly PrivateFile[]
  /** Bytes of all files together: the content stream before padding. */
  readonly contentLength: number
}

/** A file as a sharer describes it, before offsets are assigned. */
export interface PrivateFileInput {
  readonly path: readonly string[]
  readonly length: number
  readonly executable?: boolean
}

/**
 * Builds a manifest: sorts the files in canonical order, checks names and
 * paths as a public manifest's, and gives each its offset.
 *
 * @param name - the share's name
 * @param files - the files
 * @param limits - manifest bounds (default {@link MANIFEST_LIMITS})
 * @returns the manifest
 * @throws PiecesError `MANIFEST_BAD_PATH`, `MANIFEST_DUPLICATE_PATH`, `MANIFEST_TOO_LARGE`, `MANIFEST_EMPTY`
 */
export function createPrivateManifest(
  name: string,
  files: readonly PrivateFileInput[],
  limits: ManifestLimits = MANIFEST_LIMITS,
): PrivateManifest {
  assertSafeComponent(name, limits, 'name')
  if (files.length === 0) throw new PiecesError('MANIFEST_EMPTY', 'a private share needs at least one file')
  if (files.length > limits.maxFiles) throw PiecesError.tooLarge('file count', files.length, limits.maxFiles)
  const ordered = [...files].sort((a, b) => comparePaths(a.path, b.path))
  for (const file of ordered) {
    assertSafePath(file.path, limits)
    if (!Number.isSafeInteger(file.length) || file.length < 0) {
      throw new PiecesError('MANIFEST_BAD_LENGTH', `length of ${JSON.stringify(file.path.join('/'))} is not a size`)
    }
  }
  assertDistinctPaths(ordered.map((file) => file.path))
  let offset = 0
  const out: PrivateFile[] = []
  for (const file of ordered) {
    out.push({ path: [...file.path], length: file.length, executable: file.executable === true, offset })
    offset += file.length
    if (!Number.isSafeInteger(offset)) throw new PiecesError('MANIFEST_BAD_LENGTH', 'the files add up past 2^53')
  }
  return { name, files: out, contentLength: offset }
}

/**
 * Encodes a manifest as canonical bencode:
 * `{ "files": [{ "length", "path": [...], "x"?: 1 }], "name", "v": 1 }`.
 *
 * @param manifest - the manifest
 * @returns its bytes (the plaintext that is sealed)
 */
export function encodePrivateManifest(manifest: PrivateManifest): Uint8Array {
  return encodeBencode({
    files: manifest.files.map((file) => ({
      length: file.length,
      path: file.path,
      x: file.executable ? 1 : undefined,
    })),
    name: manifest.name,
    v: 1,
  })
}

function invalid(why: string, cause?: unknown): PiecesError {
  return new PiecesError('PRIVATE_MANIFEST_INVALID', `the private manifest ${why}`, { cause })
}

function text(value: BencodeValue | undefined, what: string): string {
  if (!(value instanceof Uint8Array)) throw invalid(`has no ${what}`)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(value)
  } catch (cause) {
    throw invalid(`has a ${what} that is not UTF-8`, cause)
  }
}

function isDict(value: BencodeValue | undefined): value is Record<string, BencodeValue> {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !Array.isArray(value)
}

/**
 * Decodes and checks a manifest that opened: canonical bencode, version 1,
 * safe name and paths in canonical order, no duplicates, lengths that fit
 * the content stream the data file can hold.
 *
 * @param bytes - the plaintext of the sealed manifest
 * @param contentCapacity - bytes of the data file after the manifest (the stream and its padding)
 * @param limits - manifest bounds (default {@link MANIFEST_LIMITS})
 * @returns the manifest
 * @throws PiecesError `PRIVATE_MANIFEST_INVALID` for anything else (the `cause` says what)
 */
export function decodePrivateManifest(
  bytes: Uint8Array,
  contentCapacity: number,
  limits: ManifestLimits = MANIFEST_LIMITS,
): PrivateManifest {
  if (bytes.length > PRIVATE_LIMITS.maxManifestBytes) throw invalid('is over the size limit')
  let root: BencodeValue
  try {
    root = decodeBencode(bytes, { maxBytes: PRIVATE_LIMITS.maxManifestBytes, maxDepth: 4 })
  } catch (cause) {
    throw invalid('is not canonical bencode', cause)
  }
  if (!isDict(root)) throw invalid('is not a dictionary')
  for (const key of Object.keys(root)) {
    if (key !== 'files' && key !== 'name' && key !== 'v') throw invalid(`has an unknown key ${JSON.stringify(key)}`)
  }
  if (root.v !== 1) throw invalid('is not version 1')
  const name = text(root.name, 'name')
  const list = root.files
  if (!Array.isArray(list)) throw invalid('has no file list')
  if (list.length > limits.maxFiles) throw invalid(`has more than ${limits.maxFiles} files`)
  const files: PrivateFileInput[] = []
  let previous: readonly string[] | undefined
  for (const entry of list) {
    if (!isDict(entry)) throw invalid('has a file that is not a dictionary')
    for (const key of Object.keys(entry)) {
      if (key !== 'length' && key !== 'path' && key !== 'x') throw invalid(`has a file key ${JSON.stringify(key)}`)
    }
    const { length, path, x } = entry
    if (typeof length !== 'number' || length < 0) throw invalid('has a file length that is not a size')
    if (!Array.isArray(path) || path.length === 0) throw invalid('has a file without a path')
    if (x !== undefined && x !== 1) throw invalid('has an executable flag that is not 1')
    const components = path.map((component) => text(component, 'path component'))
    if (previous !== undefined && comparePaths(previous, components) >= 0) {
      throw invalid('lists files out of canonical order')
    }
    previous = components
    files.push({ path: components, length, executable: x === 1 })
  }
  let manifest: PrivateManifest
  try {
    manifest = createPrivateManifest(name, files, limits)
  } catch (cause) {
    throw invalid('has an unsafe name or path, or no file', cause)
  }
  if (manifest.contentLength > contentCapacity) throw invalid('lists more bytes than the data file holds')
  return manifest
}
