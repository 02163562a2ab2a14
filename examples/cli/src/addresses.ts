import { networkInterfaces } from 'node:os'

/**
 * The addresses others can dial this node at, for people to copy: a listen
 * address on every interface (`0.0.0.0`, `::`) becomes one address per
 * IPv4 interface of this machine, outside ones first.
 *
 * @param listening - the node's listen addresses (`tcp://0.0.0.0:41234`)
 * @returns transport addresses to show
 */
export function dialableAddresses(listening: readonly string[]): string[] {
  const out: string[] = []
  for (const address of listening) {
    const match = /^tcp:\/\/(0\.0\.0\.0|\[::\]):(\d+)$/.exec(address)
    if (match === null) {
      out.push(address)
      continue
    }
    const ips = Object.values(networkInterfaces())
      .flatMap((entries) => entries ?? [])
      .filter((entry) => entry.family === 'IPv4')
      .sort((a, b) => Number(a.internal) - Number(b.internal))
      .map((entry) => entry.address)
    for (const ip of ips) out.push(`tcp://${ip}:${match[2]}`)
  }
  return [...new Set(out)]
}
