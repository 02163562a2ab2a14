/**
 * Counts per name (peers or items per IP address or network), dropping a
 * name when its count returns to zero so that memory follows what is stored.
 * @internal
 */
export class Tally {
  private readonly counts = new Map<string, number>()

  /** The count of `name` (0 if none). */
  get(name: string): number {
    return this.counts.get(name) ?? 0
  }

  /** Adds one to `name`. */
  add(name: string): void {
    this.counts.set(name, this.get(name) + 1)
  }

  /** Takes one from `name`. */
  remove(name: string): void {
    const count = this.get(name) - 1
    if (count > 0) this.counts.set(name, count)
    else this.counts.delete(name)
  }

  /** The largest count, `extra` counted once more (a newcomer not stored yet). */
  largest(extra?: string): number {
    let largest = extra === undefined ? 0 : this.get(extra) + 1
    for (const [name, count] of this.counts) {
      const counted = name === extra ? count + 1 : count
      if (counted > largest) largest = counted
    }
    return largest
  }
}
