import { Manifest } from '@mycel/pieces'
import type { StateStore } from '@mycel/store'
import { NodeError } from './errors.js'

/**
 * Keeps a manifest the caller brings (from a `.torrent` file) in the state
 * store, where a download looks for its manifest before it asks peers.
 *
 * @param state - the node's state store
 * @param manifest - a validated manifest
 * @param signal - aborts before anything is saved
 * @throws `TypeError` for something that is not a {@link Manifest}; `ABORTED`
 * @internal
 */
export async function addKnownManifest(state: StateStore, manifest: Manifest, signal?: AbortSignal): Promise<void> {
  if (!(manifest instanceof Manifest)) throw new TypeError('manifest must be a Manifest (from decodeTorrent, say)')
  if (signal?.aborted) throw NodeError.aborted(signal.reason)
  await state.putManifest(manifest)
}
