import type { Manifest, ManifestFile } from '@mycel/pieces'
import { NodeError } from './errors.js'
import { REQUEST_BYTES } from './swarm/piece-download.js'
import type { ReadWindow, Swarm } from './swarm/swarm.js'

/** Options of {@link MycelNode.createReadStream}. */
export interface ReadStreamOptions {
  /** First byte to read (default 0). */
  start?: number
  /** Last byte to read, inclusive, as in `fs.createReadStream` (default: the end of the file). */
  end?: number
  /** Bytes of the file ahead of the reader fetched first (default 8 MiB). */
  readAhead?: number
  /** Aborts the read. */
  signal?: AbortSignal
}

const DEFAULT_READ_AHEAD = 8 * 1024 * 1024

/** Finds a file of a share by its path (components joined with `/`). @internal */
export function findFile(manifest: Manifest, path: string): number {
  const wanted = path.replace(/^\/+/, '')
  const index = manifest.files.findIndex((file) => {
    const joined = file.path.join('/')
    return joined === wanted || (manifest.singleFile && (wanted === '' || wanted === manifest.name))
  })
  if (index < 0) throw new NodeError('FILE_NOT_FOUND', `the share has no file ${JSON.stringify(path)}`)
  return index
}

/**
 * The verified bytes of a range of one file, fetched on demand. The reader
 * declares its window to the swarm at once (before the manifest is known),
 * so the pieces under it are fetched first and with Merkle proofs; pieces
 * already held are read from the store, and a range of a piece still
 * downloading is handed out as soon as its proof checks.
 * @internal
 */
export async function* readFile(
  swarm: Swarm,
  path: string,
  options: ReadStreamOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal } = options
  const window: ReadWindow = {
    path: path.replace(/^\/+/, ''),
    position: options.start ?? 0,
    end: options.end ?? Number.MAX_SAFE_INTEGER,
    readAhead: options.readAhead ?? DEFAULT_READ_AHEAD,
  }
  swarm.want(window)
  try {
    while (swarm.manifest === undefined) {
      if (swarm.error !== undefined) throw swarm.error
      await swarm.changed(signal)
    }
    yield* readRange(swarm, findFile(swarm.manifest, path), window, signal)
  } finally {
    swarm.want(window, true)
  }
}

async function* readRange(
  swarm: Swarm,
  fileIndex: number,
  window: ReadWindow,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  const manifest = swarm.manifest as Manifest
  const file = manifest.files[fileIndex] as ManifestFile
  const end = Math.min(window.end, file.length - 1)
  if (!Number.isSafeInteger(window.position) || window.position < 0 || window.position > end + 1) {
    throw new NodeError(
      'RANGE_INVALID',
      `cannot read ${window.position}..${window.end} of a file of ${file.length} bytes`,
    )
  }
  let position = window.position
  while (position <= end) {
    if (signal?.aborted) throw NodeError.aborted(signal.reason)
    const piece = file.firstPiece + Math.floor(position / manifest.pieceLength)
    const pieceStart = (piece - file.firstPiece) * manifest.pieceLength
    let chunk: Uint8Array | undefined
    if (swarm.has(piece)) {
      const pieceEnd = Math.min(pieceStart + manifest.pieceSize(piece) - 1, end)
      chunk = await (swarm.store as NonNullable<Swarm['store']>).read(fileIndex, position, pieceEnd - position + 1)
    } else {
      if (swarm.error !== undefined) throw swarm.error
      const rangeOffset = Math.floor((position - pieceStart) / REQUEST_BYTES) * REQUEST_BYTES
      const proven = swarm.provenRange(piece, rangeOffset)
      if (proven !== undefined) {
        const from = position - pieceStart - rangeOffset
        chunk = proven.slice(from, Math.min(proven.length, end - pieceStart - rangeOffset + 1))
      }
    }
    if (chunk === undefined) {
      await swarm.changed(signal)
      continue
    }
    position += chunk.length
    window.position = position
    swarm.want(window)
    yield chunk
  }
}
