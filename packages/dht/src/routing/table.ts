import { equalBytes } from '@mycel/wire'
import type { NodeContact } from '../compact.js'
import { commonPrefixLength, compareDistance, ID_LENGTH, idToHex, randomIdWithPrefix } from '../id.js'

/** Liveness of a routing-table node, as BEP 5 defines it. */
export type NodeState = 'good' | 'questionable' | 'bad'

/** One node of the routing table, with what we know of its liveness. */
export interface RoutingEntry extends NodeContact {
  /** When it last answered one of our queries (`-Infinity`: not since we learnt of it). */
  lastResponse: number
  /** When it last sent us a query (`-Infinity`: never). */
  lastQuery: number
  /** Queries in a row it failed to answer. */
  failures: number
  /** Whether it has ever answered us (restored nodes count as having answered). */
  responded: boolean
}

/** What {@link RoutingTable.observe} did with a node. @internal */
export type ObserveResult =
  | { readonly status: 'added' | 'updated' | 'ignored' | 'full' }
  | { readonly status: 'ping'; readonly questionable: RoutingEntry }

interface Bucket {
  /** Least recently seen first. */
  entries: RoutingEntry[]
  /** Nodes that answered us while the bucket was full, newest last. */
  replacements: RoutingEntry[]
  lastChanged: number
}

/** Options of a {@link RoutingTable}. @internal */
export interface RoutingTableOptions {
  readonly id: Uint8Array
  readonly k: number
  /** How long a node stays good after it answered (or queried, once it has answered); BEP 5: 15 minutes. */
  readonly goodFor?: number
  /** Failed queries in a row that make a node bad. */
  readonly failuresToBad?: number
}

const MAX_BUCKETS = ID_LENGTH * 8

/**
 * The BEP 5 routing table: buckets of at most `k` nodes covering the 160-bit
 * id space, where only the bucket holding our own id splits. It contains only
 * nodes that answered us. A full bucket takes a new node in place of a bad
 * one; if it has questionable nodes instead, it asks the caller to ping the
 * least recently seen one and keeps the newcomer as a replacement until the
 * outcome is known. It never sends anything itself, so it can be tested with
 * a fake clock.
 * @internal
 */
export class RoutingTable {
  readonly id: Uint8Array
  readonly k: number
  private readonly goodFor: number
  private readonly failuresToBad: number
  private readonly buckets: Bucket[]
  private readonly byId = new Map<string, RoutingEntry>()
  private readonly byAddress = new Map<string, RoutingEntry>()
  /** Non-bad entries and their id prefixes, for `closest`; undefined when the table changed. */
  private usable: RoutingEntry[] | undefined
  private prefixes: number[] = []

  constructor(options: RoutingTableOptions, now = 0) {
    this.id = options.id
    this.k = options.k
    this.goodFor = options.goodFor ?? 15 * 60_000
    this.failuresToBad = options.failuresToBad ?? 2
    this.buckets = [{ entries: [], replacements: [], lastChanged: now }]
  }

  /** Nodes in the table. */
  get size(): number {
    return this.byId.size
  }

  /** Number of buckets (1 to 160). */
  get bucketCount(): number {
    return this.buckets.length
  }

  /** The liveness of an entry at `now`. */
  state(entry: RoutingEntry, now: number): NodeState {
    if (entry.failures >= this.failuresToBad) return 'bad'
    if (now - entry.lastResponse < this.goodFor) return 'good'
    if (entry.responded && now - entry.lastQuery < this.goodFor) return 'good'
    return 'questionable'
  }

  /** The entry with this id, if any. */
  get(id: Uint8Array): RoutingEntry | undefined {
    return this.byId.get(idToHex(id))
  }

  /** The entry at this address, if any. */
  atAddress(host: string, port: number): RoutingEntry | undefined {
    return this.byAddress.get(`${host}|${port}`)
  }

  /** Every entry, bucket by bucket. */
  *entries(): IterableIterator<RoutingEntry> {
    for (const bucket of this.buckets) yield* bucket.entries
  }

  /**
   * Records that a node answered us (`response`) or queried us (`query`).
   * Known nodes are updated; an unknown node is inserted only on a response.
   */
  observe(contact: NodeContact, kind: 'response' | 'query', now: number): ObserveResult {
    if (contact.id.length !== ID_LENGTH || equalBytes(contact.id, this.id)) return { status: 'ignored' }
    const key = idToHex(contact.id)
    const known = this.byId.get(key)
    if (known !== undefined) {
      if (known.host === contact.host && known.port === contact.port) return this.touch(known, kind, now)
      if (this.state(known, now) !== 'bad') return { status: 'ignored' }
      this.removeEntry(known)
    }
    if (kind !== 'response') return { status: 'ignored' }
    const sameAddress = this.byAddress.get(`${contact.host}|${contact.port}`)
    if (sameAddress !== undefined) {
      if (this.state(sameAddress, now) !== 'bad') return { status: 'ignored' }
      this.removeEntry(sameAddress)
    }
    return this.insert(newEntry(contact, now), now)
  }

