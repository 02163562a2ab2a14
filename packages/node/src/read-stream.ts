import type { Manifest, ManifestFile } from '@mycel/pieces'
import { NodeError } from './errors.js'
import { REQUEST_BYTES } from './swarm/piece-download.js'
import type { Swarm } from './swarm/swarm.js'

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
 * The verified bytes of a range of one file, fetched on demand: pieces we
 * hold are read from the store; the others are fetched first (a priority
 * window ahead of the reader), with Merkle proofs, and each range is handed
 * out as soon as its proof checks, before its whole piece has arrived.
 * @internal
 */
export async function* readFileRange(
  swarm: Swarm,
  fileIndex: number,
  options: ReadStreamOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const manifest = swarm.manifest as Manifest
  const file = manifest.files[fileIndex] as ManifestFile
  const start = options.start ?? 0
  const end = Math.min(options.end ?? file.length - 1, file.length - 1)
  if (!Number.isSafeInteger(start) || start < 0 || (file.length > 0 && start > end + 1)) {
    throw new NodeError('RANGE_INVALID', `cannot read ${start}..${end} of a file of ${file.length} bytes`)
  }
  const readAhead = Math.max(manifest.pieceLength, options.readAhead ?? 8 * 1024 * 1024)
  const { signal } = options
  let position = start
  try {
    while (position <= end) {
      if (signal?.aborted) throw NodeError.aborted(signal.reason)
      const piece = file.firstPiece + Math.floor(position / manifest.pieceLength)
      const pieceStart = (piece - file.firstPiece) * manifest.pieceLength
      if (swarm.has(piece)) {
        const pieceEnd = Math.min(pieceStart + manifest.pieceSize(piece) - 1, end)
        yield await (swarm.store as NonNullable<Swarm['store']>).read(fileIndex, position, pieceEnd - position + 1)
        position = pieceEnd + 1
        continue
      }
      if (swarm.error !== undefined) throw swarm.error
      if (swarm.complete) throw new NodeError('CLOSED', 'the share stopped')
      const windowEnd = file.firstPiece + Math.ceil(Math.min(file.length, position + readAhead) / manifest.pieceLength)
      swarm.setPriority([{ start: piece, end: Math.min(windowEnd, file.firstPiece + file.pieceCount) }])
      const rangeOffset = Math.floor((position - pieceStart) / REQUEST_BYTES) * REQUEST_BYTES
      const proven = swarm.provenRange(piece, rangeOffset)
      if (proven !== undefined) {
        const from = position - pieceStart - rangeOffset
        const to = Math.min(proven.length, end - pieceStart - rangeOffset + 1)
        yield proven.slice(from, to)
        position += to - from
        continue
      }
      await swarm.changed(signal)
    }
  } finally {
    swarm.setPriority([])
  }
}
