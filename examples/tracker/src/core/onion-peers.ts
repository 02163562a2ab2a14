/**
 * Peers that announced an onion address (`ip=<name>.onion`, a mycel node
 * behind Tor with an onion service): kept apart from the compact peer
 * lists, which cannot hold a host name, and handed only to clients that
 * asked for a BEP 3 list of dictionaries (`compact=0`). The address a
 * request came from (a Tor exit) is never listed for such a peer. Bounded
 * per swarm and in all; entries expire as peers do.
 * @module
 */

import { formatIp, type TrackerPeer } from '@mycel/wire'

/** Onion peers kept per swarm at most; beyond, a new one is not listed. */
export const MAX_ONION_PEERS_PER_SWARM = 1_000
/** Onion peers kept in all swarms at most. */
export const MAX_ONION_PEERS = 100_000

/** The onion peers of every swarm. */
export class OnionPeers {
  /** Per swarm key: `<host>:<port>` to the second it expires. */
  private readonly swarms = new Map<string, Map<string, number>>()
  private total = 0

  /** Onion peers kept now, in all swarms. */
  get size(): number {
    return this.total
  }

  /**
   * Records an announce of an onion peer (or forgets it on `stopped`).
   *
   * @param swarmKey - the swarm
   * @param address - `<name>.onion:<port>`
   * @param expiresAt - seconds, when it is dropped without a new announce
   * @param stopped - whether it left
   */
  announce(swarmKey: string, address: string, expiresAt: number, stopped: boolean): void {
    let peers = this.swarms.get(swarmKey)
    if (stopped) {
      if (peers?.delete(address) === true) this.total--
      if (peers?.size === 0) this.swarms.delete(swarmKey)
      return
    }
    if (peers?.has(address) === true) {
      peers.set(address, expiresAt)
      return
    }
    if (this.total >= MAX_ONION_PEERS || (peers?.size ?? 0) >= MAX_ONION_PEERS_PER_SWARM) return
    if (peers === undefined) {
      peers = new Map()
      this.swarms.set(swarmKey, peers)
    }
    peers.set(address, expiresAt)
    this.total++
  }

  /**
   * Up to `count` live onion peers of a swarm (expired ones are dropped on the way).
   *
   * @param swarmKey - the swarm
   * @param exclude - the asking peer's own address, if it is an onion one
   * @param count - how many at most
   * @param now - seconds
   * @returns `{ host, port }` of each
   */
  pick(
    swarmKey: string,
    exclude: string | undefined,
    count: number,
    now: number,
  ): Array<{ host: string; port: number }> {
    const peers = this.swarms.get(swarmKey)
    const out: Array<{ host: string; port: number }> = []
    if (peers === undefined || count <= 0) return out
    for (const [address, expiresAt] of peers) {
      if (expiresAt <= now) {
        peers.delete(address)
        this.total--
        continue
      }
      if (address === exclude) continue
      const colon = address.lastIndexOf(':')
      out.push({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) })
      if (out.length >= count) break
    }
    if (peers.size === 0) this.swarms.delete(swarmKey)
    return out
  }
}

/** The peers of an answer as a BEP 3 list: the compact ones read back, then the onion ones. */
export function peerListOf(result: {
  readonly peers4: string
  readonly peers6: string
  readonly onion: ReadonlyArray<{ readonly host: string; readonly port: number }>
}): TrackerPeer[] {
  const peers: TrackerPeer[] = []
  for (const [list, width] of [
    [result.peers4, 6],
    [result.peers6, 18],
  ] as const) {
    for (let at = 0; at < list.length; at += width) {
      const bytes = Buffer.from(list.slice(at, at + width), 'latin1')
      peers.push({ host: formatIp(bytes.subarray(0, width - 2)), port: bytes.readUInt16BE(width - 2) })
    }
  }
  return [...peers, ...result.onion]
}
