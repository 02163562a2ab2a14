import { assertSignal } from '@mycel/wire/assert'
import { throwIfAborted } from '@mycel/wire/signal'
import { PiecesError } from './errors.js'
import { type HashProvider, resolveHashProvider } from './hash/provider.js'
import { choosePieceLength, type ManifestLimits, resolveLimits } from './limits.js'
import { assertPieceLength } from './manifest/assemble.js'
import { createManifest, type ManifestFileInput } from './manifest/create.js'
import type { Manifest } from './manifest/model.js'
import { assertDistinctPaths, assertSafeComponent, assertSafePath, comparePaths } from './manifest/paths.js'
import { FileHasher } from './merkle/file-hasher.js'

/** One file to hash: where it goes in the share and where its bytes come from. */
export interface IngestSource {
  /** Path components relative to the share root (for a single file: `[name]`). */
  readonly path: readonly string[]
  /**
   * The file's bytes, in chunks of any size. Each chunk is hashed before the
   * next is asked for, so a source may reuse its buffer.
   */
  readonly content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>
  /**
   * The file's size, if known. Needed to choose the piece length (unless
   * `pieceLength` is given); when given, the content must have exactly this
   * many bytes.
   */
  readonly length?: number
  /** Mark the file executable (BEP 47 attribute `x`). Default false. */
  readonly executable?: boolean
}

/** Blocks of a file hashed elsewhere: the SHA-256 of each 16 KiB block, and the bytes they cover. */
export interface HashedBlocks {
  /** 32 bytes per block, in file order. */
  readonly hashes: Uint8Array
  /** Bytes of file covered: whole blocks, except that the file's last may be short. */
  readonly byteLength: number
}

/**
 * One file whose blocks were hashed elsewhere (in worker threads that also
 * made its bytes, as a private share's ciphertext is made): ingest folds
 * the block hashes into the file's Merkle tree as it would the bytes'.
 */
export interface HashedIngestSource {
  /** Path components relative to the share root. */
  readonly path: readonly string[]
  /** The file's size: the block hashes must cover exactly this many bytes. */
  readonly length: number
  /** The block hashes, in file order, in batches of any number of blocks. */
  readonly blockHashes: AsyncIterable<HashedBlocks>
  /** Mark the file executable (BEP 47 attribute `x`). Default false. */
  readonly executable?: boolean
}

/** Progress of an ingest, reported after every chunk hashed. */
export interface IngestProgress {
  /** Bytes hashed so far, all files together. */
  readonly bytesHashed: number
  /** Bytes in all files, when every source has a length. */
  readonly totalBytes?: number
  /** Files completely hashed. */
  readonly filesDone: number
  /** Files in the share. */
  readonly fileCount: number
  /** The file being hashed. */
  readonly path: readonly string[]
}

/** Options of {@link ingest}. */
export interface IngestOptions {
  /** The share's name: the file name for a single file, the folder name otherwise. */
  name: string
  /** Bytes per piece; default {@link choosePieceLength} of the total size. */
  pieceLength?: number
  /** Hash functions; default {@link index!getDefaultHashProvider}. */
  hash?: HashProvider
  /** Also compute SHA-1 v1 piece hashes, to allow a hybrid `.torrent` export. Default false. */
  v1?: boolean
  /** Aborts the ingest; it then rejects with `PiecesError('ABORTED')`. */
  signal?: AbortSignal
  /** Called after every chunk hashed. */
  onProgress?: (progress: IngestProgress) => void
  /** Tighter or looser bounds than {@link index!MANIFEST_LIMITS}. */
  limits?: Partial<ManifestLimits>
}

/**
 * Hashes files into a manifest, streaming: memory stays constant whatever
 * the sizes (a few blocks, one node per tree level, and the piece layers of
 * the result). Files are hashed one after the other in canonical order.
 *
 * @param sources - the files
 * @param options - name, piece length, hash provider, v1, progress and abort
 * @returns the manifest, with piece layers (and v1 hashes if asked)
 * @throws {@link PiecesError} `INGEST_LENGTH_MISMATCH` if a source's content
 *   does not have its declared length; `ABORTED`; the `MANIFEST_*` codes of
 *   {@link createManifest} for unsafe paths, duplicates or sizes over the limits
 * @throws TypeError if no piece length is given and a source has no length
 *
 * @example
 * ```ts
 * async function* chunks() { yield new TextEncoder().encode('hello ') ; yield new TextEncoder().encode('world') }
 * const manifest = await ingest([{ path: ['hello.txt'], content: chunks(), length: 11 }], { name: 'hello.txt' })
 * formatMagnet({ infohash: manifest.infohash, name: manifest.name })
 * ```
 */