  /** Whether an unknown node would find a place (room, a split, or a bad or questionable node to replace). */
  wouldAccept(id: Uint8Array, now: number): boolean {
    if (id.length !== ID_LENGTH || equalBytes(id, this.id) || this.byId.has(idToHex(id))) return false
    const index = this.bucketIndex(id)
    const bucket = this.buckets[index] as Bucket
    if (bucket.entries.length < this.k) return true
    if (index === this.buckets.length - 1 && this.buckets.length < MAX_BUCKETS) return true
    return bucket.entries.some((entry) => this.state(entry, now) !== 'good')
  }

  /**
   * Records a query the node did not answer. With `bad`, the node is bad at
   * once (a ping and its retry both failed). A bad node is replaced by the
   * newest replacement of its bucket, if there is one.
   */
  failed(id: Uint8Array, now: number, bad = false): void {
    const entry = this.byId.get(idToHex(id))
    if (entry === undefined) return
    entry.failures = bad ? Math.max(entry.failures + 1, this.failuresToBad) : entry.failures + 1
    if (this.state(entry, now) !== 'bad') return
    this.usable = undefined
    const bucket = this.buckets[this.bucketIndex(entry.id)] as Bucket
    const replacement = bucket.replacements.pop()
    if (replacement === undefined) return
    this.removeEntry(entry)
    this.insert(replacement, now)
  }

  /** Removes a node. */
  remove(id: Uint8Array): boolean {
    const entry = this.byId.get(idToHex(id))
    if (entry === undefined) return false
    this.removeEntry(entry)
    return true
  }

  /**
   * Adds a node restored from a snapshot: it answered us in an earlier run,
   * so it counts as questionable until it answers again.
   */
  restore(contact: NodeContact, now: number): boolean {
    const result = this.observe(contact, 'response', now)
    const entry = this.get(contact.id)
    if (result.status !== 'added' || entry === undefined) return false
    entry.lastResponse = Number.NEGATIVE_INFINITY
    return true
  }

  /** The `count` non-bad nodes closest to `target`, closest first. */
  closest(target: Uint8Array, count: number): RoutingEntry[] {
    // Answering find_node is the hot path of a node. A bounded insertion sort
    // keyed on the first 24 bits of the XOR distance, over a packed array of
    // id prefixes, touches only the entries that make the cut; the full
    // distance breaks ties.
    const best: RoutingEntry[] = []
    const keys: number[] = []
    if (count <= 0) return best
    if (this.usable === undefined) this.index()
    const usable = this.usable as RoutingEntry[]
    const prefixes = this.prefixes
    const targetPrefix = idPrefix(target)
    for (let i = 0; i < usable.length; i++) {
      const key = (prefixes[i] as number) ^ targetPrefix
      let index = best.length
      if (index === count) {
        const worst = keys[count - 1] as number
        if (key > worst) continue
        if (
          key === worst &&
          compareDistance((usable[i] as RoutingEntry).id, (best[count - 1] as RoutingEntry).id, target) >= 0
        ) {
          continue
        }
        index--
      }
      const entry = usable[i] as RoutingEntry
      while (index > 0) {
        const previous = keys[index - 1] as number
        if (
          key > previous ||
          (key === previous && compareDistance(entry.id, (best[index - 1] as RoutingEntry).id, target) >= 0)
        ) {
          break
        }
        best[index] = best[index - 1] as RoutingEntry
        keys[index] = previous
        index--
      }
      best[index] = entry
      keys[index] = key
    }
    return best
  }

  /** Rebuilds the packed list of non-bad entries used by `closest`. */
  private index(): void {
    const usable: RoutingEntry[] = []
    const prefixes: number[] = []
    for (const bucket of this.buckets) {
      for (const entry of bucket.entries) {
        if (entry.failures >= this.failuresToBad) continue
        usable.push(entry)
        prefixes.push(idPrefix(entry.id))
      }
    }
    this.usable = usable
    this.prefixes = prefixes
  }

  /** Indices of buckets not changed for `after` ms. */
  staleBuckets(now: number, after: number): number[] {
    const stale: number[] = []
    this.buckets.forEach((bucket, index) => {
      if (now - bucket.lastChanged >= after) stale.push(index)
    })
    return stale
  }

