/**
 * The content stream of a private share: the files' bytes, one after the
 * other, XOR a ChaCha20 key stream addressed by byte offset, so any range
 * (a 16 KiB block, a read from the middle of a file) is encrypted or
 * decrypted alone.
 * @module
 */
import { CHACHA20_BLOCK_BYTES, type CryptoProvider } from '@mycel/wire/crypto'

/** ChaCha20 blocks per nonce: 2^31 (128 GiB of key stream); the next segment takes the next nonce. */
export const SEGMENT_BLOCKS = 2 ** 31

/** The 12-byte nonce of segment `segment`: 4 zero bytes, then the segment number as a big-endian u64. */
export function segmentNonce(segment: number): Uint8Array {
  const nonce = new Uint8Array(12)
  new DataView(nonce.buffer).setBigUint64(4, BigInt(segment))
  return nonce
}

/**
 * Bytes of key stream asked of the provider at a time. `node:crypto` gives
 * each answer in a new buffer: under glibc's mmap threshold (128 KiB) its
 * memory is reused, where a larger one maps and faults in fresh pages every
 * time (a 512 KiB chunk cost twice the cipher's own time here).
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
 * `output` (which may be `input` itself: in place), asking the provider for
 * at most {@link XOR_SLICE_BYTES} at a time.
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
  checkOffset(offset)
  if (output.length !== input.length) throw new RangeError('output must be as long as input')
  for (let done = 0; done < input.length; ) {
    const at = offset + done
    const block = Math.floor(at / CHACHA20_BLOCK_BYTES)
    const counter = block % SEGMENT_BLOCKS
    const skip = at % CHACHA20_BLOCK_BYTES
    const room = (SEGMENT_BLOCKS - counter) * CHACHA20_BLOCK_BYTES - skip
    const length = Math.min(input.length - done, room, XOR_SLICE_BYTES - skip)
    const nonce = segmentNonce(Math.floor(block / SEGMENT_BLOCKS))
    const part = input.subarray(done, done + length)
    if (skip === 0) {
      output.set(crypto.chacha20(streamKey, nonce, counter, part), done)
    } else {
      // Start at the block boundary: pad the front, then drop it.
      const padded = new Uint8Array(skip + length)
      padded.set(part, skip)
      output.set(crypto.chacha20(streamKey, nonce, counter, padded).subarray(skip), done)
    }
    done += length
  }
  return output
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError('offset must be a non-negative safe integer')
}