export async function ingest(
  sources: readonly (IngestSource | HashedIngestSource)[],
  options: IngestOptions,
): Promise<Manifest> {
  if (!Array.isArray(sources)) throw new TypeError('sources must be an array')
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  assertSignal(options.signal)
  const limits = resolveLimits(options.limits)
  const hash = resolveHashProvider(options.hash)
  assertSafeComponent(options.name, limits, 'name')
  const ordered = [...sources].sort((a, b) => comparePaths(a.path, b.path))
  for (const source of ordered) {
    assertSafePath(source.path, limits)
    if (source.length !== undefined && (!Number.isSafeInteger(source.length) || source.length < 0)) {
      throw new RangeError(`length of ${JSON.stringify(source.path.join('/'))} must be a non-negative safe integer`)
    }
  }
  assertDistinctPaths(ordered.map((source) => source.path))
  if (ordered.length > limits.maxFiles) throw PiecesError.tooLarge('file count', ordered.length, limits.maxFiles)
  const known = ordered.every((source) => source.length !== undefined)
  const totalBytes = known ? ordered.reduce((sum, source) => sum + (source.length as number), 0) : undefined
  let pieceLength: number
  if (options.pieceLength !== undefined) pieceLength = assertPieceLength(options.pieceLength, limits)
  else if (totalBytes !== undefined) pieceLength = choosePieceLength(totalBytes)
  else throw new TypeError('pieceLength is required when a source has no length')
  if (known) {
    const pieces = ordered.reduce((sum, source) => sum + Math.ceil((source.length as number) / pieceLength), 0)
    if (pieces > limits.maxPieces) throw PiecesError.tooLarge('piece count', pieces, limits.maxPieces)
  }

  const files: ManifestFileInput[] = []
  let bytesHashed = 0
  for (const source of ordered) {
    throwIfAborted(options.signal, PiecesError)
    const hasher = new FileHasher(pieceLength, { hash, v1: options.v1 === true })
    for await (const chunk of chunksOf(source, options)) {
      throwIfAborted(options.signal, PiecesError)
      if (chunk instanceof Uint8Array) {
        hasher.update(chunk)
        bytesHashed += chunk.length
      } else {
        if (hasher.length + chunk.byteLength > (source.length as number)) {
          throw lengthMismatch(source, hasher.length + chunk.byteLength)
        }
        hasher.updateBlockHashes(chunk.hashes, chunk.byteLength)
        bytesHashed += chunk.byteLength
      }
      if (source.length !== undefined && hasher.length > source.length) throw lengthMismatch(source, hasher.length)
      options.onProgress?.({
        bytesHashed,
        ...(totalBytes !== undefined ? { totalBytes } : {}),
        filesDone: files.length,
        fileCount: ordered.length,
        path: source.path,
      })
    }
    throwIfAborted(options.signal, PiecesError)
    if (source.length !== undefined && hasher.length !== source.length) throw lengthMismatch(source, hasher.length)
    files.push({ path: source.path, executable: source.executable === true, ...hasher.digest() })
  }
  return createManifest({ name: options.name, pieceLength, files, hash, limits })
}

/** A source's bytes, or its block hashes (which v1 hashes cannot use: SHA-1 needs the bytes). */
function chunksOf(
  source: IngestSource | HashedIngestSource,
  options: IngestOptions,
): AsyncIterable<Uint8Array | HashedBlocks> | Iterable<Uint8Array> {
  if (!('blockHashes' in source)) return source.content
  if (options.v1 === true) throw new TypeError('v1 hashes need the bytes of every file, not block hashes')
  return source.blockHashes
}

function lengthMismatch(source: IngestSource | HashedIngestSource, actual: number): PiecesError {
  return new PiecesError(
    'INGEST_LENGTH_MISMATCH',
    `${JSON.stringify(source.path.join('/'))} was announced as ${String(source.length)} bytes but gave ${actual}${actual > (source.length ?? 0) ? ' or more' : ''}`,
  )
}
