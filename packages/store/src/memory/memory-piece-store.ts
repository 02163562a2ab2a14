import type { Manifest, ManifestFile } from '@mycel/pieces'
import { assertBytes, assertSignal } from '@mycel/wire/assert'
import { throwIfAborted } from '@mycel/wire/signal'
import { StoreError } from '../errors.js'
import { AbstractPieceStore, assertFileRange, locateChecked, type PieceIoOptions } from '../piece-store.js'
import { CoveredRanges } from './covered-ranges.js'

/** Options of {@link MemoryPieceStore}. */
export interface MemoryPieceStoreOptions {
  /**
   * Initial contents, one array per file of the manifest with exactly that
   * file's length (copied). Without it the store starts empty.
   */
  files?: readonly Uint8Array[]
  /** Refuse writes, as a share seeded in place is. Default false. */
  readOnly?: boolean
}

/** The bytes of one file, in chunks of one piece allocated on first write. */
class MemoryFile {
  readonly chunks: (Uint8Array | undefined)[]
  readonly covered = new CoveredRanges()

  constructor(
    readonly length: number,
    readonly chunkSize: number,
  ) {
    this.chunks = new Array(Math.ceil(length / chunkSize)).fill(undefined)
  }

  write(offset: number, bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) {
      const at = offset + done
      const index = Math.floor(at / this.chunkSize)
      let chunk = this.chunks[index]
      if (chunk === undefined) {
        chunk = new Uint8Array(Math.min(this.chunkSize, this.length - index * this.chunkSize))
        this.chunks[index] = chunk
      }
      const inChunk = at - index * this.chunkSize
      const count = Math.min(chunk.length - inChunk, bytes.length - done)
      chunk.set(bytes.subarray(done, done + count), inChunk)
      done += count
    }
    this.covered.add(offset, offset + bytes.length)
  }

  readInto(offset: number, target: Uint8Array): void {
    for (let done = 0; done < target.length; ) {
      const at = offset + done
      const index = Math.floor(at / this.chunkSize)
      const inChunk = at - index * this.chunkSize
      const count = Math.min(this.chunkSize - inChunk, target.length - done)
      const chunk = this.chunks[index]
      if (chunk === undefined) target.fill(0, done, done + count)
      else target.set(chunk.subarray(inChunk, inChunk + count), done)
      done += count
    }
  }
}

/**
 * A {@link PieceStore} in memory, for tests, simulations and browsers
 * without storage. Memory grows with what is written: one piece-sized chunk
 * per piece touched. Bytes never written read as zeros.
 *
 * @example
 * ```ts
 * const pieces = new MemoryPieceStore(manifest)
 * await pieces.writePiece(0, bytes)
 * await pieces.has(0) // true
 * ```
 */
export class MemoryPieceStore extends AbstractPieceStore {
  /** The share whose bytes this store holds. */
  readonly manifest: Manifest
  /** Whether writes are refused. */
  readonly readOnly: boolean
  private readonly files: MemoryFile[]
  private closing: Promise<void> | undefined

  /**
   * @param manifest - the share
   * @param options - initial contents and read-only flag
   * @throws RangeError if `options.files` does not match the manifest's files
   */
  constructor(manifest: Manifest, options: MemoryPieceStoreOptions = {}) {
    super()
    this.manifest = manifest
    this.readOnly = options.readOnly === true
    this.files = manifest.files.map((file) => new MemoryFile(file.length, manifest.pieceLength))
    if (options.files !== undefined) {
      if (options.files.length !== manifest.files.length) {
        throw new RangeError(`files must hold ${manifest.files.length} arrays, got ${options.files.length}`)
      }
      options.files.forEach((bytes, index) => {
        assertBytes(bytes, `files[${index}]`, (manifest.files[index] as ManifestFile).length)
        ;(this.files[index] as MemoryFile).write(0, bytes)
      })
    }
  }

  /** {@inheritDoc PieceStore.write} */
  async write(fileIndex: number, offset: number, bytes: Uint8Array, options: PieceIoOptions = {}): Promise<void> {
    assertBytes(bytes, 'bytes')
    assertFileRange(this.manifest, fileIndex, offset, bytes.length)
    this.enter(options.signal)
    if (this.readOnly) throw new StoreError('READ_ONLY', `share ${this.manifest.name} is open read-only`)
    ;(this.files[fileIndex] as MemoryFile).write(offset, bytes)
  }

  /** {@inheritDoc PieceStore.readInto} */
  async readInto(
    fileIndex: number,
    offset: number,
    target: Uint8Array,
    options: PieceIoOptions = {},
  ): Promise<Uint8Array> {
    assertBytes(target, 'target')
    assertFileRange(this.manifest, fileIndex, offset, target.length)
    this.enter(options.signal)
    ;(this.files[fileIndex] as MemoryFile).readInto(offset, target)
    return target
  }

  /** {@inheritDoc PieceStore.has} */
  async has(piece: number, options: PieceIoOptions = {}): Promise<boolean> {
    const { fileIndex, offset, length } = locateChecked(this.manifest, piece)
    this.enter(options.signal)
    return (this.files[fileIndex] as MemoryFile).covered.covers(offset, offset + length)
  }

  /** Nothing to make durable in memory; checks the store is open. */
  async sync(options: PieceIoOptions = {}): Promise<void> {
    this.enter(options.signal)
  }

  /** Drops the bytes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.resolve().then(() => {
      for (const file of this.files) file.chunks.fill(undefined)
    })
    return this.closing
  }

  private enter(signal: AbortSignal | undefined): void {
    assertSignal(signal)
    if (this.closing !== undefined) throw StoreError.closed('the piece store')
    throwIfAborted(signal, StoreError)
  }
}
