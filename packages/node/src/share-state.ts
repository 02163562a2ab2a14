import type { StateStore } from '@mycel/store'
import { toHex } from '@mycel/wire'
import { shareKeys } from './state-keys.js'

/**
 * Forgets everything a node saved about a share in its state store: its
 * record, manifest and verified pieces, the files a download of some files
 * takes, where the download writes, and the stamps of its files. The files
 * on disk are not touched. Apps that manage a node's state store while the
 * node is not running (`mycel rm`) call this; a running node does the same
 * in `remove(infohash, { deleteState: true })`.
 *
 * @param state - the node's state store
 * @param infohash - the share (32 bytes)
 * @returns whether the state store had a record or manifest of the share
 * @throws `StoreError` when the state store fails
 *
 * @example
 * ```ts
 * const state = await openSqliteStateStore('./.mycel/state.db')
 * await forgetShare(state, infohash)
 * ```
 */
export async function forgetShare(state: StateStore, infohash: Uint8Array): Promise<boolean> {
  const removed = await state.removeShare(infohash)
  for (const key of shareKeys(toHex(infohash))) await state.deleteValue(key)
  return removed
}
