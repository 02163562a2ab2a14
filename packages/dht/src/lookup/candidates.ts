import { equalBytes } from '@mycel/wire'
import type { PeerAddress } from '../address.js'
import type { NodeContact } from '../compact.js'
import { compareDistance, idToHex } from '../id.js'

/** Where a lookup stands with one node. @internal */
export type CandidateState = 'new' | 'pending' | 'responded' | 'failed'

/** A node a lookup knows of. Bootstrap addresses have no id until they answer. @internal */
export interface Candidate {
  readonly address: PeerAddress
  readonly id: Uint8Array | undefined
  readonly round: number
  state: CandidateState
  stalled: boolean
  token: Uint8Array | undefined
}

/**
 * The candidates of one lookup, ranked by XOR distance to the target and
 * capped at `capacity` (the farthest are forgotten). Every address and id is
 * taken once, so a node cannot be queried twice and one address cannot
 * stand for many ids.
 * @internal
 */
export class CandidateList {
  /** Nodes with ids, closest first. */
  readonly ranked: Candidate[] = []
  /** Bootstrap addresses, queried first. */
  readonly unranked: Candidate[] = []
  private readonly seen = new Set<string>()

  constructor(
    private readonly target: Uint8Array,
    private readonly ownId: Uint8Array,
    private readonly k: number,
    private readonly capacity: number,
  ) {}

  /** Adds a bootstrap address (no id known). */
  addAddress(address: PeerAddress): void {
    const key = `${address.host}|${address.port}`
    if (this.seen.has(key)) return
    this.seen.add(key)
    this.unranked.push({ address, id: undefined, round: 1, state: 'new', stalled: false, token: undefined })
  }

  /**
   * Adds a node; undefined if it was known, is ourselves, or is too far to
   * keep. `answered` adds a node that has just answered from an address
   * already taken (a bootstrap address, or a node whose id was not the one
   * we were told).
   */
  add(contact: NodeContact, round: number, answered = false): Candidate | undefined {
    if (equalBytes(contact.id, this.ownId)) return undefined
    const addressKey = `${contact.host}|${contact.port}`
    const idKey = idToHex(contact.id)
    if ((!answered && this.seen.has(addressKey)) || this.seen.has(idKey)) return undefined
    const list = this.ranked
    let low = 0
    let high = list.length
    while (low < high) {
      const mid = (low + high) >> 1
      if (compareDistance((list[mid] as Candidate).id as Uint8Array, contact.id, this.target) < 0) low = mid + 1
      else high = mid
    }
    if (low >= this.capacity) return undefined
    this.seen.add(addressKey)
    this.seen.add(idKey)
    const candidate: Candidate = {
      address: { host: contact.host, port: contact.port },
      id: contact.id,
      round,
      state: answered ? 'responded' : 'new',
      stalled: false,
      token: undefined,
    }
    list.splice(low, 0, candidate)
    if (list.length > this.capacity) list.pop()
    return candidate
  }

  /** The next node to query: a bootstrap address, else the closest new node among the k closest not failed. */
  next(): Candidate | undefined {
    for (const candidate of this.unranked) if (candidate.state === 'new') return candidate
    let counted = 0
    for (const candidate of this.ranked) {
      if (candidate.state === 'failed') continue
      if (counted++ >= this.k) break
      if (candidate.state === 'new') return candidate
    }
    return undefined
  }

  /** Whether the k closest nodes not failed have all answered (and no bootstrap query is open). */
  converged(): boolean {
    for (const candidate of this.unranked) if (candidate.state === 'new' || candidate.state === 'pending') return false
    let counted = 0
    for (const candidate of this.ranked) {
      if (candidate.state === 'failed') continue
      if (counted++ >= this.k) break
      if (candidate.state !== 'responded') return false
    }
    return true
  }

  /** The k closest nodes that answered, closest first. */
  closest(): Candidate[] {
    const out: Candidate[] = []
    for (const candidate of this.ranked) {
      if (out.length >= this.k) break
      if (candidate.state === 'responded') out.push(candidate)
    }
    return out
  }
}
