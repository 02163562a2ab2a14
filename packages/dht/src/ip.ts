/**
 * IP address text to bytes and back, without `node:net`, so the core runs in
 * browsers. IPv6 text is written in the canonical form of RFC 5952.
 * @internal
 * @module
 */

/** `4` for dotted-quad IPv4 text, `6` for IPv6 text, `0` for anything else (a host name). */
export function ipFamily(host: string): 0 | 4 | 6 {
  if (parseIpv4(host) !== undefined) return 4
  if (parseIpv6(host) !== undefined) return 6
  return 0
}

/** The 4 bytes of dotted-quad text (no leading zeros), or undefined if `text` is not one. */
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

/** The 16 bytes of IPv6 text (with `::` and an optional embedded IPv4 tail), or undefined. */
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

/** Dotted-quad text of 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  // join gives one flat string; a template would leave a rope of seven pieces.
  return [bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]].join('.')
}

/** RFC 5952 text of 16 bytes at `offset` (IPv4-mapped addresses as `::ffff:a.b.c.d`). */
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

/** The canonical text of an IP address (so `::0001` and `::1` compare equal), or the input if it is a host name. */
export function normalizeHost(host: string): string {
  const v4 = parseIpv4(host)
  if (v4 !== undefined) return host
  const v6 = parseIpv6(host)
  return v6 === undefined ? host : formatIpv6(v6)
}

/**
 * The network an address belongs to, for per-network bounds: its /24 for
 * IPv4 (`a.b.c.0/24`, also for an IPv4-mapped IPv6 address) and its /48 for
 * IPv6 (the first three groups, `2001:db8:1::/48`), the blocks one operator
 * usually holds. A host name is its own network.
 */
export function addressPrefix(host: string): string {
  const v4 = parseIpv4(host)
  if (v4 !== undefined) return `${v4[0]}.${v4[1]}.${v4[2]}.0/24`
  const v6 = parseIpv6(host)
  if (v6 === undefined) return host
  if (v6.subarray(0, 10).every((byte) => byte === 0) && v6[10] === 0xff && v6[11] === 0xff) {
    return `${v6[12]}.${v6[13]}.${v6[14]}.0/24`
  }
  const group = (i: number) => ((v6[i] as number) << 8) | (v6[i + 1] as number)
  return `${group(0).toString(16)}:${group(2).toString(16)}:${group(4).toString(16)}::/48`
}
