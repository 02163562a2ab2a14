/**
 * Private shares: content encrypted so that any peer can store, verify and
 * seed it (it is an ordinary BEP 52 share of ciphertext) and only readers
 * can read it. A version has a random content key; its files' names, tree
 * and sizes live in a sealed manifest inside the share; the content is a
 * ChaCha20 stream addressed by offset (any block decrypts alone) padded
 * with PADMÉ; the key is wrapped for readers' peer ids (X25519, age-style)
 * and travels in a link's fragment. See `docs/private-shares.md`.
 *
 * @example
 * ```ts
 * import { ingest } from '@mycel/pieces'
 * import { encryptShare, formatPrivateLink } from '@mycel/pieces/private'
 *
 * const version = encryptShare({ name: 'notes.txt', files: [{ path: ['notes.txt'], length: 5, content: [bytes] }] })
 * const manifest = await ingest(version.sources, { name: version.shareName })
 * formatPrivateLink({ infohash: manifest.infohash, key: version.contentKey }) // mycel://<hex>#<key>
 * ```
 *
 * @packageDocumentation
 */
export {
  CONTENT_ALIGNMENT,
  type DataLayout,
  HEADER_BYTES,
  openHeader,
  openManifest,
  sealManifest,
} from './private/data-file.js'
export {
  type EncryptedContent,
  type EncryptedShare,
  type EncryptShareInput,
  encryptShare,
  type PrivateSourceFile,
} from './private/encrypt.js'
export {
  decryptTorrent,
  ENCRYPTED_TORRENT_MAGIC,
  encryptTorrent,
  isEncryptedTorrent,
} from './private/encrypted-torrent.js'
export {
  createEnvelope,
  decodeEnvelope,
  ENVELOPE_MAGIC,
  openEnvelope,
  STANZA_BYTES,
  stanzaCount,
} from './private/envelope.js'
export { deriveVersionKeys, hkdfSha256, type VersionKeys } from './private/keys.js'
export { type LayoutFile, layoutManifest } from './private/layout.js'
export { CONTENT_KEY_BYTES, MIN_STANZAS, PRIVATE_LIMITS, type PrivateLimits } from './private/limits.js'
export {
  formatPrivateLink,
  fromBase64Url,
  isPrivateLink,
  type PrivateLink,
  parsePrivateLink,
  toBase64Url,
} from './private/link.js'
export {
  createPrivateManifest,
  decodePrivateManifest,
  encodePrivateManifest,
  type PrivateFile,
  type PrivateFileInput,
  type PrivateManifest,
} from './private/manifest.js'
export {
  type OpenedPrivateShare,
  openPrivateShare,
  type PrivateShareFiles,
  privateShareFiles,
  type ReadData,
} from './private/open.js'
export { padme } from './private/padme.js'
export { ContentKeyStream, segmentNonce, XOR_SLICE_BYTES, xorContent, xorContentInto } from './private/stream.js'
