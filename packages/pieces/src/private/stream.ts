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
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError('offset must be a non-negative safe integer')
  const firstBlock = Math.floor(offset / CHACHA20_BLOCK_BYTES)
  const lastBlock = Math.floor((offset + Math.max(0, input.length - 1)) / CHACHA20_BLOCK_BYTES)
  if (
    offset % CHACHA20_BLOCK_BYTES === 0 &&
    Math.floor(firstBlock / SEGMENT_BLOCKS) === Math.floor(lastBlock / SEGMENT_BLOCKS)
  ) {
    // The common case (a chunk that starts on a block, inside one segment): one call, no copy.
    return crypto.chacha20(
      streamKey,
      segmentNonce(Math.floor(firstBlock / SEGMENT_BLOCKS)),
      firstBlock % SEGMENT_BLOCKS,
      input,
    )
  }
  const out = new Uint8Array(input.length)
  let done = 0
  while (done < input.length) {
    const at = offset + done
    const block = Math.floor(at / CHACHA20_BLOCK_BYTES)
    const segment = Math.floor(block / SEGMENT_BLOCKS)
    const counter = block % SEGMENT_BLOCKS
    const skip = at % CHACHA20_BLOCK_BYTES
    const room = (SEGMENT_BLOCKS - counter) * CHACHA20_BLOCK_BYTES - skip
    const length = Math.min(input.length - done, room)
    const nonce = segmentNonce(segment)
    if (skip === 0) {
      out.set(crypto.chacha20(streamKey, nonce, counter, input.subarray(done, done + length)), done)
    } else {
      // Start at the block boundary: pad the front, then drop it.
      const padded = new Uint8Array(skip + length)
      padded.set(input.subarray(done, done + length), skip)
      const result = crypto.chacha20(streamKey, nonce, counter, padded).subarray(skip)
      if (length === input.length) return result // all of it, in one segment: no second copy
      out.set(result, done)
    }
    done += length
  }
  return out
}
