/**
 * IP address text to bytes and back, without `node:net`, so that every
 * runtime can read and write the addresses that compact peer info (BEP 5,
 * BEP 23, BEP 7) and KRPC carry. IPv6 text is written in the canonical form
 * of RFC 5952.
 * @module
 */

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/

/**
 * The 4 bytes of a dotted-quad IPv4 address.
 *
 * Only the plain form is read: four decimal numbers up to 255 without
 * leading zeros (`010` is octal to some parsers and decimal to others).
 *
 * @param text - for example `192.0.2.7`
 * @returns the bytes, or `undefined` if `text` is not such an address
 */
export function parseIpv4(text: string): Uint8Array | undefined {
  const match = DOTTED_QUAD.exec(text)
  if (match === null) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const part = match[i + 1] as string
    if (part.length > 1 && part.startsWith('0')) return undefined
    const value = Number(part)
    if (value > 255) return undefined
    out[i] = value
  }
  return out
}

/**
 * The 16 bytes of an IPv6 address in any RFC 4291 text form: groups of up
 * to four hex digits, one `::`, and an optional dotted-quad tail
 * (`::ffff:192.0.2.7`). Zone ids (`fe80::1%eth0`) and brackets are refused:
 * a compact address cannot carry them.
 *
 * @param text - for example `2001:db8::1`
 * @returns the bytes, or `undefined` if `text` is not such an address
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length > 45 || text.length < 2) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':')
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] as string).split(':')) : []
  const groups: number[] = []
  const tailGroups: number[] = []
  const read = (parts: string[], into: number[], mayEndInQuad: boolean): boolean => {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string
      if (mayEndInQuad && i === parts.length - 1 && part.includes('.')) {
        const quad = parseIpv4(part)
        if (quad === undefined) return false
        into.push(((quad[0] as number) << 8) | (quad[1] as number), ((quad[2] as number) << 8) | (quad[3] as number))
      } else {
        if (!HEX_GROUP.test(part)) return false
        into.push(Number.parseInt(part, 16))
      }
    }
    return true
  }
  if (halves.length === 1) {
    if (!read(head, groups, true) || groups.length !== 8) return undefined
  } else {
    if (!read(head, groups, false) || !read(tail, tailGroups, true)) return undefined
    // `::` stands for at least one group of zeros.
    if (groups.length + tailGroups.length > 7) return undefined
    while (groups.length + tailGroups.length < 8) groups.push(0)
    groups.push(...tailGroups)
  }
  const out = new Uint8Array(16)
  for (let i = 0; i < 8; i++) {
    const group = groups[i] as number
    out[2 * i] = group >> 8
    out[2 * i + 1] = group & 0xff
  }
  return out
}

/**
 * Dotted-quad text of the 4 bytes at `offset`.
 *
 * @param bytes - holds the address
 * @param offset - where it starts; default 0
 * @returns the text, for example `192.0.2.7`
 */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  // join gives one flat string; a template would leave a rope of seven pieces.
  return [bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]].join('.')
}

/**
 * RFC 5952 text of the 16 bytes at `offset`: lower case, the longest run of
 * two or more zero groups written `::`, IPv4-mapped addresses as
 * `::ffff:a.b.c.d`.
 *
 * @param bytes - holds the address
 * @param offset - where it starts; default 0
 * @returns the text, for example `2001:db8::1`
 */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = []
  for (let i = 0; i < 8; i++)
    groups.push(((bytes[offset + i * 2] as number) << 8) | (bytes[offset + i * 2 + 1] as number))
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(bytes, offset + 12)}`
  }
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

/**
 * The bytes of an IPv4 or IPv6 literal.
 *
 * @param text - a dotted quad or an IPv6 text form
 * @returns 4 or 16 bytes, or `undefined` if `text` is neither
 */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text)
}

/**
 * The text form of an address: a dotted quad for 4 bytes, the RFC 5952 form
 * for 16 (lower case, the longest run of two or more zero groups written
 * `::`, IPv4-mapped addresses as `::ffff:192.0.2.7`).
 *
 * @param bytes - 4 or 16 bytes
 * @returns the text
 * @throws RangeError if `bytes` is neither 4 nor 16 bytes long
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIpv4(bytes)
  if (bytes.length !== 16) throw new RangeError(`an IP address is 4 or 16 bytes, got ${bytes.length}`)
  return formatIpv6(bytes)
}

/**
 * Whether 16 bytes are an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), the
 * form a dual-stack socket reports IPv4 peers in.
 *
 * @param bytes - an address
 * @returns true for 16 bytes starting with ten zeros and two 0xff
 */
export function isIpv4Mapped(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false
  return bytes[10] === 0xff && bytes[11] === 0xff
}
