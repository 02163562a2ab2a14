import { MANIFEST_LIMITS, type Manifest } from '@mycel/pieces'
import type { StateStore } from '@mycel/store'
import { findFile } from './read-stream.js'
import { selectionKey } from './state-keys.js'
import type { Swarm } from './swarm/swarm.js'

/**
 * The files a download of some files wants, kept in the state store's
 * key/value area as a JSON array of paths (absent: every file), so that a
 * restart resumes the same selection.
 * @internal
 * @module
 */

/** Checks the `files` of a download: paths as text, at most as many as a share may have files. */
export function checkFiles(files: readonly string[]): readonly string[] {
  if (!Array.isArray(files) || files.some((file) => typeof file !== 'string')) {
    throw new TypeError('files must be an array of paths')
  }
  if (files.length > MANIFEST_LIMITS.maxFiles) throw new RangeError(`files: at most ${MANIFEST_LIMITS.maxFiles} paths`)
  return files.map((file) => file.replace(/^\/+/, ''))
}

/**
 * Checks that every selected path is a file of the share (before the
 * selection is saved or anything is written).
 * @throws `NodeError` `FILE_NOT_FOUND` naming the first path the share does not have
 */
export function checkFilesOf(manifest: Manifest, files: readonly string[] | undefined): void {
  for (const path of files ?? []) findFile(manifest, path)
}

/** The saved selection of a share; undefined for every file (or a damaged entry, which loses nothing). */
export async function loadSelection(state: StateStore, infohashHex: string): Promise<string[] | undefined> {
  const saved = await state.getValue(selectionKey(infohashHex))
  if (saved === undefined) return undefined
  try {
    const files = JSON.parse(new TextDecoder().decode(saved)) as unknown
    if (Array.isArray(files) && files.every((file) => typeof file === 'string')) return files
  } catch {
    // damaged: the whole share is downloaded
  }
  return undefined
}

/**
 * Saves the files a swarm's download wants (or forgets them when it wants
 * every file). Call it once the manifest has confirmed them ({@link checkFilesOf}).
 */
export async function saveSelection(state: StateStore, swarm: Swarm): Promise<void> {
  const files = swarm.selectedFiles
  if (files === undefined) await forgetSelection(state, swarm.infohashHex)
  else
    await state
      .setValue(selectionKey(swarm.infohashHex), new TextEncoder().encode(JSON.stringify(files)))
      .catch(() => {})
}

/** Forgets the saved selection of a share. */
export async function forgetSelection(state: StateStore, infohashHex: string): Promise<void> {
  await state.deleteValue(selectionKey(infohashHex)).catch(() => false)
}
