import { stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { assertSignal } from '@mycel/wire/assert'
import { PiecesError } from '../errors.js'
import type { IngestSource } from '../ingest.js'
import { resolveLimits } from '../limits.js'
import { CHUNK_SIZE, READ_AHEAD, readChunks, walkDirectory } from './files.js'
import type { IngestPathOptions } from './ingest.js'

/** A file or folder as ingest sources, every length known. */
export interface FileSources {
  /** The file or folder name. */
  readonly name: string
  /**
   * Its files (a single file: one, at path `[name]`), each read once, in 512 KiB chunks, each with
   * its absolute path as `diskPath` (so a private share's workers can read it themselves).
   */
  readonly sources: readonly (IngestSource & { readonly length: number; readonly diskPath: string })[]
}

/**
 * Lists a file or folder as {@link index!IngestSource}s without reading
 * them: what {@link ingestPath} hashes, for a caller that transforms the
 * bytes first (a private share encrypts them). Folders are walked as
 * {@link ingestDirectory} walks them (hidden files included, links and
 * special files per `special`). The chunks of all files share four 512 KiB
 * buffers: each is valid until the next is asked for.
 *
 * @param path - a file or a folder
 * @param options - `name`, `special`, `onSkip`, `attributes`, `limits`, `signal`
 * @returns the name and the sources
 * @throws {@link index!PiecesError} `INGEST_UNSUPPORTED_FILE` for what is neither, and as
 *   {@link ingestDirectory} for what is inside; reading throws `INGEST_FILE_CHANGED` when a file changes
 */
export async function fileSources(
  path: string,
  options: Omit<IngestPathOptions, 'pieceLength' | 'hash' | 'v1' | 'onProgress'> = {},
): Promise<FileSources> {
  assertSignal(options.signal)
  const absolute = resolve(path)
  const stats = await stat(absolute)
  const name = options.name ?? basename(absolute)
  const reads = Array.from({ length: READ_AHEAD }, () => new Uint8Array(CHUNK_SIZE))
  const executable = (mode: number) => options.attributes !== false && (mode & 0o100) !== 0
  if (stats.isFile()) {
    return {
      name,
      sources: [
        {
          path: [name],
          length: stats.size,
          diskPath: absolute,
          executable: executable(stats.mode),
          content: readChunks(absolute, stats.size, [name], reads),
        },
      ],
    }
  }
  if (!stats.isDirectory())
    throw new PiecesError('INGEST_UNSUPPORTED_FILE', `${absolute} is neither a file nor a folder`)
  const found = await walkDirectory(absolute, {
    policy: options.special ?? 'skip',
    onSkip: options.onSkip,
    limits: resolveLimits(options.limits),
    signal: options.signal,
  })
  const sources = []
  for (const file of found) {
    const fileStats = await stat(file.absolute)
    sources.push({
      path: file.path,
      length: fileStats.size,
      diskPath: file.absolute,
      executable: executable(fileStats.mode),
      content: readChunks(file.absolute, fileStats.size, file.path, reads),
    })
  }
  return { name, sources }
}
