/**
 * `bitfield`s one peer may send for one share: 4 at once, then one per
 * 30 s. An honest node sends two per share and connection (one before it
 * knows the share's size, one after); a third or fourth comes only from a
 * share stopped and started again. A peer over the budget is disconnected:
 * each bitfield costs us an allocation of up to 128 KiB.
 */
export const BITFIELD_BUDGET = { burst: 4, intervalMs: 30_000 } as const

/**
 * `pex` messages one peer may send for one share: 8 at once, then one per
 * 5 s; the others are ignored. An honest node sends one half a second after
 * the members change and one a minute; each may make us dial 50 addresses.
 */
export const PEX_BUDGET = { burst: 8, intervalMs: 5_000 } as const

/**
 * Metadata one peer may fetch of one share, per connection: twice its size
 * (at least 1 MiB), refilled over 10 minutes, each answer counted as a whole
 * 256 KiB slice (`MESSAGE_LIMITS.maxMetaChunkBytes`) however short. An
 * honest download fetches the metadata once, in whole slices but the last;
 * past the budget, `meta-get` is answered `BUSY`.
 */
export const METADATA_BUDGET = { copies: 2, minBytes: 1024 * 1024, windowMs: 10 * 60_000 } as const

/** `meta-get` requests one peer may have queued with us; more are answered `BUSY` (an honest download asks one at a time). */
export const MAX_QUEUED_METADATA_REQUESTS = 4

/**
 * A budget refilled over time: `capacity` units at most, `capacity` more
 * every `windowMs`, continuously.
 * @internal
 */
export class Allowance {
  private tokens: number
  private last: number

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
    now: number,
  ) {
    this.tokens = capacity
    this.last = now
  }

  /** Takes `amount` units if that many are left; returns whether it did. */
  take(amount: number, now: number): boolean {
    const elapsed = Math.max(0, now - this.last)
    this.last = now
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.capacity) / this.windowMs)
    if (this.tokens < amount) return false
    this.tokens -= amount
    return true
  }
}

/**
 * What one connection's peer may make us do per share, beyond the request
 * queue of its uploader: bitfields and metadata bytes (peer exchange keeps
 * its own, see pex.ts). Kept
 * per share (only shares we have: messages about others cost nothing) and
 * dropped with the connection.
 * @internal
 */
export class PeerBudget {
  private readonly bitfields = new Map<string, Allowance>()
  private readonly metadataBytes = new Map<object, Allowance>()

  /** Whether the peer may send one more `bitfield` for the share. */
  bitfield(infohashHex: string, now = Date.now()): boolean {
    return this.allowance(this.bitfields, infohashHex, BITFIELD_BUDGET, now).take(1, now)
  }

  /**
   * Whether `bytes` more of a share's metadata (of `totalBytes`) may be sent to the peer.
   * @param share - the share served (any object identifying it)
   */
  metadata(share: object, totalBytes: number, bytes: number, now = Date.now()): boolean {
    let allowance = this.metadataBytes.get(share)
    if (allowance === undefined) {
      const capacity = Math.max(METADATA_BUDGET.copies * totalBytes, METADATA_BUDGET.minBytes)
      allowance = new Allowance(capacity, METADATA_BUDGET.windowMs, now)
      this.metadataBytes.set(share, allowance)
    }
    return allowance.take(bytes, now)
  }

  /** The allowance of `key`: `burst` messages, refilled at one per `intervalMs`. */
  private allowance(
    map: Map<string, Allowance>,
    key: string,
    budget: { readonly burst: number; readonly intervalMs: number },
    now: number,
  ): Allowance {
    let allowance = map.get(key)
    if (allowance === undefined) {
      allowance = new Allowance(budget.burst, budget.burst * budget.intervalMs, now)
      map.set(key, allowance)
    }
    return allowance
  }
}
