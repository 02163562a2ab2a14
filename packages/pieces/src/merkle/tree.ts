/**
 * BEP 52 Merkle trees: SHA-256 of 16 KiB blocks as leaves, binary, padded to
 * a power of two with zero leaves.
 * @internal
 * @module
 */
import { fastSha256, type HashProvider } from '../hash/provider.js'
import { HASH_SIZE } from '../limits.js'

/** Deepest tree level this package ever builds (2^44 bytes / 16 KiB blocks is 2^30 leaves). */
export const MAX_LEVEL = 40

const padHashes: Uint8Array[] = [new Uint8Array(HASH_SIZE)]

/**
 * The root of a subtree of `2^level` zero leaves: 32 zero bytes at level 0,
 * then SHA-256 of two copies of the level below. These are what BEP 52's
 * padding with zero leaves amounts to at every level.
 */
export function padHash(level: number, hash: HashProvider): Uint8Array {
  while (padHashes.length <= level) {
    const below = padHashes[padHashes.length - 1] as Uint8Array
    const pair = new Uint8Array(2 * HASH_SIZE)
    pair.set(below, 0)
    pair.set(below, HASH_SIZE)
    padHashes.push(hash.sha256(pair))
  }
  return padHashes[level] as Uint8Array
}

/**
 * Builds a Merkle root from nodes pushed left to right, keeping only one
 * node per level (a binary counter), so memory is O(depth) whatever the
 * number of leaves. A pushed node of level `l` stands for `2^l` leaves.
 */
export class MerkleAccumulator {
  /** One slot per level of the right edge, made when first needed (a file of one piece needs two or three). */
  private readonly nodes: Uint8Array[] = []
  private readonly levels = new Int8Array(MAX_LEVEL + 1)
  private readonly pair = new Uint8Array(2 * HASH_SIZE)
  private readonly sha256: (data: Uint8Array) => Uint8Array
  private depth = 0

  constructor(private readonly hash: HashProvider) {
    this.sha256 = fastSha256(hash)
  }

  /** Whether nothing was pushed since the last root or reset. */
  get empty(): boolean {
    return this.depth === 0
  }

  /** Appends a node of `level` at the right edge of the tree. */
  push(node: Uint8Array, level = 0): void {
    let current = node
    let currentLevel = level
    const { nodes, levels, pair } = this
    while (this.depth > 0 && levels[this.depth - 1] === currentLevel) {
      this.depth--
      pair.set(nodes[this.depth] as Uint8Array, 0)
      pair.set(current, HASH_SIZE)
      current = this.sha256(pair)
      currentLevel++
    }
    if (this.depth > 0 && (levels[this.depth - 1] as number) < currentLevel) {
      throw new Error('Merkle nodes pushed out of order')
    }
    let slot = nodes[this.depth]
    if (slot === undefined) {
      slot = new Uint8Array(HASH_SIZE)
      nodes[this.depth] = slot
    }
    slot.set(current)
    levels[this.depth] = currentLevel
    this.depth++
  }

  /**
   * Pads the tree on the right with zero leaves up to `2^level` leaves and
   * returns its root, then resets. With nothing pushed, returns the root of
   * an all-zero tree.
   */
  root(level: number): Uint8Array {
    if (this.depth === 0) return padHash(level, this.hash)
    while (this.depth > 1 || (this.levels[0] as number) < level) {
      const top = this.levels[this.depth - 1] as number
      this.push(padHash(top, this.hash), top)
    }
    if (this.levels[0] !== level) throw new Error(`Merkle tree deeper than level ${level}`)
    this.depth = 0
    return (this.nodes[0] as Uint8Array).slice()
  }

  /** Forgets everything pushed. */
  reset(): void {
    this.depth = 0
  }
}

/** SHA-256 of `left || right`, through a reusable 64-byte scratch buffer. */
export function hashPair(
  left: Uint8Array,
  right: Uint8Array,
  scratch: Uint8Array,
  sha256: (data: Uint8Array) => Uint8Array,
): Uint8Array {
  scratch.set(left, 0)
  scratch.set(right, HASH_SIZE)
  return sha256(scratch)
}
