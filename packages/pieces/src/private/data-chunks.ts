/**
 * A private share's data file cut into block-aligned chunks before it is
 * encrypted: the head as it is, the content in plaintext, the padding as
 * zeros, each chunk saying where its content stream starts. What a worker
 * thread needs to encrypt a chunk and hash its 16 KiB blocks alone (see
 * `@mycel/pieces/node`'s `encryptedSources`).
 * @module
 */
import { BLOCK_SIZE } from '../limits.js'
import { type EncryptedShare, lengthMismatch } from './encrypt.js'

/** A chunk of a data file, ready to be encrypted and hashed. */
export interface DataChunk {
  /** The chunk's bytes (a whole buffer from `take`, or its start for the file's last chunk). */
  readonly bytes: Uint8Array
  /** Where `bytes[0]` is in the data file: a multiple of the chunk size. */
  readonly dataOffset: number
  /** Where the content stream starts in `bytes` (0 unless the chunk holds some of the head). */
  readonly encryptFrom: number
  /** The content stream offset of `bytes[encryptFrom]`: a multiple of 64, so a ChaCha20 block starts there. */
  readonly streamOffset: number
}

/** Fills chunk buffers from bytes of any size, handing out each chunk as it fills. */
class Packer {
  private buffer: Uint8Array | undefined
  private fill = 0
  private dataOffset = 0

  constructor(
    private readonly chunkBytes: number,
    private readonly contentStart: number,
    private readonly take: () => Uint8Array,
  ) {}

  /** Bytes of the data file so far. */
  get length(): number {
    return this.dataOffset + this.fill
  }

  /** Bytes in the chunk being filled. */
  get pending(): number {
    return this.fill
  }

  /** Appends bytes (or `length` zeros when `bytes` is a number), pushing the chunks that fill onto `out`. */
  add(bytes: Uint8Array | number, out: DataChunk[]): void {
    const total = typeof bytes === 'number' ? bytes : bytes.length
    for (let at = 0; at < total; ) {
      this.buffer ??= this.take()
      const buffer = this.buffer
      const count = Math.min(this.chunkBytes - this.fill, total - at)
      if (typeof bytes === 'number') buffer.fill(0, this.fill, this.fill + count)
      else buffer.set(bytes.subarray(at, at + count), this.fill)
      this.fill += count
      at += count
      if (this.fill === this.chunkBytes) out.push(this.flush())
    }
  }

  /** Hands out the chunk being filled, as it is (the last one of the file may be short). */
  flush(): DataChunk {
    const bytes = (this.buffer as Uint8Array).subarray(0, this.fill)
    const encryptFrom = Math.min(this.fill, Math.max(0, this.contentStart - this.dataOffset))
    const chunk = {
      bytes,
      dataOffset: this.dataOffset,
      encryptFrom,
      streamOffset: Math.max(0, this.dataOffset - this.contentStart),
    }
    this.dataOffset += this.fill
    this.fill = 0
    this.buffer = undefined
    return chunk
  }
}

/**
 * Cuts a version's data file into chunks of `chunkBytes` (the last may be
 * shorter), reading each file's content once, in order.
 *
 * @param share - the version (its head, layout and content)
 * @param chunkBytes - bytes per chunk, a multiple of 16 KiB
 * @param take - gives an empty buffer of `chunkBytes` for the next chunk (one that came back, or a new one)
 * @returns the chunks, in data file order; each buffer is the caller's once yielded
 * @throws PiecesError `INGEST_LENGTH_MISMATCH` when a file does not give its length
 */
export async function* dataChunks(
  share: Pick<EncryptedShare, 'head' | 'layout' | 'content'>,
  chunkBytes: number,
  take: () => Uint8Array,
): AsyncGenerator<DataChunk> {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0 || chunkBytes % BLOCK_SIZE !== 0) {
    throw new RangeError('chunkBytes must be a positive multiple of 16 KiB')
  }
  const { layout } = share
  const packer = new Packer(chunkBytes, layout.contentStart, take)
  const ready: DataChunk[] = []
  packer.add(share.head, ready)
  for (const file of share.content.files) {
    let read = 0
    for await (const bytes of file.content) {
      read += bytes.length
      if (read > file.length) throw lengthMismatch(file, read)
      packer.add(bytes, ready)
      yield* ready.splice(0)
    }
    if (read !== file.length) throw lengthMismatch(file, read)
  }
  packer.add(layout.dataLength - packer.length, ready) // the padding
  yield* ready.splice(0)
  if (packer.pending > 0) yield packer.flush()
}
