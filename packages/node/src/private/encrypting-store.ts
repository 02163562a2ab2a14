/**
 * The sharer's store of a private share version: serves the ciphertext
 * share by encrypting the plaintext files as they are read. The content
 * stream is ChaCha20 addressed by offset, so any range encrypts alone; the
 * PADMÉ padding is the key stream itself (zeros encrypted); only the data
 * file's head (sealed header and manifest, random filler) and the `keys`
 * file are kept, in the version's folder. No copy of the content exists.
 * @module
 */
import type { Manifest } from '@mycel/pieces'
import {
  layoutManifest,
  type OpenedPrivateShare,
  openPrivateShare,
  type PrivateShareFiles,
  privateShareFiles,
  xorContent,
} from '@mycel/pieces/private'
import { AbstractPieceStore, type PieceIoOptions, StoreError } from '@mycel/store'
import { fromHex } from '@mycel/wire'
import type { CryptoProvider } from '@mycel/wire/crypto'
import type { ContentStorage, ContentStore } from '../content.js'
import type { PrivateShareRecord } from './record.js'

/** Names of the two files a version folder holds when its ciphertext is made on read. */
export const HEAD_FILE = 'head'
export const KEYS_FILE = 'keys'

/**
 * A read-only {@link ContentStore} of a ciphertext share whose `data` file
 * is made on read: its head from the version folder, its content from the
 * plaintext files (encrypted), its padding from the key stream.
 * @internal
 */
export class EncryptingStore extends AbstractPieceStore implements ContentStore {
  readonly readOnly = true
  /** Where each plaintext file starts in the content stream (for a binary search). */
  private readonly starts: number[]
  private readonly contentStart: number
  private readonly contentEnd: number
  private closing: Promise<void> | undefined

  /**
   * @param manifest - the ciphertext share's manifest
   * @param files - where `data` and `keys` are in it
   * @param version - the version folder's store (`head`, `keys`)
   * @param plaintext - the plaintext files' store (laid out as the private manifest's files)
   * @param opened - the version opened with its key
   * @param crypto - ChaCha20
   */
  constructor(
    readonly manifest: Manifest,
    private readonly files: PrivateShareFiles,
    private readonly version: ContentStore,
    private readonly plaintext: ContentStore,
    private readonly opened: OpenedPrivateShare,
    private readonly crypto: CryptoProvider,
  ) {
    super()
    this.starts = opened.manifest.files.map((file) => file.offset)
    this.contentStart = opened.layout.contentStart
    this.contentEnd = this.contentStart + opened.manifest.contentLength
  }

  async write(): Promise<void> {
    throw new StoreError('READ_ONLY', `private share ${this.manifest.name} is encrypted on read from its plaintext`)
  }

  async readInto(fileIndex: number, offset: number, target: Uint8Array, options: PieceIoOptions = {}) {
    const file = this.manifest.files[fileIndex]
    if (file === undefined || !Number.isSafeInteger(offset) || offset < 0 || offset + target.length > file.length) {
      throw new RangeError(`${target.length} bytes at ${offset} are outside file ${fileIndex}`)
    }
    if (fileIndex === this.files.keys) return this.version.readInto(1, offset, target, options)
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
      const range = this.opened.fileRange(index)
      const to = Math.min(plainEnd, range.start + range.length)
      await this.plaintext.readInto(index, at - range.start, target.subarray(at - offset, to - offset), options)
      at = to
    }
    if (at < end) target.fill(0, at - offset)
    const stream = target.subarray(streamFrom - offset)
    stream.set(xorContent(this.crypto, this.opened.keys.streamKey, streamFrom - this.contentStart, stream))
    return target
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
    while ((this.opened.manifest.files[low]?.length ?? 1) === 0) low++
    return low
  }

  /** True: the content is made on read (a missing plaintext file fails the read with `DATA_MISSING`). */
  async has(): Promise<boolean> {
    return true
  }

  async sync(): Promise<void> {}

  /**
   * Where a file is: `keys` in the version folder; `data` is the plaintext file of a single-file
   * share (a change to it is seen as a change of `data`), else the head in the version folder.
   */
  filePath(fileIndex: number): string {
    if (fileIndex === this.files.keys) return this.version.filePath(1)
    if (fileIndex === this.files.data) {
      return this.plaintext.manifest.files.length === 1 ? this.plaintext.filePath(0) : this.version.filePath(0)
    }
    throw new RangeError(`no file ${fileIndex}`)
  }

  async closeFile(fileIndex: number): Promise<void> {
    if (fileIndex === this.files.keys) return this.version.closeFile(1)
    await this.version.closeFile(0)
    for (let index = 0; index < this.plaintext.manifest.files.length; index++) await this.plaintext.closeFile(index)
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([this.version.close(), this.plaintext.close()]).then(() => {})
    return this.closing
  }
}

/**
 * Opens the sharer's store of a version made on read (`record.head` is set).
 *
 * @param storage - the node's storage (opens the version folder and the plaintext)
 * @param manifest - the ciphertext share's manifest
 * @param record - the sharer's record of the version
 * @param crypto - ChaCha20, HKDF, ChaCha20-Poly1305
 * @returns the store
 * @throws the storage's errors (`StoreError` `DATA_MISSING` when the plaintext is gone);
 *   `PiecesError` `PRIVATE_*` when the head does not open with the recorded key
 * @internal
 */
export async function openEncryptingStore(
  storage: ContentStorage,
  manifest: Manifest,
  record: PrivateShareRecord & { head: number },
  crypto: CryptoProvider,
): Promise<EncryptingStore> {
  const files = privateShareFiles(manifest)
  const keysLength = manifest.files[files.keys]?.length ?? 0
  const dataLength = manifest.files[files.data]?.length ?? 0
  const versionLayout = layoutManifest(manifest.name, [
    { path: [HEAD_FILE], length: record.head },
    { path: [KEYS_FILE], length: keysLength },
  ])
  const version = await storage.openSeed(versionLayout, record.folder)
  try {
    const key = fromHex(record.key) as Uint8Array
    const opened = await openPrivateShare((offset, length) => version.read(0, offset, length), dataLength, key, crypto)
    const layout = layoutManifest(opened.manifest.name, opened.manifest.files)
    // A folder of one file lays out as that file.
    const single = layout.singleFile && (await storage.inspect(record.source)) === 'folder'
    const contentPath = single ? storage.join(record.source, layout.files[0]?.path[0] as string) : record.source
    const plaintext = await storage.openSeed(layout, contentPath)
    return new EncryptingStore(manifest, files, version, plaintext, opened, crypto)
  } catch (error) {
    await version.close()
    throw error
  }
}
