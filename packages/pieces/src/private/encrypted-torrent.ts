/**
 * `.torrent.enc`: a `.torrent` file encrypted for mycel identities, so only
 * the users it names can join the swarm it describes (the per-user torrent
 * of other systems, with X25519 recipients instead of a user-to-key map).
 *
 * ```
 * "mycel/torrent-enc/1\n"   20 bytes
 * u32 BE k                  bytes of the keys block
 * keys block                k bytes: a `keys` file as private shares have (the file key wrapped per user)
 * sealed torrent            ChaCha20-Poly1305(HKDF(file key, info "mycel/1 encrypted torrent"), nonce 0,
 *                           ad = every byte before it, the .torrent bytes)
 * ```
 * @module
 */
import { AEAD_TAG_BYTES, type CryptoProvider, getDefaultCrypto, randomBytes } from '@mycel/wire/crypto'
import { PiecesError } from '../errors.js'
import { MANIFEST_LIMITS } from '../limits.js'
import { createEnvelope, ENVELOPE_MAGIC, openEnvelope, STANZA_BYTES, stanzaCount } from './envelope.js'
import { hkdfSha256 } from './keys.js'
import { CONTENT_KEY_BYTES, PRIVATE_LIMITS } from './limits.js'

const utf8 = new TextEncoder()
/** The first bytes of a `.torrent.enc` file. */
export const ENCRYPTED_TORRENT_MAGIC = utf8.encode('mycel/torrent-enc/1\n')
const INFO = utf8.encode('mycel/1 encrypted torrent')
const NONCE = new Uint8Array(12)
const MAX_KEYS_BYTES = ENVELOPE_MAGIC.length + stanzaCount(PRIVATE_LIMITS.maxReaders) * STANZA_BYTES

/**
 * Encrypts a `.torrent` file for users.
 *
 * @param torrent - the `.torrent` bytes (at most `MANIFEST_LIMITS.maxMetadataBytes`)
 * @param users - their peer ids as Ed25519 public keys, 1 to 64
 * @param options - crypto provider and random source
 * @returns the `.torrent.enc` bytes
 * @throws PiecesError `PRIVATE_TOO_MANY_READERS`, `PRIVATE_BAD_READER`, `MANIFEST_TOO_LARGE`; RangeError without users
 */
export function encryptTorrent(
  torrent: Uint8Array,
  users: readonly Uint8Array[],
  options: { crypto?: CryptoProvider; random?: (length: number) => Uint8Array } = {},
): Uint8Array {
  const crypto = options.crypto ?? getDefaultCrypto()
  const random = options.random ?? randomBytes
  if (users.length === 0) throw new RangeError('an encrypted torrent needs at least one user')
  if (torrent.length > MANIFEST_LIMITS.maxMetadataBytes) {
    throw PiecesError.tooLarge('.torrent file', torrent.length, MANIFEST_LIMITS.maxMetadataBytes)
  }
  const key = random(CONTENT_KEY_BYTES)
  const keys = createEnvelope(key, users, crypto, random)
  const head = new Uint8Array(ENCRYPTED_TORRENT_MAGIC.length + 4 + keys.length)
  head.set(ENCRYPTED_TORRENT_MAGIC)
  new DataView(head.buffer).setUint32(ENCRYPTED_TORRENT_MAGIC.length, keys.length)
  head.set(keys, ENCRYPTED_TORRENT_MAGIC.length + 4)
  const sealed = crypto.encrypt(hkdfSha256(crypto, key, new Uint8Array(0), INFO), NONCE, head, torrent, head.length)
  sealed.set(head)
  return sealed
}

/**
 * Whether bytes start as a `.torrent.enc` file.
 * @param bytes - file bytes
 */
export function isEncryptedTorrent(bytes: Uint8Array): boolean {
  return ENCRYPTED_TORRENT_MAGIC.every((byte, i) => bytes[i] === byte)
}

/**
 * Decrypts a `.torrent.enc` file with an identity.
 *
 * @param bytes - the file
 * @param identitySecret - the user's Ed25519 seed
 * @param crypto - default `getDefaultCrypto()`
 * @returns the `.torrent` bytes (decode them with `decodeTorrent`)
 * @throws PiecesError `PRIVATE_ENVELOPE_MALFORMED` (not this format, or cut), `PRIVATE_NOT_A_READER` (not
 *   encrypted for this identity), `PRIVATE_MANIFEST_INVALID` (the sealed torrent was changed)
 */
export function decryptTorrent(
  bytes: Uint8Array,
  identitySecret: Uint8Array,
  crypto: CryptoProvider = getDefaultCrypto(),
): Uint8Array {
  const malformed = (why: string) => new PiecesError('PRIVATE_ENVELOPE_MALFORMED', `not an encrypted torrent: ${why}`)
  if (
    !(bytes instanceof Uint8Array) ||
    bytes.length < ENCRYPTED_TORRENT_MAGIC.length + 4 ||
    !isEncryptedTorrent(bytes)
  ) {
    throw malformed('no magic')
  }
  const keysLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(
    ENCRYPTED_TORRENT_MAGIC.length,
  )
  const headLength = ENCRYPTED_TORRENT_MAGIC.length + 4 + keysLength
  if (keysLength > MAX_KEYS_BYTES || bytes.length < headLength + AEAD_TAG_BYTES) throw malformed('cut short')
  if (bytes.length > headLength + AEAD_TAG_BYTES + MANIFEST_LIMITS.maxMetadataBytes) throw malformed('too large')
  const key = openEnvelope(bytes.subarray(ENCRYPTED_TORRENT_MAGIC.length + 4, headLength), identitySecret, crypto)
  const torrent = crypto.decrypt(
    hkdfSha256(crypto, key, new Uint8Array(0), INFO),
    NONCE,
    bytes.subarray(0, headLength),
    bytes.subarray(headLength),
  )
  if (torrent === null)
    throw new PiecesError('PRIVATE_MANIFEST_INVALID', 'the encrypted torrent does not open (it was changed)')
  return torrent
}
