import { Bitfield, type Manifest } from '@mycel/pieces'
import type { ShareRecord, StateStore } from '@mycel/store'

/**
 * Records a share this node seeds from `contentPath`: its manifest, a seed
 * record marked complete, and every piece held. Sharing again what was
 * shared or downloaded before starts a fresh record that keeps its
 * all-time totals.
 *
 * @param state - the node's state store
 * @param manifest - the share
 * @param contentPath - the file or folder it is seeded from
 * @returns the record
 * @throws a `StoreError` when the state store cannot save it
 * @internal
 */
export async function recordSeed(state: StateStore, manifest: Manifest, contentPath: string): Promise<ShareRecord> {
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
  return record
}
