/**
 * The data file of a private share: a sealed header (the manifest's
 * length), the sealed manifest, then the content stream padded with PADMÉ.
 *
 * ```
 * offset 0        header    ChaCha20-Poly1305(manifestKey, nonce 0, ad "mycel/1 private header", u64 BE L)   24 bytes
 * offset 24       manifest  ChaCha20-Poly1305(manifestKey, nonce 1, ad "mycel/1 private manifest", L bytes)  L + 16 bytes
 * offset 40 + L   filler    random bytes up to a multiple of 4096 (the content starts on a page of the files)
 * offset C        content   files in canonical order, XOR ChaCha20(streamKey) from stream offset 0 (C = ceil((40 + L) / 4096) * 4096)
 * ...             padding   zeros XOR the same key stream, up to padme(C + contentLength)
 * ```
 * @module
 */
import { AEAD_TAG_BYTES, type CryptoProvider } from '@mycel/wire/crypto'
import { PiecesError } from '../errors.js'
import type { VersionKeys } from './keys.js'
import { PRIVATE_LIMITS } from './limits.js'
import { decodePrivateManifest, encodePrivateManifest, type PrivateManifest } from './manifest.js'
import { padme } from './padme.js'

const utf8 = new TextEncoder()
const HEADER_AD = utf8.encode('mycel/1 private header')
const MANIFEST_AD = utf8.encode('mycel/1 private manifest')

/** Bytes of the sealed header at the start of a data file. */
export const HEADER_BYTES = 8 + AEAD_TAG_BYTES

/**
 * The content stream starts at a multiple of this: a whole number of
 * ChaCha20 blocks (64 bytes), so a block of the data file decrypts without
 * shifting bytes, and of 4 KiB pages, so that the data file's pieces fall on
 * the first file's pages. A reader then writes each decrypted piece whole
 * past the page cache, and a seeder reads whole pages, as for a public
 * share. It costs at most 4 KiB of filler per version.
 */
export const CONTENT_ALIGNMENT = 4096

/** Where the content stream starts after a manifest of `manifestLength` bytes. */
function contentStartOf(manifestLength: number): number {
  const end = HEADER_BYTES + manifestLength + AEAD_TAG_BYTES
  return Math.ceil(end / CONTENT_ALIGNMENT) * CONTENT_ALIGNMENT
}

function nonce(value: number): Uint8Array {
  const bytes = new Uint8Array(12)
  bytes[11] = value
  return bytes
}

/** Where things are in a data file. */
export interface DataLayout {
  /** Bytes of the manifest's plaintext. */
  readonly manifestLength: number
  /** Where the content stream starts in the data file. */
  readonly contentStart: number
  /** Bytes of the data file (padded). */
  readonly dataLength: number
}

/**
 * Seals the header and the manifest of a version.
 *
 * @param keys - the version's keys
 * @param manifest - the manifest
 * @param crypto - provides ChaCha20-Poly1305
 * @param random - the filler's random bytes
 * @returns the first bytes of the data file (up to the content) and its layout
 * @throws PiecesError `MANIFEST_TOO_LARGE` for a manifest over `PRIVATE_LIMITS.maxManifestBytes`
 */
export function sealManifest(
  keys: VersionKeys,
  manifest: PrivateManifest,
  crypto: CryptoProvider,
  random: (length: number) => Uint8Array,
): { prefix: Uint8Array; layout: DataLayout } {
  const plaintext = encodePrivateManifest(manifest)
  if (plaintext.length > PRIVATE_LIMITS.maxManifestBytes) {
    throw PiecesError.tooLarge('private manifest', plaintext.length, PRIVATE_LIMITS.maxManifestBytes)
  }
  const length = new Uint8Array(8)
  new DataView(length.buffer).setBigUint64(0, BigInt(plaintext.length))
  const header = crypto.encrypt(keys.manifestKey, nonce(0), HEADER_AD, length, 0)
  const sealed = crypto.encrypt(keys.manifestKey, nonce(1), MANIFEST_AD, plaintext, 0)
  const contentStart = contentStartOf(plaintext.length)
  const prefix = new Uint8Array(contentStart)
  prefix.set(header)
  prefix.set(sealed, header.length)
  prefix.set(random(contentStart - header.length - sealed.length), header.length + sealed.length)
  return {
    prefix,
    layout: {
      manifestLength: plaintext.length,
      contentStart,
      dataLength: padme(contentStart + manifest.contentLength),
    },
  }
}

