/**
 * Small helpers for byte strings that every package needs: hex text (the
 * text form of infohashes, node ids and peer ids in keys and logs),
 * equality and unsigned order.
 * @module
 */

const HEX_CODES = Array.from('0123456789abcdef', (char) => char.charCodeAt(0))
/** Most characters made by one `String.fromCharCode` call. */
const CHUNK = 8192

/**
 * Lower-case hex text of bytes.
 *
 * The result is one flat string, not a chain of concatenations, so it is
 * cheap to keep as a map key.
 *
 * @param bytes - any bytes
 * @returns two hex digits per byte
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0xab, 0x01])) // 'ab01'
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  const codes = new Array<number>(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number
    codes[i * 2] = HEX_CODES[byte >> 4] as number
    codes[i * 2 + 1] = HEX_CODES[byte & 15] as number
  }
  if (codes.length <= CHUNK) return String.fromCharCode(...codes)
  // Spreading a very long array into one call would overflow the stack.
  let out = ''
  for (let i = 0; i < codes.length; i += CHUNK) out += String.fromCharCode(...codes.slice(i, i + CHUNK))
  return out
}

/**
 * Bytes of hex text (either case).
 *
 * @param text - an even number of hex digits
 * @returns the bytes, or `undefined` if `text` is not hex of even length
 *
 * @example
 * ```ts
 * fromHex('AB01') // Uint8Array [0xab, 0x01]
 * fromHex('abc') // undefined
 * ```
 */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * Whether two byte strings hold the same bytes. Not constant-time: do not
 * use it to compare secrets.
 *
 * @param a - bytes
 * @param b - bytes
 * @returns true when the lengths and every byte are equal
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Orders byte strings as unsigned bytes, like `memcmp` followed by length
 * (the order of bencode dictionary keys and of SQLite BLOBs).
 *
 * @param a - bytes
 * @param b - bytes
 * @returns negative if `a` sorts first, positive if `b` does, 0 if equal
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const diff = (a[i] as number) - (b[i] as number)
    if (diff !== 0) return diff
  }
  return a.length - b.length
}
