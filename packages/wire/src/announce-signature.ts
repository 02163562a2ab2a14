/**
 * Signed announce keys: how a mycel node proves, in the passkey place of a
 * private tracker's announce URL (`/announce/<key>`), that it holds the
 * Ed25519 key an account bound, without a stored secret. The key is
 * `s1.<peer key>.<minute>.<signature>` (base64url, base36, base64url), the
 * signature by the peer key over {@link ANNOUNCE_SIGNATURE_DOMAIN}, the
 * minute (4 bytes, big-endian, minutes since 1970) and the 20-byte
 * infohash announced: it is good for that infohash only, within a couple
 * of minutes of its time (docs/tracker.md).
 * @module
 */
import { assertBytes, assertInteger } from './assert.js'
import { WireError } from './errors.js'
import type { ReceiptSigner } from './receipt.js'

/** What the signature covers before the minute and infohash. */
export const ANNOUNCE_SIGNATURE_DOMAIN: Uint8Array = new TextEncoder().encode('mycel tracker announce v1\0')

/** Characters of a signed announce key at most (`s1.` 43 `.` ≤ 7 `.` 86). */
export const ANNOUNCE_KEY_MAX_LENGTH = 144

/** A signed announce key, read. */
export interface AnnounceKey {
  /** The signer's 32-byte Ed25519 public key. */
  readonly peerKey: Uint8Array
  /** Minutes since 1970 it was made for. */
  readonly minute: number
  readonly signature: Uint8Array
}

function message(minute: number, infohash: Uint8Array): Uint8Array {
  const out = new Uint8Array(ANNOUNCE_SIGNATURE_DOMAIN.length + 4 + infohash.length)
  out.set(ANNOUNCE_SIGNATURE_DOMAIN)
  new DataView(out.buffer).setUint32(ANNOUNCE_SIGNATURE_DOMAIN.length, minute)
  out.set(infohash, ANNOUNCE_SIGNATURE_DOMAIN.length + 4)
  return out
}

function base64url(bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64url(text: string, length: number, name: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new WireError('TRACKER_MALFORMED', `announce key ${name} is not base64url`)
  let binary: string
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4))
  } catch {
    // a length no base64 text has (4n + 1 characters)
    throw new WireError('TRACKER_MALFORMED', `announce key ${name} is not base64url`)
  }
  if (binary.length !== length) {
    throw new WireError('TRACKER_INVALID_FIELD', `announce key ${name} has ${binary.length} bytes, not ${length}`)
  }
  return Uint8Array.from(binary, (char) => char.charCodeAt(0))
}

/**
 * Makes a signed announce key.
 *
 * @param secretKey - the node's 32-byte Ed25519 seed
 * @param infohash - the 20-byte infohash announced
 * @param minute - minutes since 1970 (`Math.floor(Date.now() / 60000)`)
 * @param signer - the crypto provider
 * @returns the key, for `/announce/<key>`
 * @throws TypeError/RangeError for bad arguments
 */
export function signAnnounceKey(
  secretKey: Uint8Array,
  infohash: Uint8Array,
  minute: number,
  signer: ReceiptSigner & { ed25519PublicKey(secretKey: Uint8Array): Uint8Array },
): string {
  assertBytes(secretKey, 'secretKey', 32)
  assertBytes(infohash, 'infohash', 20)
  assertInteger(minute, 'minute', { max: 0xffffffff })
  const signature = signer.ed25519Sign(message(minute, infohash), secretKey)
  return `s1.${base64url(signer.ed25519PublicKey(secretKey))}.${minute.toString(36)}.${base64url(signature)}`
}

/**
 * Whether a passkey-place text is a signed announce key (starts `s1.`).
 *
 * @param text - the text after `/announce/`
 * @returns true when it is one (it may still be malformed)
 */
export function isSignedAnnounceKey(text: string): boolean {
  return text.startsWith('s1.')
}

/**
 * Reads a signed announce key and checks its signature for an infohash.
 *
 * @param text - the key
 * @param infohash - the 20-byte infohash of the request
 * @param signer - the crypto provider
 * @returns the key's signer and minute
 * @throws {@link WireError} `TRACKER_MALFORMED` or `TRACKER_INVALID_FIELD` (form, lengths, a signature
 *   that does not verify), `TRACKER_TOO_LARGE`
 */
export function verifyAnnounceKey(text: string, infohash: Uint8Array, signer: ReceiptSigner): AnnounceKey {
  assertBytes(infohash, 'infohash', 20)
  if (typeof text !== 'string' || text.length > ANNOUNCE_KEY_MAX_LENGTH) {
    throw new WireError('TRACKER_TOO_LARGE', `an announce key has at most ${ANNOUNCE_KEY_MAX_LENGTH} characters`)
  }
  const parts = text.split('.')
  if (parts.length !== 4 || parts[0] !== 's1' || !/^[0-9a-z]{1,7}$/.test(parts[2] as string)) {
    throw new WireError('TRACKER_MALFORMED', 'an announce key is s1.<peer key>.<minute>.<signature>')
  }
  const peerKey = fromBase64url(parts[1] as string, 32, 'peer key')
  const minute = Number.parseInt(parts[2] as string, 36)
  if (minute > 0xffffffff) throw new WireError('TRACKER_INVALID_FIELD', 'announce key minute out of range')
  const signature = fromBase64url(parts[3] as string, 64, 'signature')
  if (!signer.ed25519Verify(signature, message(minute, infohash), peerKey)) {
    throw new WireError('TRACKER_INVALID_FIELD', 'the announce key signature does not verify')
  }
  return { peerKey, minute, signature }
}
