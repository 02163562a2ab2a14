/**
 * Reading a private share: finding its two files in the ciphertext
 * manifest, opening the header and manifest with a content key, and
 * decrypting ranges of the content stream.
 * @module
 */
import { AEAD_TAG_BYTES, type CryptoProvider, getDefaultCrypto } from '@mycel/wire/crypto'
import { PiecesError } from '../errors.js'
import type { Manifest } from '../manifest/model.js'
import { type DataLayout, HEADER_BYTES, openHeader, openManifest } from './data-file.js'
import { ENVELOPE_MAGIC, STANZA_BYTES, stanzaCount } from './envelope.js'
import { deriveVersionKeys, type VersionKeys } from './keys.js'
import { PRIVATE_LIMITS } from './limits.js'
import type { PrivateManifest } from './manifest.js'
import { xorContent } from './stream.js'

/** The two files of a ciphertext share, by index in its manifest. */
export interface PrivateShareFiles {
  /** Index of `data`. */
  readonly data: number
  /** Index of `keys`. */
  readonly keys: number
}

/**
 * Finds `data` and `keys` in the manifest of a ciphertext share.
 *
 * @param manifest - the ciphertext share's manifest (verified as any metadata)
 * @returns their indices
 * @throws PiecesError `PRIVATE_SHARE_MALFORMED` when the share is not shaped as a private share (two
 *   files named `data` and `keys` in a folder, `keys` of a possible size)
 */
export function privateShareFiles(manifest: Manifest): PrivateShareFiles {
  const names = manifest.files.map((file) => file.path.join('/'))
  const keys = names.indexOf('keys')
  const data = names.indexOf('data')
  const keysFile = manifest.files[keys]
  const maxKeys = ENVELOPE_MAGIC.length + stanzaCount(PRIVATE_LIMITS.maxReaders) * STANZA_BYTES
  if (manifest.files.length !== 2 || data < 0 || keysFile === undefined || keysFile.length > maxKeys) {
    throw new PiecesError('PRIVATE_SHARE_MALFORMED', `${manifest.infohashHex} is not a private share`)
  }
  return { data, keys }
}

/** Reads `length` bytes of the data file at `offset` (verified bytes only). */
export type ReadData = (offset: number, length: number) => Promise<Uint8Array>

/** A private share version opened with its content key. */
export interface OpenedPrivateShare {
  /** The manifest (names, paths, lengths). */
  readonly manifest: PrivateManifest
  /** Where things are in the data file. */
  readonly layout: DataLayout
  /** The version's keys. */
  readonly keys: VersionKeys
  /**
   * Decrypts bytes of file `fileIndex` of the manifest.
   * @param fileIndex - the file
   * @param offset - offset of `ciphertext[0]` in the file
   * @param ciphertext - the bytes as they are in the data file
   * @returns the plaintext
   */
  decrypt(fileIndex: number, offset: number, ciphertext: Uint8Array): Uint8Array
  /**
   * Where file `fileIndex` is in the data file.
   * @returns start offset in the data file and length
   */
  fileRange(fileIndex: number): { start: number; length: number }
}

/**
 * Opens a version with its content key: reads and opens the header, then the manifest.
 *
 * @param read - reads verified bytes of the data file
 * @param dataLength - bytes of the data file
 * @param contentKey - 32 bytes
 * @param crypto - default `getDefaultCrypto()`
 * @returns the opened share
 * @throws PiecesError `PRIVATE_KEY_MISMATCH` (another key), `PRIVATE_MANIFEST_INVALID`
 */
export async function openPrivateShare(
  read: ReadData,
  dataLength: number,
  contentKey: Uint8Array,
  crypto: CryptoProvider = getDefaultCrypto(),
): Promise<OpenedPrivateShare> {
  const keys = deriveVersionKeys(contentKey, crypto)
  if (dataLength < HEADER_BYTES) throw new PiecesError('PRIVATE_KEY_MISMATCH', 'the data file is too short')
  const layout = openHeader(keys, await read(0, HEADER_BYTES), dataLength, crypto)
  const sealed = await read(HEADER_BYTES, layout.manifestLength + AEAD_TAG_BYTES)
  const manifest = openManifest(keys, sealed, layout, crypto)
  return {
    manifest,
    layout,
    keys,
    decrypt(fileIndex, offset, ciphertext) {
      const file = manifest.files[fileIndex]
      if (file === undefined) throw new RangeError('no such file')
      if (offset < 0 || offset + ciphertext.length > file.length) throw new RangeError('the range is outside the file')
      return xorContent(crypto, keys.streamKey, file.offset + offset, ciphertext)
    },
    fileRange(fileIndex) {
      const file = manifest.files[fileIndex]
      if (file === undefined) throw new RangeError('no such file')
      return { start: layout.contentStart + file.offset, length: file.length }
    },
  }
}
