/**
 * The content stream of a private share: the files' bytes, one after the
 * other, XOR a ChaCha20 key stream addressed by byte offset, so any range
 * (a 16 KiB block, a read from the middle of a file) is encrypted or
 * decrypted alone.
 * @module
 */
import { CHACHA20_BLOCK_BYTES, type ChaCha20Stream, type CryptoProvider } from '@mycel/wire/crypto'

/** ChaCha20 blocks per nonce: 2^31 (128 GiB of key stream); the next segment takes the next nonce. */
export const SEGMENT_BLOCKS = 2 ** 31

/** Bytes of content stream per nonce (2^37). */
const SEGMENT_BYTES = SEGMENT_BLOCKS * CHACHA20_BLOCK_BYTES

/** The 12-byte nonce of segment `segment`: 4 zero bytes, then the segment number as a big-endian u64. */
export function segmentNonce(segment: number): Uint8Array {
  const nonce = new Uint8Array(12)
  new DataView(nonce.buffer).setBigUint64(4, BigInt(segment))
  return nonce
}

/**
 * The longest input {@link xorContent} gives to one one-shot `chacha20`
 * call (its answer is the result, no copy). `node:crypto` gives each answer
 * in a new buffer: under glibc's mmap threshold (128 KiB) its memory is
 * reused, where a larger one maps and faults in fresh pages every time.
 */
export const XOR_SLICE_BYTES = 64 * 1024

/**
 * XORs `input` with the content key stream from byte `offset` of the
 * content stream (encryption and decryption are the same).
 *
 * @param crypto - provides ChaCha20
 * @param streamKey - the version's stream key
 * @param offset - the stream offset of `input[0]`, a safe non-negative integer
 * @param input - bytes
 * @returns a new array as long as `input`
 */
export function xorContent(
  crypto: CryptoProvider,
  streamKey: Uint8Array,
  offset: number,
  input: Uint8Array,
): Uint8Array {
  checkOffset(offset)
  const block = offset / CHACHA20_BLOCK_BYTES
  if (
    Number.isInteger(block) &&
    input.length <= XOR_SLICE_BYTES &&
    (block % SEGMENT_BLOCKS) + Math.ceil(input.length / CHACHA20_BLOCK_BYTES) <= SEGMENT_BLOCKS
  ) {
    // The common case (a block that starts on a ChaCha20 block, inside one segment): one call, no copy.
    return crypto.chacha20(streamKey, segmentNonce(Math.floor(block / SEGMENT_BLOCKS)), block % SEGMENT_BLOCKS, input)
  }
  return xorContentInto(crypto, streamKey, offset, input, new Uint8Array(input.length))
}

/**
 * XORs `input` with the content key stream from byte `offset` into
 * `output` (which may be `input` itself: in place), with one cipher for the
 * whole range (see {@link ContentKeyStream}).
 *
 * @param crypto - provides ChaCha20
 * @param streamKey - the version's stream key
 * @param offset - the stream offset of `input[0]`, a safe non-negative integer
 * @param input - bytes
 * @param output - as long as `input`: `input` itself, or an array that does not overlap it
 * @returns `output`
 * @throws RangeError for a bad offset or an output of another length
 */
export function xorContentInto(
  crypto: CryptoProvider,
  streamKey: Uint8Array,
  offset: number,
  input: Uint8Array,
  output: Uint8Array,
): Uint8Array {
  return new ContentKeyStream(crypto, streamKey).xorAt(offset, input, output)
}

/**
 * The content key stream of a version as a cursor: {@link xorAt} of a range
 * that starts where the previous one ended goes on with the same ChaCha20
 * stream of the provider (`createChaCha20Stream`), so a run of consecutive
 * ranges (an ingest's chunks, a run of 16 KiB blocks served in order,
 * pieces decrypted in order) sets up one cipher, not one per range; a range
 * anywhere else starts a new one there. Crossing into the next segment (a
 * new nonce every 128 GiB) starts one too.
 *
 * @example
 * ```ts
 * const stream = new ContentKeyStream(crypto, keys.streamKey)
 * stream.xorAt(0, block0, block0) // in place
 * stream.xorAt(16384, block1, block1) // the same cipher, continued
 * ```
 */
export class ContentKeyStream {
  private stream: ChaCha20Stream | undefined
  /** The content stream offset where `stream` is (meaningful while `stream` is set). */
  private offset = 0

  /**
   * @param crypto - provides ChaCha20
   * @param streamKey - the version's stream key (copied by the provider's streams)
   */
  constructor(
    private readonly crypto: CryptoProvider,
    private readonly streamKey: Uint8Array,
  ) {}

  /**
   * XORs `input` with the key stream from content stream byte `offset` into `output`.
   *
   * @param offset - the stream offset of `input[0]`, a safe non-negative integer
   * @param input - bytes
   * @param output - as long as `input`: `input` itself, or an array that does not overlap it
   * @returns `output`
   * @throws RangeError for a bad offset or an output of another length
   */
  xorAt(offset: number, input: Uint8Array, output: Uint8Array): Uint8Array {
    checkOffset(offset)
    if (output.length !== input.length) throw new RangeError('output must be as long as input')
    if (offset !== this.offset) this.stream = undefined
    this.offset = offset
    for (let done = 0; done < input.length; ) {
      const within = this.offset % SEGMENT_BYTES
      if (this.stream === undefined || within === 0) {
        const segment = Math.floor(this.offset / SEGMENT_BYTES)
        this.stream = this.crypto.createChaCha20Stream(this.streamKey, segmentNonce(segment), within)
      }
      const length = Math.min(input.length - done, SEGMENT_BYTES - within)
      this.stream.xorInto(input.subarray(done, done + length), output.subarray(done, done + length))
      done += length
      this.offset += length
    }
    return output
  }
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError('offset must be a non-negative safe integer')
}
