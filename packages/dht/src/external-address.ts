import type { PeerAddress } from './address.js'
import { isExemptAddress } from './bep42.js'
import { decodeCompactPeer, type IpFamily } from './compact.js'
import { ipFamily } from './ip.js'

/** Voters remembered (the oldest vote is forgotten first). */
const MAX_VOTERS = 64
/** Votes an address needs before it is believed. */
const MIN_VOTES = 2

/**
 * Our address as the network sees it, from the `ip` field (BEP 42) of the
 * answers we get: each answering node votes for the address it saw, a node's
 * newer vote replaces its older one, and the address with the most votes
 * (at least two) wins. Ports are ignored (a NAT may map each query to a
 * different one). A voter is one host on the public internet, so one machine
 * cannot outvote the rest by answering from many ports; on local networks
 * (the addresses BEP 42 exempts) each host and port votes, since there
 * several nodes often share one address.
 * @internal
 */
export class ExternalAddressVotes {
  /** Voter key -> the address it reported, oldest vote first. */
  private readonly votes = new Map<string, string>()
  /** Address -> how many voters report it. */
  private readonly tally = new Map<string, number>()
  private winner: string | undefined

  constructor(private readonly family: IpFamily) {}

  /** The address most voters saw, or undefined before two agree. */
  get address(): string | undefined {
    return this.winner
  }

  /**
   * Counts one report. Returns true when it changed the winning address.
   *
   * @param reported - the compact `ip` value of an answer
   * @param by - who answered
   */
  report(reported: Uint8Array, by: PeerAddress): boolean {
    const seen = decodeCompactPeer(reported)
    if (seen === undefined || ipFamily(seen.host) !== this.family) return false
    const voter = isExemptAddress(by.host) ? `${by.host}|${by.port}` : by.host
    this.withdraw(voter)
    this.votes.set(voter, seen.host)
    this.tally.set(seen.host, (this.tally.get(seen.host) ?? 0) + 1)
    if (this.votes.size > MAX_VOTERS) this.withdraw(this.votes.keys().next().value as string)
    let best = this.winner
    let bestCount = best === undefined ? 0 : (this.tally.get(best) ?? 0)
    for (const [address, count] of this.tally) {
      if (count > bestCount) {
        best = address
        bestCount = count
      }
    }
    const next = bestCount >= MIN_VOTES ? best : undefined
    if (next === this.winner) return false
    this.winner = next
    return true
  }

  /** Takes back a voter's vote, if it has one. */
  private withdraw(voter: string): void {
    const address = this.votes.get(voter)
    if (address === undefined) return
    this.votes.delete(voter)
    const count = (this.tally.get(address) ?? 1) - 1
    if (count === 0) this.tally.delete(address)
    else this.tally.set(address, count)
  }
}