  /** A random id inside bucket `index`, to refresh it with a lookup; marks the bucket refreshed. */
  refreshTarget(index: number, now: number): Uint8Array {
    const bucket = this.buckets[index]
    if (bucket === undefined) throw new RangeError(`no bucket ${index}`)
    bucket.lastChanged = now
    const last = index === this.buckets.length - 1
    return randomIdWithPrefix(this.id, index, !last)
  }

  /** Counts of nodes by state, and buckets. */
  counts(now: number): { nodes: number; good: number; questionable: number; bad: number; buckets: number } {
    const counts = { nodes: 0, good: 0, questionable: 0, bad: 0, buckets: this.buckets.length }
    for (const entry of this.entries()) {
      counts.nodes++
      counts[this.state(entry, now)]++
    }
    return counts
  }

  private touch(entry: RoutingEntry, kind: 'response' | 'query', now: number): ObserveResult {
    const bucket = this.buckets[this.bucketIndex(entry.id)] as Bucket
    if (kind === 'response') {
      if (entry.failures >= this.failuresToBad) this.usable = undefined
      entry.lastResponse = now
      entry.responded = true
      entry.failures = 0
      bucket.lastChanged = now
    } else {
      entry.lastQuery = now
    }
    const index = bucket.entries.indexOf(entry)
    if (index >= 0 && index !== bucket.entries.length - 1) {
      bucket.entries.splice(index, 1)
      bucket.entries.push(entry)
    }
    return { status: 'updated' }
  }

  private insert(entry: RoutingEntry, now: number): ObserveResult {
    for (;;) {
      const index = this.bucketIndex(entry.id)
      const bucket = this.buckets[index] as Bucket
      if (bucket.entries.length < this.k) {
        this.addEntry(bucket, entry, now)
        return { status: 'added' }
      }
      if (index === this.buckets.length - 1 && this.buckets.length < MAX_BUCKETS) {
        this.split(now)
        continue
      }
      const bad = bucket.entries.find((candidate) => this.state(candidate, now) === 'bad')
      if (bad !== undefined) {
        this.removeEntry(bad)
        this.addEntry(bucket, entry, now)
        return { status: 'added' }
      }
      const questionable = bucket.entries.find((candidate) => this.state(candidate, now) === 'questionable')
      this.keepReplacement(bucket, entry)
      return questionable === undefined ? { status: 'full' } : { status: 'ping', questionable }
    }
  }

  private keepReplacement(bucket: Bucket, entry: RoutingEntry): void {
    const index = bucket.replacements.findIndex(
      (r) => equalBytes(r.id, entry.id) || (r.host === entry.host && r.port === entry.port),
    )
    if (index >= 0) bucket.replacements.splice(index, 1)
    bucket.replacements.push(entry)
    if (bucket.replacements.length > this.k) bucket.replacements.shift()
  }

  private addEntry(bucket: Bucket, entry: RoutingEntry, now: number): void {
    this.usable = undefined
    bucket.entries.push(entry)
    bucket.lastChanged = now
    this.byId.set(idToHex(entry.id), entry)
    this.byAddress.set(`${entry.host}|${entry.port}`, entry)
    const stale = bucket.replacements.findIndex((r) => equalBytes(r.id, entry.id))
    if (stale >= 0) bucket.replacements.splice(stale, 1)
  }

  private removeEntry(entry: RoutingEntry): void {
    this.usable = undefined
    const bucket = this.buckets[this.bucketIndex(entry.id)] as Bucket
    const index = bucket.entries.indexOf(entry)
    if (index >= 0) bucket.entries.splice(index, 1)
    this.byId.delete(idToHex(entry.id))
    this.byAddress.delete(`${entry.host}|${entry.port}`)
  }

  private split(now: number): void {
    const depth = this.buckets.length - 1
    const old = this.buckets[depth] as Bucket
    const next: Bucket = { entries: [], replacements: [], lastChanged: now }
    const stays = (entry: RoutingEntry) => commonPrefixLength(entry.id, this.id) === depth
    next.entries = old.entries.filter((entry) => !stays(entry))
    old.entries = old.entries.filter(stays)
    next.replacements = old.replacements.filter((entry) => !stays(entry))
    old.replacements = old.replacements.filter(stays)
    this.buckets.push(next)
  }

  private bucketIndex(id: Uint8Array): number {
    return Math.min(commonPrefixLength(id, this.id), this.buckets.length - 1)
  }
}

function newEntry(contact: NodeContact, now: number): RoutingEntry {
  return {
    id: contact.id,
    host: contact.host,
    port: contact.port,
    lastResponse: now,
    lastQuery: Number.NEGATIVE_INFINITY,
    failures: 0,
    responded: true,
  }
}

/** The first 24 bits of an id, as a small integer (no heap number). */
function idPrefix(id: Uint8Array): number {
  return ((id[0] as number) << 16) | ((id[1] as number) << 8) | (id[2] as number)
}
