import type { Manifest } from '@mycel/pieces'
import { recheck } from '@mycel/store'
import { openSeedStore } from '@mycel/store/fs'
import type { Context } from '../context.js'
import { CliError, explain } from '../errors.js'
import type { Lifetime } from '../lifetime.js'
import { ProgressView, progressModeOf } from '../progress.js'

/**
 * Reads the files of a share back from disk and checks every piece against
 * the manifest's SHA-256 Merkle roots, with a progress bar.
 *
 * @param context - the command's context
 * @param manifest - the share
 * @param contentPath - where its file or folder is
 * @param lifetime - Ctrl-C stops the check
 * @param files - only the pieces of these files (paths inside the share) must verify; default every file
 * @returns true when every piece verifies
 * @throws {@link CliError} `VERIFY_FAILED` when some do not
 */
export async function verifyContent(
  context: Context,
  manifest: Manifest,
  contentPath: string,
  lifetime: Lifetime,
  files?: readonly string[],
): Promise<true> {
  const { out } = context
  const view = new ProgressView(out, progressModeOf(out), { lifetime })
  const wanted = piecesOf(manifest, files)
  const total = wanted.length
  const wantedBytes = wanted.reduce((sum, piece) => sum + manifest.pieceSize(piece), 0)
  let valid = 0
  try {
    const store = await openSeedStore(manifest, contentPath, { logger: context.logger })
    try {
      const verified = await recheck(manifest, store, {
        signal: lifetime.signal,
        onProgress: (p) => view.advance('verifying', Math.min(p.bytesHashed, wantedBytes), wantedBytes),
      })
      valid = wanted.filter((piece) => verified.get(piece)).length
    } finally {
      await store.close()
    }
  } catch (error) {
    view.finish()
    if (lifetime.signalName !== undefined)
      throw lifetime.interruption(
        'stopped while verifying',
        'the download is complete; run the command again to verify it',
      )
    throw explain(error, context.explain)
  }
  view.finish()
  if (valid !== total) {
    throw new CliError(
      'VERIFY_FAILED',
      `${total - valid} of ${total} pieces of ${contentPath} do not match the share`,
      'the files changed on disk after the download; move them away and run mycel get again',
    )
  }
  return true
}

/** The pieces of the given files (paths inside the share), or every piece. */
function piecesOf(manifest: Manifest, files: readonly string[] | undefined): number[] {
  const selected = files === undefined ? undefined : new Set(files)
  const pieces: number[] = []
  for (const file of manifest.files) {
    const path = manifest.singleFile ? manifest.name : file.path.join('/')
    if (selected !== undefined && !selected.has(path) && !selected.has(file.path.join('/'))) continue
    for (let piece = file.firstPiece; piece < file.firstPiece + file.pieceCount; piece++) pieces.push(piece)
  }
  return pieces
}
