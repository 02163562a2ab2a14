import { TransportError } from './errors.js'

/** Bytes in a peer id: the Ed25519 public key. */
export const PEER_ID_BYTES = 32

/** Characters in the text form of a peer id: 256 bits in 5-bit digits. */
export const PEER_ID_TEXT_LENGTH = 52

/** RFC 4648 base32 alphabet, lower case. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

/** Value of each character code, or -1; upper case is accepted on input. */
const DIGITS = (() => {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) {
    table[ALPHABET.charCodeAt(i)] = i
    table[ALPHABET.toUpperCase().charCodeAt(i)] = i
  }
  return table
})()

/**
 * The text form of a peer id: RFC 4648 base32, lower case, no padding
 * (52 characters for 32 bytes; the 4 spare bits of the last character are zero).
 *
 * @param peerId - the 32-byte Ed25519 public key
 * @returns the 52-character text form
 * @throws TypeError/RangeError when `peerId` is not 32 bytes
 *
 * @example
 * ```ts
 * console.log(peerIdToString(identity.peerId)) // 'q7u3...'
 * ```
 */
export function peerIdToString(peerId: Uint8Array): string {
  if (!(peerId instanceof Uint8Array)) throw new TypeError('peerId must be a Uint8Array')
  if (peerId.length !== PEER_ID_BYTES) throw new RangeError(`peerId must be ${PEER_ID_BYTES} bytes`)
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of peerId) {
    buffer = ((buffer << 8) | byte) & 0xfff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += ALPHABET[(buffer >>> bits) & 31]
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31]
  return out
}

/**
 * Parses the text form of a peer id. Upper case letters are accepted; the
 * canonical form ({@link peerIdToString}) is lower case.
 *
 * @param text - 52 base32 characters
 * @returns the 32-byte peer id
 * @throws {@link TransportError} `PEER_ID_INVALID` for anything that is not
 *   exactly the base32 form of 32 bytes (wrong length, other characters,
 *   padding, non-zero spare bits)
 *
 * @example
 * ```ts
 * const remotePeerId = parsePeerId(process.argv[2])
 * ```
 */
export function parsePeerId(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length !== PEER_ID_TEXT_LENGTH) {
    throw new TransportError('PEER_ID_INVALID', `a peer id is ${PEER_ID_TEXT_LENGTH} base32 characters`)
  }
  const out = new Uint8Array(PEER_ID_BYTES)
  let buffer = 0
  let bits = 0
  let pos = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const digit = code < 128 ? (DIGITS[code] as number) : -1
    if (digit < 0) throw new TransportError('PEER_ID_INVALID', `a peer id has no character ${JSON.stringify(text[i])}`)
    buffer = ((buffer << 5) | digit) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[pos++] = (buffer >>> bits) & 0xff
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) {
    throw new TransportError('PEER_ID_INVALID', 'the spare bits of a peer id must be zero')
  }
  return out
}

/**
 * Whether two peer ids (or any two byte strings) are equal.
 *
 * @param a - first id
 * @param b - second id
 * @returns true when both have the same bytes
 */
export function peerIdEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number)
  return diff === 0
}
