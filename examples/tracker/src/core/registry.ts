/**
 * The infohashes registered with the tracker (its whitelist), and which
 * swarm each belongs to: a hybrid torrent's v1 infohash and its truncated
 * v2 infohash are registered into one swarm.
 * @module
 */

/** One registered infohash. */
export interface RegisteredInfohash {
  /** The 20 bytes clients announce: a v1 infohash, a truncated v2 infohash, or a mycel discovery key. */
  readonly infohash: Uint8Array
  /** The 20-byte key of the swarm it belongs to (itself, or the other infohash of a hybrid torrent). */
  readonly swarm: Uint8Array
  /**
   * The 20-byte key of the torrent it was registered with (the swarm of its
   * BitTorrent infohashes): unregistering any infohash of a torrent removes
   * all of the torrent's.
   */
  readonly torrent: Uint8Array
  /** The torrent's name, when it was registered from a `.torrent` file. */
  readonly name?: string
  /** When it was registered, in seconds since 1970. */
  readonly addedAt: number
}

/** One character per byte: the form infohashes take as map keys. */
export function keyOf(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes)
}

/** The bytes of a key made by {@link keyOf}. */
export function bytesOf(key: string): Uint8Array {
  const out = new Uint8Array(key.length)
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i)
  return out
}

/** The registered infohashes in memory, as the tracker last read them from storage. */
export class Registry {
  private swarmOf = new Map<string, string>()
  /** The storage's registry version this copy reflects; -1 before the first read. */
  version = -1

  /** Registered infohashes. */
  get size(): number {
    return this.swarmOf.size
  }

  /** Whether `key` is registered. */
  has(key: string): boolean {
    return this.swarmOf.has(key)
  }

  /**
   * The swarm an infohash announces into: the one it was registered with, or
   * its own when it is not registered.
   */
  swarm(key: string): string {
    return this.swarmOf.get(key) ?? key
  }

  /**
   * Replaces the whole registry with what storage holds.
   *
   * @param entries - every registered infohash
   * @param version - the storage's registry version they were read at
   */
  replace(entries: readonly RegisteredInfohash[], version: number): void {
    const next = new Map<string, string>()
    for (const entry of entries) next.set(keyOf(entry.infohash), keyOf(entry.swarm))
    this.swarmOf = next
    this.version = version
  }
}
