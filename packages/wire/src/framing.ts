import { assertFunction, assertInteger } from './assert.js'
import { WireError } from './errors.js'

/** Width of a frame's big-endian length prefix: 2 bytes (Noise messages) or 4 bytes (application messages). */
export type PrefixLength = 2 | 4

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Width of the length prefix in bytes. */
  prefixLength: PrefixLength
  /** Largest frame body accepted; a larger announced length is refused before any of it is buffered. */
  maxFrameLength: number
  /** Called once per complete frame body, in order. */
  onFrame: (frame: Uint8Array) => void
  /**
   * Assemble frames that arrive split in one buffer, reused for the next
   * split frame, instead of a new buffer each. Every frame is then valid
   * only until `onFrame` returns: copy what you keep. Default false.
   */
  reuseBuffer?: boolean
}

/**
 * Writes the big-endian length prefix of a frame.
 *
 * @param length - length of the frame body
 * @param prefixLength - 2 or 4
 * @returns a new buffer of `prefixLength` bytes
 * @throws RangeError when `length` does not fit the prefix
 *
 * @example
 * ```ts
 * socket.write(encodeFramePrefix(body.length, 4))
 * socket.write(body)
 * ```
 */
export function encodeFramePrefix(length: number, prefixLength: PrefixLength): Uint8Array {
  const prefix = new Uint8Array(prefixLength)
  writeFramePrefix(prefix, 0, length, prefixLength)
  return prefix
}

/**
 * Writes a big-endian length prefix into `target` at `offset`, for callers
 * that assemble prefix and body in one buffer.
 *
 * @param target - buffer to write into
 * @param offset - where the prefix starts
 * @param length - length of the frame body
 * @param prefixLength - 2 or 4
 * @throws RangeError when `length` does not fit the prefix
 */
export function writeFramePrefix(target: Uint8Array, offset: number, length: number, prefixLength: PrefixLength): void {
  const max = prefixLength === 2 ? 0xffff : 0xffff_ffff
  if (!Number.isSafeInteger(length) || length < 0 || length > max) {
    throw new RangeError(`frame length ${length} does not fit a ${prefixLength}-byte prefix`)
  }
  if (prefixLength === 2) {
    target[offset] = length >>> 8
    target[offset + 1] = length & 0xff
  } else {
    target[offset] = length >>> 24
    target[offset + 1] = (length >>> 16) & 0xff
    target[offset + 2] = (length >>> 8) & 0xff
    target[offset + 3] = length & 0xff
  }
}

/**
 * Incremental decoder of length-prefixed frames. Bytes may arrive split at
 * any boundary; each complete frame body is passed to `onFrame`.
 *
 * A frame that arrives whole inside one chunk is passed as a view into that
 * chunk (no copy); a frame split across chunks is assembled with exactly one
 * copy into a buffer of its final size.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder({ prefixLength: 4, maxFrameLength: 1 << 20, onFrame: handle })
 * socket.on('data', (chunk) => decoder.push(chunk))
 * socket.on('end', () => decoder.end())
 * ```
 */
export class FrameDecoder {
  private readonly prefixLength: PrefixLength
  private readonly maxFrameLength: number
  private readonly onFrame: (frame: Uint8Array) => void
  /** Bytes of a prefix split across chunks. */
  private readonly prefix: Uint8Array
  private prefixFilled = 0
  /** Body of a frame split across chunks, and how much of it has arrived. */
  private body: Uint8Array | null = null
  private bodyFilled = 0
  /** The buffer split frames are assembled in, when `reuseBuffer` is set. */
  private spare: Uint8Array | null = null
  private readonly reuseBuffer: boolean

  /**
   * @param options - prefix width, size limit and frame callback
   * @throws RangeError for an invalid prefix width or limit; TypeError when `onFrame` is not a function
   */
  constructor(options: FrameDecoderOptions) {
    const { prefixLength, maxFrameLength, onFrame, reuseBuffer = false } = options
    if (prefixLength !== 2 && prefixLength !== 4) throw new RangeError('prefixLength must be 2 or 4')
    const maxForPrefix = prefixLength === 2 ? 0xffff : 0xffff_ffff
    assertInteger(maxFrameLength, 'maxFrameLength', { max: maxForPrefix })
    assertFunction(onFrame, 'onFrame')
    this.prefixLength = prefixLength
    this.maxFrameLength = maxFrameLength
    this.onFrame = onFrame
    this.reuseBuffer = reuseBuffer
    this.prefix = new Uint8Array(prefixLength)
  }

  /** Bytes held for a frame that has not completed yet. */
  get bufferedBytes(): number {
    return this.prefixFilled + this.bodyFilled
  }

  /**
   * Feeds the next chunk of the byte stream.
   *
   * @param chunk - any number of bytes, possibly empty
   * @throws {@link WireError} `FRAME_TOO_LARGE` when a prefix announces more
   *   than `maxFrameLength`; the decoder is then unusable, as the stream has
   *   lost its framing
   */
  push(chunk: Uint8Array): void {
    let pos = 0
    while (pos < chunk.length) {
      if (this.body !== null) {
        pos = this.fillBody(chunk, pos)
        continue
      }
      if (this.prefixFilled === 0 && chunk.length - pos >= this.prefixLength) {
        // Fast path: the whole prefix is in this chunk.
        const length = this.readLength(chunk, pos)
        pos += this.prefixLength
        if (chunk.length - pos >= length) {
          this.onFrame(chunk.subarray(pos, pos + length))
          pos += length
        } else {
          this.startBody(length)
        }
        continue
      }
      this.prefix[this.prefixFilled++] = chunk[pos++] as number
      if (this.prefixFilled === this.prefixLength) {
        this.prefixFilled = 0
        const length = this.readLength(this.prefix, 0)
        if (length === 0) this.onFrame(new Uint8Array(0))
        else this.startBody(length)
      }
    }
  }

  /**
   * Declares the end of the stream.
   *
   * @throws {@link WireError} `FRAME_TRUNCATED` when the stream ended inside a frame
   */
  end(): void {
    if (this.bufferedBytes > 0) {
      throw new WireError('FRAME_TRUNCATED', `stream ended inside a frame (${this.bufferedBytes} bytes pending)`)
    }
  }

  private readLength(bytes: Uint8Array, offset: number): number {
    let length: number
    if (this.prefixLength === 2) {
      length = ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number)
    } else {
      length =
        (bytes[offset] as number) * 0x100_0000 +
        (((bytes[offset + 1] as number) << 16) | ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number))
    }
    if (length > this.maxFrameLength) {
      throw new WireError('FRAME_TOO_LARGE', `frame of ${length} bytes is over the limit of ${this.maxFrameLength}`)
    }
    return length
  }

  private startBody(length: number): void {
    if (this.reuseBuffer) {
      if (this.spare === null || this.spare.length < length) this.spare = new Uint8Array(length)
      this.body = this.spare.subarray(0, length)
    } else {
      this.body = new Uint8Array(length)
    }
    this.bodyFilled = 0
  }

  private fillBody(chunk: Uint8Array, pos: number): number {
    const body = this.body as Uint8Array
    const take = Math.min(body.length - this.bodyFilled, chunk.length - pos)
    body.set(chunk.subarray(pos, pos + take), this.bodyFilled)
    this.bodyFilled += take
    if (this.bodyFilled === body.length) {
      this.body = null
      this.bodyFilled = 0
      this.onFrame(body)
    }
    return pos + take
  }
}
