import { formatAddress, type ParsedAddress, parseAddress } from '@mycel/transport'
import type { PeerConnection } from './connection.js'
import { isOnionHost } from './onion.js'

/** Hosts that mean "every interface" in a listen address. */
const UNSPECIFIED = new Set(['0.0.0.0', '::'])
/** An IPv4 or IPv6 literal (what TCP and WebSocket connections report as their remote host). */
const IP_LITERAL = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]*)$/i

function parse(address: string | undefined): ParsedAddress | undefined {
  if (address === undefined) return undefined
  try {
    return parseAddress(address)
  } catch {
    return undefined
  }
}

/**
 * The addresses a connected peer can be dialled at: the address we dialled,
 * and the listen addresses of its `hello` on the host its connection comes
 * from, an unspecified host (`0.0.0.0`, `::`) standing for that host. A
 * listen address on another host is not believed (a peer could claim
 * anyone's address and draw our dials for it to itself). An onion address
 * is believed from any connection: it is dialled only through a proxy, by
 * name, so it cannot aim our dials at a host's IP address. On a transport
 * whose addresses carry no IP host (the memory transport), listen addresses
 * without an IP host are taken as they are. A WebRTC address
 * (`webrtc://<peer id>`) is believed only when it names the peer itself.
 *
 * @param peer - a ready connection
 * @returns transport addresses, without duplicates
 * @internal
 */
export function reachableAt(
  peer: Pick<PeerConnection, 'outbound' | 'address' | 'hello'> & Partial<Pick<PeerConnection, 'peerIdText'>>,
): string[] {
  const addresses = new Set<string>()
  const seen = parse(peer.address)
  if (peer.outbound && seen !== undefined) addresses.add(formatAddress(seen))
  const seenHost = seen !== undefined && IP_LITERAL.test(seen.host) ? seen.host : undefined
  for (const listen of peer.hello?.listen ?? []) {
    const parsed = parse(listen)
    if (parsed === undefined) continue
    // A WebRTC address names a peer id: believed only for the peer's own.
    if (parsed.scheme === 'webrtc') {
      if (parsed.host === peer.peerIdText) addresses.add(formatAddress(parsed))
      continue
    }
    if (isOnionHost(parsed.host)) {
      addresses.add(formatAddress(parsed))
      continue
    }
    if (seenHost === undefined) {
      if (!IP_LITERAL.test(parsed.host)) addresses.add(formatAddress(parsed))
      continue
    }
    if (UNSPECIFIED.has(parsed.host)) addresses.add(formatAddress({ ...parsed, host: seenHost }))
    else if (parsed.host === seenHost) addresses.add(formatAddress(parsed))
  }
  return [...addresses]
}

/**
 * The canonical text of a transport address (as {@link reachableAt} gives
 * them), or the text itself when it does not parse.
 * @internal
 */
export function canonicalAddress(address: string): string {
  const parsed = parse(address)
  return parsed === undefined ? address : formatAddress(parsed)
}
