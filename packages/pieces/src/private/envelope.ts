/**
 * The `keys` file of a private share: the content key wrapped for each
 * reader, age-style: one stanza per recipient, each with its own ephemeral
 * X25519 key, no recipient named, and dummy stanzas up to a power of two.
 *
 * ```
 * "mycel/private-keys/1\n"  (21 bytes)
 * stanza × n                (n a power of two from 4 to 64)
 *   ephemeral X25519 public key                                             32 bytes
 *   ChaCha20-Poly1305(wrapKey, nonce 0, ad = ephemeral || recipient, contentKey)  48 bytes
 * wrapKey = HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt = ephemeral || recipient,
 *                       info = "mycel/1 private stanza")
 * ```
 *
 * A recipient is the X25519 key of a mycel peer id (its Ed25519 public key,
 * converted as libsodium does). A dummy stanza is 80 random bytes.
 * @module
 */
import {
  AEAD_TAG_BYTES,
  type CryptoProvider,
  x25519PublicFromEd25519,
  x25519SecretFromEd25519,
} from '@mycel/wire/crypto'
import { PiecesError } from '../errors.js'
import { hkdfSha256, STANZA_INFO } from './keys.js'
import { CONTENT_KEY_BYTES, MIN_STANZAS, PRIVATE_LIMITS } from './limits.js'

/** The first bytes of a `keys` file. */
export const ENVELOPE_MAGIC = new TextEncoder().encode('mycel/private-keys/1\n')
/** Bytes of one stanza. */
export const STANZA_BYTES = 32 + CONTENT_KEY_BYTES + AEAD_TAG_BYTES

const NONCE = new Uint8Array(12)

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** Stanzas a `keys` file for `readers` readers holds: a power of two, at least {@link MIN_STANZAS}. */
export function stanzaCount(readers: number): number {
  let count = MIN_STANZAS
  while (count < readers) count *= 2
  return count
}

/**
 * Wraps a content key for readers.
 *
 * @param contentKey - the version's content key (32 bytes)
 * @param readers - the readers' peer ids as Ed25519 public keys (32 bytes each)
 * @param crypto - provides X25519, HMAC-SHA256 and ChaCha20-Poly1305
 * @param random - random bytes (default the crypto module's)
 * @returns the `keys` file
 * @throws PiecesError `PRIVATE_TOO_MANY_READERS` over `PRIVATE_LIMITS.maxReaders`; `PRIVATE_BAD_READER`
 *   for a peer id that is not a usable key
 */
export function createEnvelope(
  contentKey: Uint8Array,
  readers: readonly Uint8Array[],
  crypto: CryptoProvider,
  random: (length: number) => Uint8Array,
): Uint8Array {
  if (readers.length > PRIVATE_LIMITS.maxReaders) {
    throw new PiecesError(
      'PRIVATE_TOO_MANY_READERS',
      `${readers.length} readers is over the limit of ${PRIVATE_LIMITS.maxReaders}`,
    )
  }
  const count = stanzaCount(readers.length)
  const out = new Uint8Array(ENVELOPE_MAGIC.length + count * STANZA_BYTES)
  out.set(ENVELOPE_MAGIC)
  // Real stanzas go to random places among the dummies, so their order says nothing.
  const slots = Array.from({ length: count }, (_, i) => i)
  for (let i = count - 1; i > 0; i--) {
    const j = (random(4).reduce((n, byte) => n * 256 + byte, 0) >>> 0) % (i + 1)
    ;[slots[i], slots[j]] = [slots[j] as number, slots[i] as number]
  }
  for (let i = 0; i < count; i++) {
    const at = ENVELOPE_MAGIC.length + (slots[i] as number) * STANZA_BYTES
    const reader = readers[i]
    if (reader === undefined) {
      out.set(random(STANZA_BYTES), at)
      continue
    }
    const recipient = x25519PublicFromEd25519(reader)
    if (recipient === null) throw new PiecesError('PRIVATE_BAD_READER', `reader ${i} is not a usable peer id`)
    const ephemeral = crypto.x25519KeyPair(random(32))
    const shared = crypto.x25519(ephemeral.secretKey, recipient)
    if (shared === null) throw new PiecesError('PRIVATE_BAD_READER', `reader ${i} is not a usable peer id`)
    const context = concat(ephemeral.publicKey, recipient)
    const wrapKey = hkdfSha256(crypto, shared, context, STANZA_INFO)
    out.set(ephemeral.publicKey, at)
    out.set(crypto.encrypt(wrapKey, NONCE, context, contentKey, 0), at + 32)
  }
  return out
}

