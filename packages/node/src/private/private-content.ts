/**
 * The node's storage as private shares need it: the stores of private
 * versions this node made encrypt on read from their plaintext, and the
 * stores of private downloads being read are tapped (see {@link PieceTaps}).
 * Every other share's store is the storage's own.
 * @module
 */
import type { StateStore } from '@mycel/store'
import type { CryptoProvider } from '@mycel/wire/crypto'
import type { ContentStorage } from '../content.js'
import { openEncryptingStore } from './encrypting-store.js'
import { loadRecord } from './record.js'
import type { PieceTaps } from './taps.js'

/**
 * Wraps a node's storage for private shares.
 *
 * @param storage - the node's storage
 * @param state - where the sharer's records of its versions are (`private-share:<hex>`)
 * @param taps - taps of private downloads
 * @param crypto - ChaCha20 and friends
 * @returns the storage, with `openSeed` of a version made on read and `openDownload` of tapped shares changed
 * @internal
 */
export function privateContent(
  storage: ContentStorage,
  state: StateStore,
  taps: PieceTaps,
  crypto: CryptoProvider,
): ContentStorage {
  const tapped = taps.wrap(storage)
  return {
    ...tapped,
    openSeed: async (manifest, contentPath) => {
      const record = await loadRecord(state, manifest.infohashHex)
      // A version this node made and keeps no ciphertext of (a record without `head` has it all in its folder).
      if (record?.head !== undefined && record.folder === contentPath) {
        return openEncryptingStore(storage, manifest, { ...record, head: record.head }, crypto)
      }
      return storage.openSeed(manifest, contentPath)
    },
  }
}
