/**
 * Validates a bencoded BEP 52 info dictionary and its piece layers, and
 * makes a {@link Manifest} of them.
 * @internal
 * @module
 */
import { type BencodeDict, type BencodeValue, decodeBencode, toHex } from '@mycel/wire'
import { PiecesError } from '../errors.js'
import type { HashProvider } from '../hash/provider.js'
import { HASH_SIZE, type ManifestLimits } from '../limits.js'
import { assertPieceLength, type FileEntry, placeFiles } from './assemble.js'
import { wireToPieces } from './container.js'
import { checkHybrid } from './hybrid.js'
import { Manifest } from './model.js'
import { assertSafeComponent, assertSafePath, compareText } from './paths.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Bencode values one manifest may hold, per file allowed (tree, hybrid list and pad entries). */
const ITEMS_PER_FILE = 24

/** Whether a bencode value is a dictionary. */
export function isDict(value: BencodeValue | undefined): value is BencodeDict {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !Array.isArray(value)
}

/** Decodes the text of a byte-string field. */
export function textField(value: BencodeValue | undefined, what: string): string {
  if (!(value instanceof Uint8Array)) throw PiecesError.malformed(`${what} must be a byte string`)
  try {
    return utf8.decode(value)
  } catch (err) {
    throw new PiecesError('MANIFEST_BAD_PATH', `${what} is not valid UTF-8`, { cause: err })
  }
}

/** Decodes an info dictionary with the limits that bound its cost. */
export function decodeInfoDict(info: Uint8Array, limits: ManifestLimits): BencodeDict {
  if (info.length > limits.maxInfoBytes) throw PiecesError.tooLarge('info dictionary', info.length, limits.maxInfoBytes)
  const value = wireToPieces('info dictionary', () =>
    decodeBencode(info, {
      maxBytes: limits.maxInfoBytes,
      maxDepth: limits.maxPathDepth + 8,
      maxItems: ITEMS_PER_FILE * limits.maxFiles + 1000,
    }),
  )
  if (!isDict(value)) throw PiecesError.malformed('the info dictionary is not a dictionary')
  return value
}

/**
 * Checks everything in an info dictionary (given as its exact bytes) and the
 * piece layers that go with it, and returns the manifest.
 *
 * @param layers - piece layers by hex pieces root; every one must belong to a file
 */
export function parseInfo(
  info: Uint8Array,
  layers: ReadonlyMap<string, Uint8Array>,
  hash: HashProvider,
  limits: ManifestLimits,
): Manifest {
  const dict = decodeInfoDict(info, limits)
  const version = dict['meta version']
  if (version === undefined) {
    if (dict.pieces !== undefined)
      throw new PiecesError('TORRENT_V1_ONLY', 'a BitTorrent v1 info dictionary (no v2 file tree)')
    throw PiecesError.malformed('the info dictionary has no "meta version"')
  }
  if (version !== 2) throw new PiecesError('MANIFEST_UNSUPPORTED', `meta version ${String(version)} is not 2`)
  const pieceLength = assertPieceLength(dict['piece length'], limits)
  const name = textField(dict.name, 'name')
  assertSafeComponent(name, limits, 'name')
  const tree = dict['file tree']
  if (!isDict(tree)) throw PiecesError.malformed('"file tree" must be a dictionary')
  const entries: FileEntry[] = []
  walkTree(tree, [], entries, limits)
  const used = new Set<string>()
  for (const entry of entries) {
    if (entry.piecesRoot === undefined || entry.length <= pieceLength) continue
    const key = toHex(entry.piecesRoot)
    entry.pieceLayer = layers.get(key)
    used.add(key)
  }
  for (const key of layers.keys()) {
    if (!used.has(key)) throw new PiecesError('MANIFEST_BAD_PIECE_LAYER', `piece layer ${key} belongs to no file`)
  }
  const files = placeFiles(entries, pieceLength, limits, hash)
  const pieceCount = files.reduce((sum, file) => sum + file.pieceCount, 0)
  const hybrid = checkHybrid(dict, { name, files, pieceLength, pieceCount, info, hash, limits })
  return new Manifest({
    infohash: hash.sha256(info),
    info,
    name,
    pieceLength,
    files,
    singleFile: files.length === 1 && files[0]?.path.length === 1 && dict.files === undefined,
    privateTorrent: dict.private === 1,
    ...(hybrid ? { hybrid } : {}),
  })
}

/** Walks a file tree in canonical order, collecting its files. */
function walkTree(node: BencodeDict, path: string[], out: FileEntry[], limits: ManifestLimits): void {
  // Object key order puts integer-like keys first; the bytes order is code point order.
  const keys = Object.keys(node).sort(compareText)
  if (keys.length === 0) throw PiecesError.malformed(`empty folder ${JSON.stringify(path.join('/'))} in the file tree`)
  for (const key of keys) {
    const child = node[key]
    if (!isDict(child)) throw PiecesError.malformed(`file tree entry ${JSON.stringify(key)} is not a dictionary`)
    if (key === '') {
      if (path.length === 0) throw PiecesError.badPath('', 'a file at the root of the file tree has no name')
      if (keys.length !== 1) {
        throw new PiecesError('MANIFEST_DUPLICATE_PATH', `a file is also a folder: ${JSON.stringify(path.join('/'))}`)
      }
      assertSafePath(path, limits)
      if (out.length >= limits.maxFiles) throw PiecesError.tooLarge('file count', out.length + 1, limits.maxFiles)
      out.push(fileEntry(child, [...path]))
    } else {
      assertSafeComponent(key, limits)
      if (path.length >= limits.maxPathDepth) {
        throw PiecesError.badPath([...path, key].join('/'), `deeper than ${limits.maxPathDepth} components`)
      }
      path.push(key)
      walkTree(child, path, out, limits)
      path.pop()
    }
  }
}

/** Reads the `{ length, pieces root, attr }` dictionary of one file. */
function fileEntry(leaf: BencodeDict, path: string[]): FileEntry {
  const name = JSON.stringify(path.join('/'))
  const length = leaf.length
  if (typeof length !== 'number') {
    throw new PiecesError('MANIFEST_BAD_LENGTH', `file ${name} has no length, or one beyond 2^53`)
  }
  const root = leaf['pieces root']
  if (root !== undefined && (!(root instanceof Uint8Array) || root.length !== HASH_SIZE)) {
    throw new PiecesError('MANIFEST_BAD_PIECES_ROOT', `pieces root of ${name} is not 32 bytes`)
  }
  let attr = ''
  if (leaf.attr !== undefined) {
    if (!(leaf.attr instanceof Uint8Array)) throw PiecesError.malformed(`attr of ${name} is not a byte string`)
    attr = String.fromCharCode(...leaf.attr.subarray(0, 16))
    if (leaf.attr.length > 16 || !/^[a-z]*$/.test(attr)) throw PiecesError.malformed(`attr of ${name} is not letters`)
    if (attr.includes('l') || attr.includes('p')) {
      throw new PiecesError('MANIFEST_UNSUPPORTED', `file ${name} is a symlink or pad file (attr ${attr})`)
    }
  }
  if (leaf['symlink path'] !== undefined) throw new PiecesError('MANIFEST_UNSUPPORTED', `file ${name} is a symlink`)
  return { path, length, piecesRoot: root, attr }
}
