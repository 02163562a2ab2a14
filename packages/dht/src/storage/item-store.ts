import { equalBytes } from '@mycel/wire'
import { compareSeq, type Seq } from '../bep44/items.js'
import { idToHex } from '../id.js'
import { addressPrefix } from '../ip.js'
import { Tally } from './tally.js'

/** A BEP 44 item as a storing node keeps it. @internal */
export interface StoredItem {
  /** The exact bencoded `v`. */
  readonly value: Uint8Array
  /** Mutable items only: public key, sequence number, signature and salt. */
  readonly mutable?: {
    readonly publicKey: Uint8Array
    readonly seq: Seq
    readonly signature: Uint8Array
    readonly salt: Uint8Array
  }
  /** The IP address that first stored the item, and its /24 or /48: whose share it counts in. */
  readonly storedBy: { readonly ip: string; readonly prefix: string }
  expiresAt: number
}

/** Bounds of an {@link ItemStore}. @internal */
export interface ItemStoreLimits {
  readonly maxItems: number
  readonly maxItemsPerIp: number
  readonly maxItemsPerPrefix: number
  readonly itemTtl: number
}

/**
 * Outcome of a store into {@link ItemStore}: `full` when a new item is
 * refused past `maxItems`, `address-full` when the sender's IP address or
 * network already has its share of the store.
 * @internal
 */
export type ItemStoreResult = 'stored' | 'refreshed' | 'full' | 'address-full' | 'cas-mismatch' | 'seq-too-low'

/**
 * BEP 44 items stored on this node, by target. At most `maxItems`, and at
 * most `maxItemsPerIp` / `maxItemsPerPrefix` first stored from one IP address
 * / one /24 or /48; a new target is refused when the store or the sender's
 * share is full (items already stored can still be updated, by anyone).
 * Each item expires `itemTtl` after its last put. Mutable items only move
 * forward: a lower `seq`, or the same `seq` with another value, is refused,
 * and a `cas` that does not match the stored `seq` is refused.
 * @internal
 */
export class ItemStore {
  private readonly items = new Map<string, StoredItem>()
  private readonly ips = new Tally()
  private readonly prefixes = new Tally()

  constructor(private readonly limits: ItemStoreLimits) {}

  /** Number of items stored. */
  get size(): number {
    return this.items.size
  }

  /** The live item stored under `target`, if any. */
  get(target: Uint8Array, now: number): StoredItem | undefined {
    const hex = idToHex(target)
    const item = this.items.get(hex)
    if (item === undefined) return undefined
    if (item.expiresAt <= now) {
      this.delete(hex, item)
      return undefined
    }
    return item
  }

  /**
   * Stores an immutable item (its target is the SHA-1 of `value`, computed by the caller).
   * @param from - the IP address of the sender
   */
  putImmutable(target: Uint8Array, value: Uint8Array, now: number, from: string): ItemStoreResult {
    const existing = this.get(target, now)
    if (existing !== undefined) {
      existing.expiresAt = now + this.limits.itemTtl
      return 'refreshed'
    }
    const storedBy = { ip: from, prefix: addressPrefix(from) }
    return this.insert(idToHex(target), { value: value.slice(), storedBy, expiresAt: now + this.limits.itemTtl })
  }

  /**
   * Stores a mutable item whose signature the caller has verified.
   * @param from - the IP address of the sender
   */
  putMutable(
    target: Uint8Array,
    item: { value: Uint8Array; publicKey: Uint8Array; seq: Seq; signature: Uint8Array; salt: Uint8Array; cas?: Seq },
    now: number,
    from: string,
  ): ItemStoreResult {
    const existing = this.get(target, now)
    const stored = existing?.mutable
    if (existing !== undefined && stored !== undefined) {
      if (item.cas !== undefined && compareSeq(item.cas, stored.seq) !== 0) return 'cas-mismatch'
      const order = compareSeq(item.seq, stored.seq)
      if (order < 0) return 'seq-too-low'
      if (order === 0) {
        if (!equalBytes(item.value, existing.value)) return 'seq-too-low'
        existing.expiresAt = now + this.limits.itemTtl
        return 'refreshed'
      }
    }
    const record: StoredItem = {
      value: item.value.slice(),
      mutable: {
        publicKey: item.publicKey.slice(),
        seq: item.seq,
        signature: item.signature.slice(),
        salt: item.salt.slice(),
      },
      // An update (only the key's owner can sign one) stays in the share of whoever stored the item first.
      storedBy: existing?.storedBy ?? { ip: from, prefix: addressPrefix(from) },
      expiresAt: now + this.limits.itemTtl,
    }
    const hex = idToHex(target)
    if (existing !== undefined) {
      this.items.set(hex, record)
      return 'stored'
    }
    return this.insert(hex, record)
  }

  /** Drops every expired item. */
  sweep(now: number): void {
    for (const [hex, item] of this.items) if (item.expiresAt <= now) this.delete(hex, item)
  }

  private insert(hex: string, item: StoredItem): ItemStoreResult {
    const { ip, prefix } = item.storedBy
    if (this.ips.get(ip) >= this.limits.maxItemsPerIp) return 'address-full'
    if (this.prefixes.get(prefix) >= this.limits.maxItemsPerPrefix) return 'address-full'
    if (this.items.size >= this.limits.maxItems) return 'full'
    this.items.set(hex, item)
    this.ips.add(ip)
    this.prefixes.add(prefix)
    return 'stored'
  }

  private delete(hex: string, item: StoredItem): void {
    this.items.delete(hex)
    this.ips.remove(item.storedBy.ip)
    this.prefixes.remove(item.storedBy.prefix)
  }
}
