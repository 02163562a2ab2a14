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
 * @returns true when every piece verifies
 * @throws {@link CliError} `VERIFY_FAILED` when some do not
 */
export async function verifyContent(
  context: Context,
  manifest: Manifest,
  contentPath: string,
  lifetime: Lifetime,
): Promise<true> {
  const { out } = context
  const view = new ProgressView(out, progressModeOf(out), { lifetime })
  let valid = 0
  try {
    const store = await openSeedStore(manifest, contentPath)
    try {
      const verified = await recheck(manifest, store, {
        signal: lifetime.signal,
        onProgress: (p) => view.advance('verifying', p.bytesHashed, manifest.totalLength),
      })
      valid = verified.count()
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
  if (valid !== manifest.pieceCount) {
    throw new CliError(
      'VERIFY_FAILED',
      `${manifest.pieceCount - valid} of ${manifest.pieceCount} pieces of ${contentPath} do not match the share`,
      'the files changed on disk after the download; move them away and run mycel get again',
    )
  }
  return true
}
