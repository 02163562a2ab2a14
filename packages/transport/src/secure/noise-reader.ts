import type { StreamDecryption } from '../crypto/provider.js'
import { TransportError } from '../errors.js'
import { TAG_BYTES } from '../noise/cipher-state.js'

/**
 * Reads the Noise transport messages of the byte stream (2-byte big-endian
 * length, then ciphertext and tag) and decrypts each as its bytes arrive,
 * without first gathering a message that spans network chunks into one
 * buffer. Plaintext is released only after the tag verifies: the pieces are
 * held until then and handed over in order.
 *
 * This is the transport-phase counterpart of `FrameDecoder` (which the
 * handshake uses): same format, same limits, one copy fewer per message.
 * @internal
 */
export class NoiseReader {
  /** Bytes of a length prefix split across chunks. */
  private prefixByte = -1
  /** Ciphertext bytes (before the tag) still to come in the current message; -1 between messages. */
  private bodyLeft = -1
  /** Tag bytes gathered so far, when the tag spans chunks. */
  private readonly tag = new Uint8Array(TAG_BYTES)
  private tagFilled = 0
  private decrypting: StreamDecryption | null = null
  private pieces: Uint8Array[] = []

  constructor(
    private readonly nextDecryption: (ciphertextLength: number) => StreamDecryption,
    private readonly onPlaintext: (pieces: Uint8Array[]) => void,
  ) {}

  /** Bytes held of a message that has not completed. */
  get pending(): boolean {
    return this.prefixByte >= 0 || this.bodyLeft >= 0 || this.tagFilled > 0
  }

  /**
   * Feeds the next chunk of the stream.
   *
   * @throws {@link TransportError} `DECRYPT_FAILED` for a message that does not authenticate or is shorter than a tag
   */
  push(chunk: Uint8Array): void {
    let pos = 0
    const end = chunk.length
    while (pos < end) {
      if (this.bodyLeft < 0 && this.tagFilled === 0) {
        // Between messages: read the length prefix.
        let length: number
        if (this.prefixByte >= 0) {
          length = (this.prefixByte << 8) | (chunk[pos++] as number)
          this.prefixByte = -1
        } else if (end - pos >= 2) {
          length = ((chunk[pos] as number) << 8) | (chunk[pos + 1] as number)
          pos += 2
        } else {
          this.prefixByte = chunk[pos++] as number
          continue
        }
        if (length < TAG_BYTES)
          throw new TransportError('DECRYPT_FAILED', 'a transport message is shorter than its tag')
        this.bodyLeft = length - TAG_BYTES
        this.decrypting = this.nextDecryption(this.bodyLeft)
        continue
      }
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, end - pos)
        const plaintext = (this.decrypting as StreamDecryption).update(chunk.subarray(pos, pos + take))
        if (plaintext.length > 0) this.pieces.push(plaintext)
        this.bodyLeft -= take
        pos += take
        continue
      }
      // The tag: a view when it is whole in this chunk, else gathered.
      const take = Math.min(TAG_BYTES - this.tagFilled, end - pos)
      let tag: Uint8Array
      if (this.tagFilled === 0 && take === TAG_BYTES) {
        tag = chunk.subarray(pos, pos + TAG_BYTES)
      } else {
        this.tag.set(chunk.subarray(pos, pos + take), this.tagFilled)
        this.tagFilled += take
        tag = this.tag
      }
      pos += take
      this.bodyLeft = -1
      if (tag === this.tag && this.tagFilled < TAG_BYTES) continue
      this.tagFilled = 0
      const decryption = this.decrypting as StreamDecryption
      this.decrypting = null
      const last = decryption.final(tag)
      if (last === null) throw new TransportError('DECRYPT_FAILED', 'a transport message does not authenticate')
      if (last.length > 0) this.pieces.push(last)
      const pieces = this.pieces
      this.pieces = []
      this.onPlaintext(pieces)
    }
  }
}
