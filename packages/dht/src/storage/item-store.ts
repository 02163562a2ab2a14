import { equalBytes } from '@mycel/wire'
import { compareSeq, type Seq } from '../bep44/items.js'
import { idToHex } from '../id.js'

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
  expiresAt: number
}

/** Outcome of a store into {@link ItemStore}. @internal */
export type ItemStoreResult = 'stored' | 'refreshed' | 'full' | 'cas-mismatch' | 'seq-too-low'

/**
 * BEP 44 items stored on this node, by target. At most `maxItems`; a new
 * target is refused when full (items already stored can still be updated).
 * Each item expires `itemTtl` after its last put. Mutable items only move
 * forward: a lower `seq`, or the same `seq` with another value, is refused,
 * and a `cas` that does not match the stored `seq` is refused.
 * @internal
 */
export class ItemStore {
  private readonly items = new Map<string, StoredItem>()

  constructor(private readonly limits: { readonly maxItems: number; readonly itemTtl: number }) {}

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
      this.items.delete(hex)
      return undefined
    }
    return item
  }

  /** Stores an immutable item (its target is the SHA-1 of `value`, computed by the caller). */
  putImmutable(target: Uint8Array, value: Uint8Array, now: number): ItemStoreResult {
    const existing = this.get(target, now)
    if (existing !== undefined) {
      existing.expiresAt = now + this.limits.itemTtl
      return 'refreshed'
    }
    return this.insert(idToHex(target), { value: value.slice(), expiresAt: now + this.limits.itemTtl })
  }

  /** Stores a mutable item whose signature the caller has verified. */
  putMutable(
    target: Uint8Array,
    item: { value: Uint8Array; publicKey: Uint8Array; seq: Seq; signature: Uint8Array; salt: Uint8Array; cas?: Seq },
    now: number,
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
    for (const [hex, item] of this.items) if (item.expiresAt <= now) this.items.delete(hex)
  }

  private insert(hex: string, item: StoredItem): ItemStoreResult {
    if (this.items.size >= this.limits.maxItems) return 'full'
    this.items.set(hex, item)
    return 'stored'
  }
}
