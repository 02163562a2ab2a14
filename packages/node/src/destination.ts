import { Bitfield, type Manifest } from '@mycel/pieces'
import { recheck, type StateStore, StoreError } from '@mycel/store'
import type { ContentStorage, ContentStore, PathKind } from './content.js'
import { NodeError } from './errors.js'
import { destinationKey } from './state-keys.js'

/**
 * Where a download writes, and the rule that keeps it from destroying data
 * mycel did not write: a file already at the destination is this
 * download's only when the state store says the node wrote there (the
 * destination it claimed before its first write); anything else is refused,
 * or verified in place when the caller asks.
 * @internal
 * @module
 */

/**
 * What a download does with files of the share that are already at its
 * destination and that this node did not write: `refuse` fails the
 * download with `NodeError` `DESTINATION_EXISTS` before anything is
 * written; `verify` re-hashes them, keeps the pieces that match, and
 * downloads (and writes over) the rest.
 */
export type ExistingFiles = 'refuse' | 'verify'

/** Checks `DownloadOptions.existingFiles`. */
export function checkExisting(value: ExistingFiles): ExistingFiles {
  if (value !== 'refuse' && value !== 'verify') throw new TypeError(`existingFiles must be 'refuse' or 'verify'`)
  return value
}

/** Something found where the share would put a file or a folder. */
interface Found {
  readonly path: string
  readonly what: PathKind
  /** What the share has there. */
  readonly expected: 'file' | 'folder'
}

/** What a download opens once its manifest is known. */
export interface OpenedDestination {
  /** The piece store, writing under the destination. */
  readonly store: ContentStore
  /** The pieces held there, verified: by the state store's record, or by a recheck just now. */
  readonly have: Bitfield
  /** The share's file or folder. */
  readonly contentPath: string
}

/** How {@link openDestination} opens the store and what it does with files already there. */
export interface DestinationOptions {
  readonly state: StateStore
  /** Where the files are, and how to look at them. */
  readonly storage: ContentStorage
  readonly existing: ExistingFiles
  readonly signal?: AbortSignal
}

/** The content path this node claimed for a download, if any. */
export async function claimedDestination(state: StateStore, infohashHex: string): Promise<string | undefined> {
  const saved = await state.getValue(destinationKey(infohashHex))
  return saved === undefined ? undefined : new TextDecoder().decode(saved)
}

/**
 * Opens the destination of a download in `dir`: its own files (claimed
 * before), a fresh place (claimed now, before the first write), or files
 * that were already there, refused or verified as `options.existing` says.
 *
 * @returns the store, the verified pieces and the content path
 * @throws `NodeError` `DESTINATION_EXISTS` for files already there (under `refuse`), or a folder, link or
 *   special file where the share has a file (or the reverse); the store's errors (`StoreError`)
 */
export async function openDestination(
  manifest: Manifest,
  dir: string,
  options: DestinationOptions,
): Promise<OpenedDestination> {
  const { state, storage } = options
  const open = (existingFiles: 'refuse' | 'adopt') => storage.openDownload(manifest, dir, existingFiles)
  const contentPath = storage.contentPath(manifest, dir)
  const claimed = await claimedDestination(state, manifest.infohashHex)
  if (claimed === contentPath) {
    const store = await open('adopt')
    const have = (await state.getBitfield(manifest.infohash)) ?? new Bitfield(manifest.pieceCount)
    return { store, have, contentPath }
  }
  const found = await findExisting(storage, manifest, contentPath)
  if (found.length === 0) {
    await claim(state, manifest, contentPath) // before the first write: a crash after it still finds these files ours
    const stale = await state.getBitfield(manifest.infohash)
    if (stale !== undefined && stale.count() > 0) await state.setBitfield(manifest.infohash, new Bitfield(stale.size))
    return { store: await open('refuse'), have: new Bitfield(manifest.pieceCount), contentPath }
  }
  const conflict = found.find((item) => item.what !== item.expected)
  if (conflict !== undefined) {
    throw new NodeError(
      'DESTINATION_EXISTS',
      `${conflict.path} is a ${conflict.what} where ${manifest.name} has a ${conflict.expected}; it is left as it is (download into another folder, or move it away)`,
    )
  }
  if (options.existing === 'refuse') {
    const first = found[0] as Found
    const more = found.length > 1 ? ` (and ${found.length - 1} more file${found.length === 2 ? '' : 's'})` : ''
    throw new NodeError(
      'DESTINATION_EXISTS',
      `${first.path}${more} already exists and was not written by this download of ${manifest.name}; it is left as it is (download into another folder, move it away, or verify it in place to keep what matches)`,
    )
  }
  const store = await open('adopt')
  try {
    const have = await recheck(manifest, store, options.signal === undefined ? {} : { signal: options.signal })
    await state.setBitfield(manifest.infohash, have)
    await claim(state, manifest, contentPath) // after the recheck: until then the files are not known to be ours
    return { store, have, contentPath }
  } catch (error) {
    await store.close()
    throw error
  }
}

/**
 * After a download failed: one that met a file it did not create
 * (`StoreError` `FILE_EXISTS`: it appeared after the destination was
 * checked) gives up its claim, so that its next run checks the destination
 * again instead of taking that file for its own.
 */
export async function releaseClaimAfter(state: StateStore, infohashHex: string, error: unknown): Promise<void> {
  if (!(error instanceof StoreError) || error.code !== 'FILE_EXISTS') return
  await state.deleteValue(destinationKey(infohashHex)).catch(() => false)
}

/** Records that this node writes the download's files at `contentPath`. */
async function claim(state: StateStore, manifest: Manifest, contentPath: string): Promise<void> {
  await state.setValue(destinationKey(manifest.infohashHex), new TextEncoder().encode(contentPath))
}

/**
 * Everything already where a download of `manifest` at `contentPath` would
 * put a file (or a folder on a file's way): one `lstat` per folder and per
 * file under a folder that exists.
 */
async function findExisting(storage: ContentStorage, manifest: Manifest, contentPath: string): Promise<Found[]> {
  const top = await storage.inspect(contentPath)
  if (top === undefined) return []
  if (manifest.singleFile) return [{ path: contentPath, what: top, expected: 'file' }]
  if (top !== 'folder') return [{ path: contentPath, what: top, expected: 'folder' }]
  const found: Found[] = []
  const folders = new Map<string, Found['what'] | undefined>([[contentPath, 'folder']])
  for (const file of manifest.files) {
    let folder = contentPath
    let below = true
    for (const component of file.path.slice(0, -1)) {
      folder = storage.join(folder, component)
      let what = folders.get(folder)
      if (!folders.has(folder)) {
        what = await storage.inspect(folder)
        folders.set(folder, what)
        if (what !== undefined && what !== 'folder') found.push({ path: folder, what, expected: 'folder' })
      }
      if (what !== 'folder') {
        below = false
        break
      }
    }
    if (!below) continue
    const path = storage.join(contentPath, ...file.path)
    const what = await storage.inspect(path)
    if (what !== undefined) found.push({ path, what, expected: 'file' })
  }
  return found
}