/**
 * Opens the header of a data file: the key is right when it opens.
 *
 * @param keys - the version's keys
 * @param header - the first {@link HEADER_BYTES} bytes of the data file
 * @param dataLength - bytes of the data file
 * @param crypto - provides ChaCha20-Poly1305
 * @returns the layout
 * @throws PiecesError `PRIVATE_KEY_MISMATCH` when the header does not open (another key, or a changed
 *   header), `PRIVATE_MANIFEST_INVALID` when it gives a manifest length that cannot be
 */
export function openHeader(
  keys: VersionKeys,
  header: Uint8Array,
  dataLength: number,
  crypto: CryptoProvider,
): DataLayout {
  if (header.length !== HEADER_BYTES) {
    throw new PiecesError('PRIVATE_KEY_MISMATCH', 'the data file is too short for a private share')
  }
  const opened = crypto.decrypt(keys.manifestKey, nonce(0), HEADER_AD, header)
  if (opened === null) {
    throw new PiecesError(
      'PRIVATE_KEY_MISMATCH',
      'the key does not open this private share (another key, or a changed header)',
    )
  }
  const length = new DataView(opened.buffer, opened.byteOffset, 8).getBigUint64(0)
  if (length > BigInt(PRIVATE_LIMITS.maxManifestBytes) || contentStartOf(Number(length)) > dataLength) {
    throw new PiecesError('PRIVATE_MANIFEST_INVALID', 'the private manifest length is out of bounds')
  }
  return { manifestLength: Number(length), contentStart: contentStartOf(Number(length)), dataLength }
}

/**
 * Opens and decodes the sealed manifest.
 *
 * @param keys - the version's keys
 * @param sealed - data file bytes `[HEADER_BYTES, HEADER_BYTES + layout.manifestLength + 16)`
 * @param layout - from {@link openHeader}
 * @param crypto - provides ChaCha20-Poly1305
 * @returns the manifest
 * @throws PiecesError `PRIVATE_MANIFEST_INVALID` when it does not open (it was changed), does not decode,
 *   or lists content that the data file's length is not PADMÉ of
 */
export function openManifest(
  keys: VersionKeys,
  sealed: Uint8Array,
  layout: DataLayout,
  crypto: CryptoProvider,
): PrivateManifest {
  if (sealed.length !== layout.manifestLength + AEAD_TAG_BYTES) {
    throw new PiecesError('PRIVATE_MANIFEST_INVALID', 'the sealed private manifest has the wrong length')
  }
  const plaintext = crypto.decrypt(keys.manifestKey, nonce(1), MANIFEST_AD, sealed)
  if (plaintext === null)
    throw new PiecesError('PRIVATE_MANIFEST_INVALID', 'the private manifest does not open (it was changed)')
  const manifest = decodePrivateManifest(plaintext, layout.dataLength - layout.contentStart)
  // The data file is exactly PADMÉ of what it holds; anything else was not made by this layout (a data
  // file laid out by an earlier revision of the format, or a manifest that lies about its content).
  const padded = padme(layout.contentStart + manifest.contentLength)
  if (padded !== layout.dataLength) {
    throw new PiecesError(
      'PRIVATE_MANIFEST_INVALID',
      `the data file is ${layout.dataLength} bytes, not the ${padded} its manifest makes`,
    )
  }
  return manifest
}