/**
 * Checks the shape of a `keys` file: the magic, then a power of two of
 * whole stanzas from {@link MIN_STANZAS} to the reader limit rounded up.
 *
 * @param bytes - the file
 * @returns the stanzas (views into `bytes`)
 * @throws PiecesError `PRIVATE_ENVELOPE_MALFORMED` otherwise (a truncated stanza, a wrong magic, too many)
 */
export function decodeEnvelope(bytes: Uint8Array): Uint8Array[] {
  if (!(bytes instanceof Uint8Array) || bytes.length < ENVELOPE_MAGIC.length) {
    throw new PiecesError('PRIVATE_ENVELOPE_MALFORMED', 'the keys file is too short')
  }
  for (let i = 0; i < ENVELOPE_MAGIC.length; i++) {
    if (bytes[i] !== ENVELOPE_MAGIC[i])
      throw new PiecesError('PRIVATE_ENVELOPE_MALFORMED', 'the keys file has no magic')
  }
  const body = bytes.length - ENVELOPE_MAGIC.length
  if (body % STANZA_BYTES !== 0)
    throw new PiecesError('PRIVATE_ENVELOPE_MALFORMED', 'the keys file ends inside a stanza')
  const count = body / STANZA_BYTES
  if (count < MIN_STANZAS || count > stanzaCount(PRIVATE_LIMITS.maxReaders) || (count & (count - 1)) !== 0) {
    throw new PiecesError('PRIVATE_ENVELOPE_MALFORMED', `the keys file holds ${count} stanzas`)
  }
  const stanzas: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const at = ENVELOPE_MAGIC.length + i * STANZA_BYTES
    stanzas.push(bytes.subarray(at, at + STANZA_BYTES))
  }
  return stanzas
}

/**
 * Finds the content key wrapped for an identity: tries every stanza (at
 * most 64 X25519 operations).
 *
 * @param bytes - the `keys` file
 * @param identitySecret - the reader's Ed25519 seed (its mycel identity's secret key)
 * @param crypto - provides X25519, HMAC-SHA256 and ChaCha20-Poly1305
 * @returns the content key
 * @throws PiecesError `PRIVATE_ENVELOPE_MALFORMED` (see {@link decodeEnvelope}); `PRIVATE_NOT_A_READER`
 *   when no stanza opens
 */
export function openEnvelope(bytes: Uint8Array, identitySecret: Uint8Array, crypto: CryptoProvider): Uint8Array {
  const stanzas = decodeEnvelope(bytes)
  const secret = x25519SecretFromEd25519(identitySecret)
  const recipient = crypto.x25519KeyPair(secret).publicKey
  for (const stanza of stanzas) {
    const ephemeral = stanza.subarray(0, 32)
    const shared = crypto.x25519(secret, ephemeral)
    if (shared === null) continue
    const context = concat(ephemeral, recipient)
    const key = crypto.decrypt(hkdfSha256(crypto, shared, context, STANZA_INFO), NONCE, context, stanza.subarray(32))
    if (key !== null && key.length === CONTENT_KEY_BYTES) return key
  }
  throw new PiecesError('PRIVATE_NOT_A_READER', 'no stanza of this private share opens with this identity')
}
