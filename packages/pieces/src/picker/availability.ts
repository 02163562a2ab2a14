/**
 * Pieces ordered by availability, with O(1) updates: one array holds every
 * piece, done pieces first, then the others grouped in buckets of equal
 * availability, rarest first. Moving a piece between neighbouring buckets is
 * one swap and one boundary shift.
 * @internal
 * @module
 */

export class AvailabilityOrder {
  /** Pieces: done ones in `[0, bounds[0])`, then bucket `a` in `[bounds[a], bounds[a + 1])`. */
  readonly order: Uint32Array
  /** Index of each piece in `order`. */
  private readonly position: Uint32Array
  /** Availability of each piece (seeds not counted). */
  readonly availability: Uint32Array
  /** Start of each bucket; the last entry is always the piece count. */
  readonly bounds: number[]

  /**
   * @param done - whether each piece starts done
   * @param random - shuffles the pieces, so that ties are broken at random
   */
  constructor(pieceCount: number, done: (piece: number) => boolean, random: () => number) {
    this.order = new Uint32Array(pieceCount)
    this.position = new Uint32Array(pieceCount)
    this.availability = new Uint32Array(pieceCount)
    const wanted: number[] = []
    let doneCount = 0
    for (let piece = 0; piece < pieceCount; piece++) {
      if (done(piece)) this.order[doneCount++] = piece
      else wanted.push(piece)
    }
    for (let i = wanted.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      const swap = wanted[i] as number
      wanted[i] = wanted[j] as number
      wanted[j] = swap
    }
    this.order.set(wanted, doneCount)
    for (let i = 0; i < pieceCount; i++) this.position[this.order[i] as number] = i
    this.bounds = [doneCount, pieceCount]
  }

  /** Whether a piece is in the done region. */
  isDone(piece: number): boolean {
    return (this.position[piece] as number) < (this.bounds[0] as number)
  }

  /** One more peer has `piece`. */
  increment(piece: number): void {
    const level = this.availability[piece] as number
    this.availability[piece] = level + 1
    if (this.isDone(piece)) return
    if (this.bounds.length === level + 2) this.bounds.push(this.order.length)
    const last = (this.bounds[level + 1] as number) - 1
    this.swap(piece, last)
    this.bounds[level + 1] = last
  }

  /** One peer fewer has `piece`. */
  decrement(piece: number): void {
    const level = this.availability[piece] as number
    if (level === 0) throw new Error(`availability of piece ${piece} would go below zero`)
    this.availability[piece] = level - 1
    if (this.isDone(piece)) return
    const first = this.bounds[level] as number
    this.swap(piece, first)
    this.bounds[level] = first + 1
  }

  /** Moves a piece into the done region. */
  markDone(piece: number): void {
    if (this.isDone(piece)) return
    for (let level = this.availability[piece] as number; level >= 0; level--) {
      const first = this.bounds[level] as number
      this.swap(piece, first)
      this.bounds[level] = first + 1
    }
  }

  /** Moves a piece out of the done region, back into its bucket. */
  markMissing(piece: number): void {
    if (!this.isDone(piece)) return
    const level = this.availability[piece] as number
    while (this.bounds.length < level + 2) this.bounds.push(this.order.length)
    for (let b = 0; b <= level; b++) {
      const last = (this.bounds[b] as number) - 1
      this.swap(piece, last)
      this.bounds[b] = last
    }
  }

  private swap(piece: number, index: number): void {
    const from = this.position[piece] as number
    const other = this.order[index] as number
    this.order[index] = piece
    this.order[from] = other
    this.position[piece] = index
    this.position[other] = from
  }
}
