import { parseAddress } from '@mycel/transport'

/**
 * Where a connection comes from, as the per-address limits count it: one
 * IP address, and the network it belongs to. One party rarely holds more
 * than a /24 of IPv4 addresses, but easily a whole /48 of IPv6.
 * @internal
 */
export interface AddressGroup {
  /** The IP address: dotted IPv4, or IPv6 as eight lower-case hex groups. */
  readonly ip: string
  /** Its network: `a.b.c/24` for IPv4, the first three groups and `/48` for IPv6. */
  readonly subnet: string
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

/**
 * The address group of a transport address (`tcp://1.2.3.4:5678`,
 * `ws://[2001:db8::1]:80/mycel`). Undefined when the host is not an IP
 * address (a memory transport's name, a host name, no address at all):
 * such connections are counted only by the limits that apply to every
 * connection.
 * @internal
 */
export function addressGroupOf(address: string | undefined): AddressGroup | undefined {
  if (address === undefined) return undefined
  let host: string
  try {
    host = parseAddress(address).host
  } catch {
    return undefined
  }
  const v4 = ipv4Of(host)
  if (v4 !== undefined) return { ip: v4.join('.'), subnet: `${v4.slice(0, 3).join('.')}/24` }
  const v6 = ipv6Groups(host)
  if (v6 === undefined) return undefined
  const mapped = mappedIpv4(v6)
  if (mapped !== undefined) return { ip: mapped.join('.'), subnet: `${mapped.slice(0, 3).join('.')}/24` }
  const text = v6.map((group) => group.toString(16))
  return { ip: text.join(':'), subnet: `${text.slice(0, 3).join(':')}::/48` }
}

function ipv4Of(host: string): number[] | undefined {
  const match = IPV4.exec(host)
  if (match === null) return undefined
  const octets = match.slice(1).map(Number)
  return octets.every((octet) => octet <= 255) ? octets : undefined
}

/** The eight 16-bit groups of an IPv6 address (with `::` expanded and a dotted IPv4 tail read). */
function ipv6Groups(host: string): number[] | undefined {
  if (!host.includes(':')) return undefined
  const halves = host.toLowerCase().split('::')
  if (halves.length > 2) return undefined
  const parse = (part: string): number[] | undefined => {
    if (part === '') return []
    const groups: number[] = []
    const pieces = part.split(':')
    for (const [index, piece] of pieces.entries()) {
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = ipv4Of(piece)
        if (v4 === undefined) return undefined
        groups.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number))
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) {
        groups.push(Number.parseInt(piece, 16))
      } else {
        return undefined
      }
    }
    return groups
  }
  const head = parse(halves[0] as string)
  const tail = halves.length === 2 ? parse(halves[1] as string) : []
  if (head === undefined || tail === undefined) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  return [...head, ...new Array<number>(missing).fill(0), ...tail]
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`). */
function mappedIpv4(groups: number[]): number[] | undefined {
  if (!groups.slice(0, 5).every((group) => group === 0) || groups[5] !== 0xffff) return undefined
  const high = groups[6] as number
  const low = groups[7] as number
  return [high >> 8, high & 0xff, low >> 8, low & 0xff]
}
