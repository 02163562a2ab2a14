import type { ComponentLogger } from '@mycel/wire/log'
import { formatHostPort, type PeerAddress } from './address.js'
import type { IpFamily } from './compact.js'
import { ipFamily } from './ip.js'
import type { DatagramSocket } from './socket.js'

/**
 * The bootstrap addresses a node of `family` can use: IP addresses of that
 * family as given, host names resolved through the socket (when it can),
 * and never the node's own address. A host that does not resolve is skipped
 * like one that does not answer.
 * @internal
 */
export async function resolveBootstrap(
  addresses: readonly PeerAddress[],
  socket: DatagramSocket,
  family: IpFamily,
  signal: AbortSignal,
  log?: ComponentLogger,
): Promise<PeerAddress[]> {
  const out: PeerAddress[] = []
  for (const address of addresses) {
    const hostFamily = ipFamily(address.host)
    if (hostFamily === family) {
      out.push(address)
      continue
    }
    if (hostFamily !== 0 || socket.resolve === undefined) continue
    try {
      const hosts = await socket.resolve(address.host, { signal })
      const host = hosts.find((candidate) => ipFamily(candidate) === family)
      if (host !== undefined) out.push({ host, port: address.port })
      else log?.debug(`bootstrap node ${address.host} has no IPv${family} address: skipped`)
    } catch (err) {
      // Unresolvable: skipped.
      if (!signal.aborted) log?.debug(`bootstrap node ${address.host} does not resolve: skipped`, { error: err })
    }
  }
  const self = formatHostPort(socket.localAddress)
  return out.filter((address) => formatHostPort(address) !== self)
}
