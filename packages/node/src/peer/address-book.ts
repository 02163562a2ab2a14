/** Addresses remembered at most; the least recently updated are forgotten first. */
export const ADDRESS_BOOK_SIZE = 10_000
/** A record not updated for this long is forgotten (longer than the longest backoff). */
export const ADDRESS_RECORD_TTL_MS = 2 * 60 * 60 * 1000
/** Wait after the first failed dial of an address; it doubles with each failure in a row. */
export const DIAL_BACKOFF_MS = 60 * 1000
/** The longest wait between two dials of an address that keeps failing. */
export const MAX_DIAL_BACKOFF_MS = 60 * 60 * 1000

/** What we know of one dialable address. @internal */
interface AddressRecord {
  /** Failed dials in a row. */
  failures: number
  /** Not dialled again before this time (ms since the epoch). */
  retryAt: number
  /** The peer that answered there last, and its score then. */
  peerId?: string
  score: number
  /** When a peer last answered there (0: never). */
  answeredAt: number
  updatedAt: number
}

/**
 * How a queued address ranks: lower first. Addresses where a peer answered
 * before come first (the better its score, the sooner), then addresses never
 * tried, then those that failed (the fewer failures, the sooner).
 * @internal
 */
export interface AddressRank {
  readonly tier: 0 | 1 | 2
  /** Within a tier, higher first. */
  readonly weight: number
}

/**
 * What dialling addresses taught us, with bounded memory: failures in a row
 * and when an address may be dialled again (exponential backoff from a
 * minute to an hour), which peer answered at an address and its score. At
 * most {@link ADDRESS_BOOK_SIZE} records, each forgotten two hours after its
 * last update.
 * @internal
 */
export class AddressBook {
  private readonly records = new Map<string, AddressRecord>()

  constructor(
    private readonly now: () => number = Date.now,
    private readonly capacity = ADDRESS_BOOK_SIZE,
  ) {}

  /** Records kept now (expired ones included until they are touched or pushed out). */
  get size(): number {
    return this.records.size
  }

  /** Whether an address must not be dialled yet (it failed and its backoff runs). */
  isBackingOff(address: string): boolean {
    const record = this.get(address)
    return record !== undefined && record.retryAt > this.now()
  }

  /** The peer that answered at an address last, if any. */
  peerAt(address: string): string | undefined {
    return this.get(address)?.peerId
  }

  /** Where an address ranks among queued ones. */
  rank(address: string): AddressRank {
    const record = this.get(address)
    if (record === undefined) return { tier: 1, weight: 0 }
    if (record.answeredAt > 0 && record.failures === 0) return { tier: 0, weight: record.score }
    return { tier: record.failures === 0 ? 1 : 2, weight: -record.failures }
  }

  /**
   * A dial of an address failed: it waits a minute before the next, twice as
   * long after each further failure, at most an hour.
   * @param longest - wait the longest backoff at once (the address is ourselves, or a banned peer)
   * @returns the milliseconds before the address may be dialled again
   */
  failed(address: string, longest = false): number {
    const now = this.now()
    const record = this.update(address, now)
    record.failures++
    const wait = Math.min(
      longest ? MAX_DIAL_BACKOFF_MS : DIAL_BACKOFF_MS * 2 ** Math.min(record.failures - 1, 16),
      MAX_DIAL_BACKOFF_MS,
    )
    record.retryAt = now + wait
    return wait
  }

  /** A peer answered at an address (we dialled it, or it connected and listens there). */
  answered(address: string, peerId: string, score: number): void {
    const now = this.now()
    const record = this.update(address, now)
    record.failures = 0
    record.retryAt = 0
    record.peerId = peerId
    record.score = score
    record.answeredAt = now
  }

  /** The score of the peer last seen at an address changed (kept for the order of later dials). */
  scored(address: string, peerId: string, score: number): void {
    const record = this.get(address)
    if (record?.peerId === peerId) record.score = score
  }

  private get(address: string): AddressRecord | undefined {
    const record = this.records.get(address)
    if (record !== undefined && record.updatedAt + ADDRESS_RECORD_TTL_MS <= this.now()) {
      this.records.delete(address)
      return undefined
    }
    return record
  }

  /** The record of an address, created if needed, moved to the most recently updated end. */
  private update(address: string, now: number): AddressRecord {
    const record = this.get(address) ?? { failures: 0, retryAt: 0, score: 0, answeredAt: 0, updatedAt: now }
    this.records.delete(address)
    record.updatedAt = now
    this.records.set(address, record)
    while (this.records.size > this.capacity) this.records.delete(this.records.keys().next().value as string)
    return record
  }
}
