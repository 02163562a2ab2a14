import { MESSAGE_LIMITS } from '@mycel/wire'
import { assertBytes, assertInteger } from '@mycel/wire/assert'
import { PiecesError } from './errors.js'

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, byte) => {
  let bits = 0
  for (let b = byte; b !== 0; b >>= 1) bits += b & 1
  return bits
})

function assertSize(size: number): void {
  assertInteger(size, 'size', { max: MESSAGE_LIMITS.maxPieces })
}

/**
 * One bit per piece, laid out as the `bitfield` message carries it: bit 7
 * (the most significant) of byte 0 is piece 0, and the spare bits of the
 * last byte are zero. The count of set bits is kept up to date, so
 * {@link Bitfield.count} and {@link Bitfield.isComplete} are O(1).
 *
 * @example
 * ```ts
 * const have = new Bitfield(manifest.pieceCount)
 * have.set(0)
 * send({ type: 'bitfield', infohash, bits: have.toBytes() })
 * const theirs = Bitfield.fromBytes(message.bits, manifest.pieceCount)
 * ```
 */
export class Bitfield {
  /** Number of pieces (bits). */
  readonly size: number
  private readonly bits: Uint8Array
  private setCount = 0

  /**
   * @param size - number of pieces, 0 to 2^20
   * @throws RangeError for a size out of range
   */
  constructor(size: number) {
    assertSize(size)
    this.size = size
    this.bits = new Uint8Array(Math.ceil(size / 8))
  }

  /**
   * Reads bits received from a peer.
   *
   * @param bytes - exactly `ceil(size / 8)` bytes
   * @param size - number of pieces of the share
   * @returns a bitfield holding a copy of the bits
   * @throws {@link PiecesError} `BITFIELD_MALFORMED` if the length is wrong or a spare bit is set
   */
  static fromBytes(bytes: Uint8Array, size: number): Bitfield {
    assertBytes(bytes, 'bytes')
    assertSize(size)
    const expected = Math.ceil(size / 8)
    if (bytes.length !== expected) {
      throw new PiecesError(
        'BITFIELD_MALFORMED',
        `a bitfield of ${size} pieces has ${expected} bytes, got ${bytes.length}`,
      )
    }
    const spare = expected * 8 - size
    if (spare > 0 && ((bytes[expected - 1] as number) & ((1 << spare) - 1)) !== 0) {
      throw new PiecesError('BITFIELD_MALFORMED', 'a spare bit after the last piece is set')
    }
    const field = new Bitfield(size)
    field.bits.set(bytes)
    let count = 0
    for (const byte of bytes) count += POPCOUNT[byte] as number
    field.setCount = count
    return field
  }

  /**
   * A bitfield with every piece set (a seed's).
   *
   * @param size - number of pieces
   * @returns the full bitfield
   */
  static full(size: number): Bitfield {
    const field = new Bitfield(size)
    field.bits.fill(0xff)
    const spare = field.bits.length * 8 - size
    if (spare > 0) field.bits[field.bits.length - 1] = (0xff << spare) & 0xff
    field.setCount = size
    return field
  }

  /** Number of pieces set. */
  count(): number {
    return this.setCount
  }

  /** Whether every piece is set. */
  isComplete(): boolean {
    return this.setCount === this.size
  }

  /**
   * @param piece - piece index
   * @returns whether the piece is set
   * @throws RangeError if the index is out of range
   */
  get(piece: number): boolean {
    this.assertIndex(piece)
    return ((this.bits[piece >> 3] as number) & (0x80 >> (piece & 7))) !== 0
  }

  /**
   * Sets or clears a piece.
   *
   * @param piece - piece index
   * @param value - true to set (the default), false to clear
   * @returns whether the bit changed
   * @throws RangeError if the index is out of range
   */
  set(piece: number, value = true): boolean {
    this.assertIndex(piece)
    const mask = 0x80 >> (piece & 7)
    const byte = this.bits[piece >> 3] as number
    const was = (byte & mask) !== 0
    if (was === value) return false
    this.bits[piece >> 3] = value ? byte | mask : byte & ~mask
    this.setCount += value ? 1 : -1
    return true
  }

  /** @returns the bits in the wire layout (a copy) */
  toBytes(): Uint8Array {
    return this.bits.slice()
  }

  /** @returns an independent copy */
  clone(): Bitfield {
    return Bitfield.fromBytes(this.bits, this.size)
  }

  /**
   * The indices of set pieces, in increasing order.
   * @returns an iterator over set piece indices
   */
  *pieces(): IterableIterator<number> {
    for (let i = 0; i < this.bits.length; i++) {
      const byte = this.bits[i] as number
      if (byte === 0) continue
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) yield i * 8 + bit
    }
  }

  private assertIndex(piece: number): void {
    if (!Number.isInteger(piece) || piece < 0 || piece >= this.size) {
      throw new RangeError(`piece ${String(piece)} is not in 0..${this.size - 1}`)
    }
  }
}
