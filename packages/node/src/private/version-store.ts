/**
 * The store of a private share version on a node that has its key (the
 * sharer, and readers): the ciphertext share made from the plaintext files,
 * with no copy of the ciphertext. The content stream is ChaCha20 addressed
 * by offset, so any range encrypts (or decrypts) alone: a read encrypts the
 * plaintext, a write of a verified piece decrypts it into the plaintext
 * files. The PADMÉ padding is the key stream itself (zeros encrypted), made
 * on read and dropped on write. Only the data file's head (sealed header and
 * manifest, random filler) and the `keys` file are kept as they are, in the
 * version's folder.
 *
 * A reader's store opens before its first write of content: the pieces of
 * the data file wait (in memory, as many as the downloader lets be stored
 * at once) until the key is known and the head has arrived.
 * @module
 */
import type { Manifest, ManifestFile } from '@mycel/pieces'
import {
  CONTENT_ALIGNMENT,
  ContentKeyStream,
  HEADER_BYTES,
  type OpenedPrivateShare,
  openPrivateShare,
  PRIVATE_LIMITS,
  type PrivateShareFiles,
} from '@mycel/pieces/private'
import { AbstractPieceStore, type PieceIoOptions, StoreError } from '@mycel/store'
import { AEAD_TAG_BYTES, type CryptoProvider } from '@mycel/wire/crypto'
import type { ContentStore, SourceFile } from '../content.js'

/** Names of the two files a version folder holds. */
export const HEAD_FILE = 'head'
export const KEYS_FILE = 'keys'

/** The longest head a data file can have (a manifest of `PRIVATE_LIMITS.maxManifestBytes`), content-aligned. */
export const MAX_HEAD_BYTES =
  Math.ceil((HEADER_BYTES + PRIVATE_LIMITS.maxManifestBytes + AEAD_TAG_BYTES) / CONTENT_ALIGNMENT) * CONTENT_ALIGNMENT

/** A version opened with its key, and the store of its plaintext files. */
export interface OpenVersion {
  readonly opened: OpenedPrivateShare
  /** The plaintext files, laid out as the private manifest's files (`layoutManifest`). */
  readonly plaintext: ContentStore
}

/**
 * Opens a reader's version once what it needs is here.
 * @param readHead - bytes of the data file's head received so far (undefined when some are missing)
 * @returns the version, or undefined while the key or the head is missing
 */
export type VersionOpener = (
  readHead: (offset: number, length: number) => Uint8Array | undefined,
) => Promise<OpenVersion | undefined>

interface Waiting {
  readonly bytes: Uint8Array
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

/**
 * A {@link ContentStore} of a ciphertext share made from (and into) the
 * plaintext files: the version folder's store holds `head` (file 0) and
 * `keys` (file 1).
 * @internal
 */
export class VersionStore extends AbstractPieceStore implements ContentStore {
  private current: OpenVersion | undefined
  /** Where each plaintext file starts in the content stream (for a binary search). */
  private starts: number[] = []
  private contentStart = 0
  private contentEnd = 0
  /**
   * The key stream of reads (blocks served) and of writes (verified pieces), each a cursor: a read or
   * write that starts where the last one ended goes on with the same cipher (a seeder serves a
   * piece's blocks in order; a reader's pieces come in any order, so there a run is one piece).
   */
  private readStream: ContentKeyStream | undefined
  private writeStream: ContentKeyStream | undefined
  /** Pieces of the data file waiting for the version to open. */
  private readonly waiting = new Map<number, Waiting>()
  private opening: Promise<void> = Promise.resolve()
  private failure: unknown
  private closing: Promise<void> | undefined
  private readonly opener: VersionOpener | undefined

  /**
   * @param manifest - the ciphertext share's manifest
   * @param files - where `data` and `keys` are in it
   * @param version - the version folder's store (`head`, `keys`)
   * @param crypto - ChaCha20
   * @param readOnly - a seed (the sharer's, or a reader's finished download)
   * @param open - the version already open, or how to open it
   */
  constructor(
    readonly manifest: Manifest,
    private readonly files: PrivateShareFiles,
    private readonly version: ContentStore,
    private readonly crypto: CryptoProvider,
    readonly readOnly: boolean,
    open: OpenVersion | VersionOpener,
  ) {
    super()
    if (typeof open === 'function') this.opener = open
    else this.use(open)
  }

  /** The version, once open. */
  get open(): OpenVersion | undefined {
    return this.current
  }

  /** Tries to open the version now (a key became known). */
  retryOpen(): Promise<void> {
    return this.tryOpen()
  }

