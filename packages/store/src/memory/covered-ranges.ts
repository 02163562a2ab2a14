/**
 * Which byte ranges of a file have been written: sorted, disjoint, merged
 * half-open intervals. Writes of a download are mostly whole pieces or
 * aligned blocks, so the list stays short.
 * @internal
 */
export class CoveredRanges {
  /** Flat `[start0, end0, start1, end1, ...]`, increasing, no two touching. */
  private readonly bounds: number[] = []

  /** Marks `[start, end)` written. */
  add(start: number, end: number): void {
    if (end <= start) return
    const b = this.bounds
    // first interval whose end reaches start (touching intervals merge)
    let i = 0
    while (i < b.length && (b[i + 1] as number) < start) i += 2
    let j = i
    let newStart = start
    let newEnd = end
    while (j < b.length && (b[j] as number) <= end) {
      newStart = Math.min(newStart, b[j] as number)
      newEnd = Math.max(newEnd, b[j + 1] as number)
      j += 2
    }
    b.splice(i, j - i, newStart, newEnd)
  }

  /** Whether every byte of `[start, end)` has been written. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true
    const b = this.bounds
    for (let i = 0; i < b.length; i += 2) {
      if ((b[i] as number) <= start) {
        if ((b[i + 1] as number) >= end) return true
      } else return false
    }
    return false
  }
}
