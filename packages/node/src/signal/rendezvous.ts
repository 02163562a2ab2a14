import { toHex } from '@mycel/wire'
import type { ProtocolChannel } from '../peer/protocols.js'
import type { PeerLink } from '../swarm/peer.js'
import { encodeSignalMessage, MAX_SIGNAL_PEERS } from './messages.js'

/** Shares one peer may join at a middle peer; further joins are ignored. */
export const MAX_JOINED_PER_PEER = 64

/**
 * The middle peer's side of `join`: which of its `signal/1` peers have or
 * want which share (by announce key), so that it can tell each joiner the
 * others ("reachable by signal through me") and tell the others of a new
 * joiner. State is per connection and goes with it.
 * @internal
 */
export class Rendezvous {
  /** Joiners of each share, the most recent last. */
  private readonly members = new Map<string, Map<PeerLink, ProtocolChannel>>()
  private readonly keysOf = new Map<PeerLink, Set<string>>()

  /** Shares with at least one joiner. */
  get shares(): number {
    return this.members.size
  }

  /**
   * `from` joins the share announced under `key`: it hears the other
   * joiners (the 50 most recent); on its first join, they hear of it.
   */
  join(from: ProtocolChannel, key: Uint8Array): void {
    const keyHex = toHex(key)
    let keys = this.keysOf.get(from.link)
    if (keys === undefined) {
      keys = new Set()
      this.keysOf.set(from.link, keys)
    }
    if (!keys.has(keyHex) && keys.size >= MAX_JOINED_PER_PEER) return
    keys.add(keyHex)
    let members = this.members.get(keyHex)
    if (members === undefined) {
      members = new Map()
      this.members.set(keyHex, members)
    }
    const fresh = !members.has(from.link)
    members.delete(from.link)
    const others = [...members.values()].filter((channel) => !channel.link.isClosed).slice(-MAX_SIGNAL_PEERS)
    members.set(from.link, from)
    from.send(encodeSignalMessage({ type: 'peers', key, peers: others.map((channel) => channel.link.keyBytes) }))
    if (!fresh) return
    const joined = encodeSignalMessage({ type: 'peers', key, peers: [from.link.keyBytes] })
    for (const other of others) other.send(joined)
  }

  /** A connection closed: it leaves every share it joined. */
  leave(link: PeerLink): void {
    for (const keyHex of this.keysOf.get(link) ?? []) {
      const members = this.members.get(keyHex)
      members?.delete(link)
      if (members?.size === 0) this.members.delete(keyHex)
    }
    this.keysOf.delete(link)
  }
}