  /**
   * Writes bytes of the ciphertext share: of `data`, the head as it is and the content decrypted
   * into the plaintext files, in place in `bytes` (a verified piece's buffer, which its downloader
   * does not read again; no copy of a piece is made), the padding not at all; of `keys`, as they are.
   */
  async write(fileIndex: number, offset: number, bytes: Uint8Array, options: PieceIoOptions = {}): Promise<void> {
    if (this.readOnly) {
      throw new StoreError('READ_ONLY', `private share ${this.manifest.name} is seeded from its plaintext`)
    }
    this.checkRange(fileIndex, offset, bytes.length)
    if (fileIndex === this.files.keys) return this.version.write(1, offset, bytes, options)
    if (this.failure !== undefined) throw this.failure
    if (this.current === undefined) {
      // Before the version opens: the bytes wait for it (the downloader bounds how many are stored at once).
      const piece = this.manifest.pieceAt(fileIndex, offset)
      const done = new Promise<void>((resolve, reject) => this.waiting.set(piece, { bytes, resolve, reject }))
      void this.tryOpen()
      return done
    }
    await this.writeOpen(this.current, offset, bytes, options)
  }

  /** Writes bytes of the data file at `offset`: the head as it is, the content decrypted, the padding not at all. */
  private async writeOpen(open: OpenVersion, offset: number, bytes: Uint8Array, options: PieceIoOptions) {
    const end = offset + bytes.length
    const writes: Promise<void>[] = []
    const headEnd = Math.min(end, this.contentStart)
    if (offset < headEnd) writes.push(this.version.write(0, offset, bytes.subarray(0, headEnd - offset), options))
    const from = Math.max(offset, this.contentStart)
    const to = Math.min(end, this.contentEnd)
    if (from < to) {
      // Decrypted in place: the downloader does not read a verified piece's buffer again once it is given to the store.
      const content = bytes.subarray(from - offset, to - offset)
      const plain = (this.writeStream as ContentKeyStream).xorAt(from - this.contentStart, content, content)
      let at = from
      while (at < to) {
        const index = this.fileAt(at - this.contentStart)
        const range = open.opened.fileRange(index)
        const until = Math.min(to, range.start + range.length)
        writes.push(open.plaintext.write(index, at - range.start, plain.subarray(at - from, until - from), options))
        at = until
      }
    }
    await Promise.all(writes)
  }

  /** Opens the version if it can be, then writes what waited for it. Runs one at a time. */
  private tryOpen(): Promise<void> {
    this.opening = this.opening.then(async () => {
      if (this.current !== undefined || this.failure !== undefined || this.opener === undefined) return
      try {
        const open = await this.opener((offset, length) => this.readWaiting(offset, length))
        if (open === undefined) return
        this.use(open)
      } catch (error) {
        this.failure = error
        for (const waiting of this.waiting.values()) waiting.reject(error)
        this.waiting.clear()
        return
      }
      const ready = [...this.waiting]
      this.waiting.clear()
      await Promise.all(
        ready.map(async ([piece, waiting]) => {
          try {
            await this.writeOpen(
              this.current as OpenVersion,
              this.manifest.locatePiece(piece).offset,
              waiting.bytes,
              {},
            )
            waiting.resolve()
          } catch (error) {
            waiting.reject(error)
          }
        }),
      )
    })
    return this.opening
  }

  /** Bytes of the data file from the pieces waiting, or undefined when one of them has not arrived. */
  private readWaiting(offset: number, length: number): Uint8Array | undefined {
    const out = new Uint8Array(length)
    const dataIndex = this.files.data
    let at = offset
    while (at < offset + length) {
      const piece = this.manifest.pieceAt(dataIndex, at)
      const waiting = this.waiting.get(piece)
      if (waiting === undefined) return undefined
      const pieceStart = this.manifest.locatePiece(piece).offset
      const until = Math.min(offset + length, pieceStart + waiting.bytes.length)
      out.set(waiting.bytes.subarray(at - pieceStart, until - pieceStart), at - offset)
      at = until
    }
    return out
  }

  private use(open: OpenVersion): void {
    this.current = open
    this.starts = open.opened.manifest.files.map((file) => file.offset)
    this.contentStart = open.opened.layout.contentStart
    this.contentEnd = this.contentStart + open.opened.manifest.contentLength
    this.readStream = new ContentKeyStream(this.crypto, open.opened.keys.streamKey)
    this.writeStream = new ContentKeyStream(this.crypto, open.opened.keys.streamKey)
  }

  async readInto(fileIndex: number, offset: number, target: Uint8Array, options: PieceIoOptions = {}) {
    this.checkRange(fileIndex, offset, target.length)
    if (fileIndex === this.files.keys) return this.version.readInto(1, offset, target, options)
    const open = this.current
    if (open === undefined) throw new StoreError('DATA_MISSING', `private share ${this.manifest.name} is not open yet`)
    const end = offset + target.length
    // The head: as kept.
    const headEnd = Math.min(end, this.contentStart)
    if (offset < headEnd) await this.version.readInto(0, offset, target.subarray(0, headEnd - offset), options)
    const streamFrom = Math.max(offset, this.contentStart)
    if (streamFrom >= end) return target
    // The content: the plaintext files' bytes; the padding: zeros. Then all of it XOR the key stream.
    let at = streamFrom
    const plainEnd = Math.min(end, this.contentEnd)
    while (at < plainEnd) {
      const index = this.fileAt(at - this.contentStart)
      const range = open.opened.fileRange(index)
      const to = Math.min(plainEnd, range.start + range.length)
      await open.plaintext.readInto(index, at - range.start, target.subarray(at - offset, to - offset), options)
      at = to
    }
    if (at < end) target.fill(0, at - offset)
    const stream = target.subarray(streamFrom - offset)
    ;(this.readStream as ContentKeyStream).xorAt(streamFrom - this.contentStart, stream, stream)
    return target
  }

