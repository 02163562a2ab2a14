import { Bitfield, type Manifest } from '@mycel/pieces'
import type { ShareRecord, StateStore } from '@mycel/store'

/**
 * Records a share this node seeds from `contentPath`: its manifest, a seed
 * record marked complete, every piece held, and `values` (its files'
 * stamps). Sharing again what was shared or downloaded before starts a
 * fresh record that keeps its all-time totals. One write where the store
 * has {@link StateStore.putSeed} (the SQLite store), else six.
 *
 * @param state - the node's state store
 * @param manifest - the share
 * @param contentPath - the file or folder it is seeded from
 * @param values - key/value entries written with it
 * @returns the record
 * @throws a `StoreError` when the state store cannot save it
 * @internal
 */
export async function recordSeed(
  state: StateStore,
  manifest: Manifest,
  contentPath: string,
  values: ReadonlyMap<string, Uint8Array> = new Map(),
): Promise<ShareRecord> {
  if (state.putSeed !== undefined) return state.putSeed({ manifest, contentPath, values })
  const previous = await state.getShare(manifest.infohash)
  await state.removeShare(manifest.infohash)
  await state.putManifest(manifest)
  let record = await state.addShare({
    infohash: manifest.infohash,
    name: manifest.name,
    role: 'seed',
    contentPath,
    status: 'complete',
  })
  if (previous !== undefined && previous.bytesUploaded + previous.bytesDownloaded > 0) {
    record = await state.updateShare(manifest.infohash, {
      addUploaded: previous.bytesUploaded,
      addDownloaded: previous.bytesDownloaded,
    })
  }
  await state.setBitfield(manifest.infohash, Bitfield.full(manifest.pieceCount))
  for (const [key, value] of values) await state.setValue(key, value)
  return record
}
