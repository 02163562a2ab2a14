/**
 * The v1 half of hybrid (v1+v2) info dictionaries: the file list with BEP 47
 * pad files exactly as libtorrent lays it out, and its consistency with the
 * v2 file tree.
 * @internal
 * @module
 */
import type { BencodeDict, BencodeInput, BencodeValue } from '@mycel/wire'
import { PiecesError } from '../errors.js'
import type { HashProvider } from '../hash/provider.js'
import { type ManifestLimits, SHA1_SIZE } from '../limits.js'
import type { HybridInfo, ManifestFile } from './model.js'
import { assertSafePath } from './paths.js'

/** One entry of a v1 `files` list. */
export interface V1Entry {
  path: readonly string[]
  length: number
  attr: string
  pad: boolean
}

/**
 * The v1 file list libtorrent 2.0 writes for files in canonical order.
 *
 * With tail padding (libtorrent's default), a pad file follows every
 * non-empty file whose end is not on a piece boundary, the last file
 * included, unless the share has a single file. Without it (libtorrent's
 * `canonical_files_no_tail_padding`), a pad file comes before every
 * non-empty file that would start off a piece boundary. Pad files are named
 * `.pad/<size>` and carry the attribute `p`.
 */
export function v1Layout(files: readonly ManifestFile[], pieceLength: number, tailPadding: boolean): V1Entry[] {
  const out: V1Entry[] = []
  let offset = 0
  const pad = () => {
    const size = pieceLength - (offset % pieceLength)
    out.push({ path: ['.pad', String(size)], length: size, attr: 'p', pad: true })
    offset += size
  }
  for (const file of files) {
    if (!tailPadding && file.length > 0 && offset % pieceLength !== 0) pad()
    out.push({ path: file.path, length: file.length, attr: file.attr, pad: false })
    offset += file.length
    if (tailPadding && files.length > 1 && file.length > 0 && offset % pieceLength !== 0) pad()
  }
  return out
}

/** Whether a hybrid export of these files uses the single-file form (`length` instead of `files`). */
export function usesSingleFileForm(name: string, files: readonly ManifestFile[]): boolean {
  const only = files[0]
  return files.length === 1 && only !== undefined && only.path.length === 1 && only.path[0] === name
}

/** The `files` list of a v1 layout as bencode input. */
export function v1FilesList(entries: readonly V1Entry[]): BencodeInput {
  return entries.map((entry) => ({
    attr: entry.attr === '' ? undefined : entry.attr,
    length: entry.length,
    path: [...entry.path],
  }))
}

interface HybridContext {
  name: string
  files: readonly ManifestFile[]
  pieceLength: number
  pieceCount: number
  info: Uint8Array
  hash: HashProvider
  limits: ManifestLimits
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function mismatch(why: string): PiecesError {
  return new PiecesError('MANIFEST_HYBRID_MISMATCH', `the v1 part of this hybrid info dictionary ${why}`)
}

/**
 * Checks the v1 keys of an info dictionary, if any, against its v2 file tree:
 * `pieces` of one SHA-1 per piece, and either `length` (one file named like
 * the share) or a `files` list equal to one of libtorrent's two layouts.
 */
export function checkHybrid(dict: BencodeDict, context: HybridContext): HybridInfo | undefined {
  const { pieces, files: list, length } = dict
  if (pieces === undefined && list === undefined && length === undefined) return undefined
  if (!(pieces instanceof Uint8Array)) throw mismatch('has a file list but no "pieces"')
  if (pieces.length !== SHA1_SIZE * context.pieceCount) {
    throw mismatch(`has ${pieces.length} bytes of "pieces" for ${context.pieceCount} pieces`)
  }
  const infohashV1 = sha1(context.info, context.hash)
  if (list === undefined && length !== undefined) {
    const only = context.files[0]
    if (!usesSingleFileForm(context.name, context.files) || only?.length !== length) {
      throw mismatch('has a "length" that is not the one file of the tree')
    }
    return { infohashV1, tailPadding: true }
  }
  if (length !== undefined || !Array.isArray(list)) throw mismatch('needs exactly one of "files" and "length"')
  const entries = readV1List(list, context.limits)
  for (const tailPadding of [true, false]) {
    if (sameLayout(entries, v1Layout(context.files, context.pieceLength, tailPadding))) {
      return { infohashV1, tailPadding }
    }
  }
  throw mismatch('lists other files, sizes or pad files than the v2 file tree')
}

function readV1List(list: BencodeValue[], limits: ManifestLimits): V1Entry[] {
  if (list.length > 2 * limits.maxFiles) throw PiecesError.tooLarge('v1 file count', list.length, 2 * limits.maxFiles)
  return list.map((item) => {
    if (typeof item !== 'object' || item === null || item instanceof Uint8Array || Array.isArray(item)) {
      throw PiecesError.malformed('a v1 file entry is not a dictionary')
    }
    const { length, path, attr } = item as BencodeDict
    if (typeof length !== 'number' || length < 0) throw mismatch('has a file without a valid length')
    if (!Array.isArray(path) || !path.every((part) => part instanceof Uint8Array)) {
      throw PiecesError.malformed('a v1 file path is not a list of byte strings')
    }
    let components: string[]
    try {
      components = (path as Uint8Array[]).map((part) => utf8.decode(part))
    } catch (err) {
      throw new PiecesError('MANIFEST_BAD_PATH', 'a v1 file path is not valid UTF-8', { cause: err })
    }
    assertSafePath(components, limits)
    const letters = attr instanceof Uint8Array ? String.fromCharCode(...attr.subarray(0, 16)) : ''
    return { path: components, length, attr: letters, pad: letters.includes('p') }
  })
}

function sameLayout(actual: readonly V1Entry[], expected: readonly V1Entry[]): boolean {
  if (actual.length !== expected.length) return false
  return actual.every((entry, i) => {
    const other = expected[i] as V1Entry
    if (entry.pad !== other.pad || entry.length !== other.length) return false
    return entry.pad || (entry.path.length === other.path.length && entry.path.every((c, k) => c === other.path[k]))
  })
}

/** SHA-1 of bytes. */
export function sha1(bytes: Uint8Array, hash: HashProvider): Uint8Array {
  const state = hash.createSha1()
  state.update(bytes)
  return state.digest()
}