  private checkRange(fileIndex: number, offset: number, length: number): void {
    const file = this.manifest.files[fileIndex]
    if (file === undefined || !Number.isSafeInteger(offset) || offset < 0 || offset + length > file.length) {
      throw new RangeError(`${length} bytes at ${offset} are outside file ${fileIndex}`)
    }
  }

  /** The plaintext file that holds content stream byte `position` (the last one starting at or before it, not empty). */
  private fileAt(position: number): number {
    let low = 0
    let high = this.starts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if ((this.starts[middle] as number) <= position) low = middle
      else high = middle - 1
    }
    // Empty files share their start with the next one: step over them.
    const files = (this.current as OpenVersion).opened.manifest.files
    while ((files[low]?.length ?? 1) === 0) low++
    return low
  }

  /**
   * Whether a piece may be here: `keys` as its file says; `data` once the version is open, as the
   * plaintext files under it say (true does not mean verified: a recheck re-encrypts and hashes).
   */
  async has(piece: number, options: PieceIoOptions = {}): Promise<boolean> {
    const location = this.manifest.locatePiece(piece)
    if (location.fileIndex === this.files.keys) {
      return this.version.has(this.version.manifest.pieceAt(1, location.offset), options)
    }
    const open = this.current
    if (open === undefined) return false
    const from = Math.max(location.offset, this.contentStart)
    const to = Math.min(location.offset + location.length, this.contentEnd)
    let at = from
    while (at < to) {
      const index = this.fileAt(at - this.contentStart)
      const range = open.opened.fileRange(index)
      const until = Math.min(to, range.start + range.length)
      const last = open.plaintext.manifest.pieceAt(index, until - 1 - range.start)
      if (!(await open.plaintext.has(last, options))) return false
      at = until
    }
    return true
  }

  async sync(options: PieceIoOptions = {}): Promise<void> {
    await this.version.sync(options)
    await this.current?.plaintext.sync(options)
  }

  /**
   * Where a file is: `keys` in the version folder; `data` is the plaintext file of a single-file
   * share (a change to it is seen as a change of `data`), else the head in the version folder.
   */
  filePath(fileIndex: number): string {
    if (fileIndex === this.files.keys) return this.version.filePath(1)
    this.checkRange(fileIndex, 0, 0)
    const plaintext = this.current?.plaintext
    return plaintext?.manifest.files.length === 1 ? plaintext.filePath(0) : this.version.filePath(0)
  }

  /**
   * The plaintext files (each with the pieces of `data` its bytes are
   * encrypted into), then `keys`: what a seed's change watch looks at, so a
   * plaintext file changed under a folder share stops the pieces it is in
   * being served. The head (this node's own file) is not among them. Before
   * the version is open: the manifest's files, as any store.
   */
  sourceFiles(): readonly SourceFile[] | undefined {
    const open = this.current
    if (open === undefined) return undefined
    const data = this.files.data
    const dataFile = this.manifest.files[data] as ManifestFile
    const sources: SourceFile[] = open.opened.manifest.files.map((_, index) => {
      const { start, length } = open.opened.fileRange(index)
      // An empty file is in no piece; it is placed where it starts (the content may end with the data file).
      const firstPiece = this.manifest.pieceAt(data, Math.min(start, dataFile.length - 1))
      const pieceCount = length === 0 ? 0 : this.manifest.pieceAt(data, start + length - 1) - firstPiece + 1
      return { path: open.plaintext.filePath(index), fileIndex: data, firstPiece, pieceCount }
    })
    const keys = this.manifest.files[this.files.keys] as ManifestFile
    sources.push({
      path: this.version.filePath(1),
      fileIndex: this.files.keys,
      firstPiece: keys.firstPiece,
      pieceCount: keys.pieceCount,
    })
    return sources
  }

  async closeFile(fileIndex: number): Promise<void> {
    if (fileIndex === this.files.keys) return this.version.closeFile(1)
    await this.version.closeFile(0)
    const plaintext = this.current?.plaintext
    for (let index = 0; index < (plaintext?.manifest.files.length ?? 0); index++) await plaintext?.closeFile(index)
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new StoreError('CLOSED', `the store of ${this.manifest.name} is closed`)
      this.failure ??= closed
      for (const waiting of this.waiting.values()) waiting.reject(closed)
      this.waiting.clear()
      await this.opening.catch(() => {})
      await Promise.all([this.version.close(), this.current?.plaintext.close()])
    })()
    return this.closing
  }
}

/**
 * Opens a version from its head (in the version folder's store) with its key.
 * @internal
 */
export function openVersionHead(
  version: ContentStore,
  dataLength: number,
  key: Uint8Array,
  crypto: CryptoProvider,
): Promise<OpenedPrivateShare> {
  return openPrivateShare((offset, length) => version.read(0, offset, length), dataLength, key, crypto)
}
