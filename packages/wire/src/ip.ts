/**
 * IP address text to bytes and back, without `node:net`, so that every
 * runtime can read and write the addresses that compact peer info (BEP 5,
 * BEP 23, BEP 7) and KRPC carry. IPv6 text is written in the canonical form
 * of RFC 5952.
 * @module
 */

/**
 * The 4 bytes of dotted-quad IPv4 text: four decimal numbers up to 255
 * without leading zeros (`010` is octal to some parsers and decimal to others).
 *
 * @param text - for example `192.0.2.7`
 * @returns the bytes, or undefined if `text` is not such an address
 *
 * @example
 * ```ts
 * parseIpv4('192.0.2.7') // Uint8Array [192, 0, 2, 7]
 * ```
 */
export function parseIpv4(text: string): Uint8Array | undefined {
  if (text.length < 7 || text.length > 15) return undefined
  const bytes = new Uint8Array(4)
  let part = 0
  let value = 0
  let digits = 0
  for (let i = 0; i <= text.length; i++) {
    const code = i === text.length ? 0x2e : text.charCodeAt(i)
    if (code === 0x2e) {
      if (digits === 0 || part > 3) return undefined
      bytes[part++] = value
      value = 0
      digits = 0
      continue
    }
    if (code < 0x30 || code > 0x39 || (digits === 1 && value === 0)) return undefined
    value = value * 10 + (code - 0x30)
    digits++
    if (value > 255) return undefined
  }
  return part === 4 ? bytes : undefined
}

/**
 * The 16 bytes of IPv6 text in any RFC 4291 form: groups of up to four hex
 * digits, at most one `::`, an optional dotted-quad tail (`::ffff:192.0.2.7`).
 * Brackets and zone ids (`fe80::1%eth0`) are refused.
 *
 * @param text - for example `2001:db8::1`
 * @returns the bytes, or undefined if `text` is not such an address
 *
 * @example
 * ```ts
 * parseIpv6('::1') // 15 zero bytes, then 1
 * ```
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':')
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] as string).split(':')) : []
  const groups: number[] = []
  const all = [...head, ...tail]
  const last = all[all.length - 1]
  let v4: Uint8Array | undefined
  if (last?.includes('.')) {
    v4 = parseIpv4(last)
    if (v4 === undefined) return undefined
    if (tail.length > 0) tail.pop()
    else head.pop()
  }
  const parsedHead = parseGroups(head)
  const parsedTail = parseGroups(tail)
  if (parsedHead === undefined || parsedTail === undefined) return undefined
  const wanted = v4 === undefined ? 8 : 6
  const present = parsedHead.length + parsedTail.length
  if (halves.length === 1 ? present !== wanted : present >= wanted) return undefined
  groups.push(...parsedHead)
  for (let i = present; i < wanted; i++) groups.push(0)
  groups.push(...parsedTail)
  const bytes = new Uint8Array(16)
  for (let i = 0; i < groups.length; i++) {
    bytes[i * 2] = (groups[i] as number) >> 8
    bytes[i * 2 + 1] = (groups[i] as number) & 0xff
  }
  if (v4 !== undefined) bytes.set(v4, 12)
  return bytes
}

function parseGroups(parts: string[]): number[] | undefined {
  const groups: number[] = []
  for (const part of parts) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined
    groups.push(Number.parseInt(part, 16))
  }
  return groups
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
