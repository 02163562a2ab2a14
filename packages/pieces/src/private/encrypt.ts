/**
 * Turning files into the ciphertext share of a private share version,
 * streaming: the two files (`data`, `keys`) come out as ingest sources,
 * so hashing them into an ordinary BEP 52 manifest (and writing them
 * where they are seeded from) runs in constant memory.
 * @module
 */
import { toHex } from '@mycel/wire'
import { type CryptoProvider, getDefaultCrypto, randomBytes } from '@mycel/wire/crypto'
import { PiecesError } from '../errors.js'
import type { IngestSource } from '../ingest.js'
import { comparePaths } from '../manifest/paths.js'
import { type DataLayout, sealManifest } from './data-file.js'
import { createEnvelope } from './envelope.js'
import { deriveVersionKeys } from './keys.js'
import { CONTENT_KEY_BYTES } from './limits.js'
import { createPrivateManifest, type PrivateFileInput, type PrivateManifest } from './manifest.js'
import { ContentKeyStream } from './stream.js'

/** Bytes of padding encrypted at a time. */
const PADDING_CHUNK = 512 * 1024

/** A file of a private share with its bytes. */
export interface PrivateSourceFile extends PrivateFileInput {
  /** The bytes, in chunks of any size (a source may reuse its buffer once the next chunk is asked for). */
  readonly content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>
  /**
   * Where the bytes are on this machine's disk, when they are a file (`fileSources` of
   * `@mycel/pieces/node` says): worker threads may then read the file themselves instead of
   * `content` (see `encryptedSources`).
   */
  readonly diskPath?: string
}

/** What {@link encryptShare} needs. */
export interface EncryptShareInput {
  /** The share's name (only readers see it). */
  readonly name: string
  /** The files. */
  readonly files: readonly PrivateSourceFile[]
  /** Readers' peer ids as Ed25519 public keys (at most `PRIVATE_LIMITS.maxReaders`). */
  readonly readers?: readonly Uint8Array[]
  /** The content key; default 32 fresh random bytes (a new version always takes a new one). */
  readonly contentKey?: Uint8Array
  /** Default `getDefaultCrypto()`. */
  readonly crypto?: CryptoProvider
  /** Default the crypto module's `randomBytes`. */
  readonly random?: (length: number) => Uint8Array
}

/** The ciphertext share of one version, ready to hash with `ingest`. */
export interface EncryptedShare {
  /** The manifest readers will open. */
  readonly manifest: PrivateManifest
  /** The content key (the link fragment). */
  readonly contentKey: Uint8Array
  /** Where things are in the data file. */
  readonly layout: DataLayout
  /**
   * The data file's bytes before the content (`layout.contentStart` bytes: the sealed header and
   * manifest, and the random filler). With the content key, the rest of the data file can be made
   * again from the plaintext (a store that encrypts on read keeps only this, and `envelope`).
   */
  readonly head: Uint8Array
  /** The `keys` file (its stanzas are sealed with fresh ephemeral keys: it cannot be made again). */
  readonly envelope: Uint8Array
  /** The ciphertext share's name: `private-` and 16 random hex digits (says nothing about the content). */
  readonly shareName: string
  /**
   * `data` then `keys`: give them to `ingest` with `shareName`. The data source can be read once;
   * each chunk it yields is valid until the next is asked for.
   */
  readonly sources: readonly IngestSource[]
  /**
   * What the data file's content is made of, for a caller that encrypts it elsewhere (in worker
   * threads, see `@mycel/pieces/node`'s `encryptedSources`): the files in stream order and the
   * version's stream key. Their contents are the ones the data source reads: read one or the other.
   */
  readonly content: EncryptedContent
}

/** The plaintext of a version's content stream and its key (see {@link EncryptedShare.content}). */
export interface EncryptedContent {
  /** The files in the order of the content stream (canonical path order), each with its length. */
  readonly files: readonly PrivateSourceFile[]
  /** The ChaCha20 key of the content stream (`xorContent`). */
  readonly streamKey: Uint8Array
}

/**
 * Prepares a version of a private share: a fresh content key (unless
 * given), the `keys` file for the readers, the sealed manifest, and a
 * streamed data file (content encrypted chunk by chunk, then the PADMÉ
 * padding).
 *
 * @param input - name, files, readers, key, crypto
 * @returns the manifest, key, layout and ingest sources
 * @throws PiecesError `PRIVATE_TOO_MANY_READERS`, `PRIVATE_BAD_READER`, the `MANIFEST_*` codes of paths;
 *   reading the data source throws `INGEST_LENGTH_MISMATCH` when a file does not give its length
 *
 * @example
 * ```ts
 * const version = encryptShare({ name: 'notes', files: [{ path: ['a.txt'], length: 5, content: [bytes] }] })
 * const manifest = await ingest(version.sources, { name: version.shareName })
 * formatPrivateLink({ infohash: manifest.infohash, key: version.contentKey })
 * ```
 */
export function encryptShare(input: EncryptShareInput): EncryptedShare {
  const crypto = input.crypto ?? getDefaultCrypto()
  const random = input.random ?? randomBytes
  const contentKey = input.contentKey ?? random(CONTENT_KEY_BYTES)
  const keys = deriveVersionKeys(contentKey, crypto)
  const manifest = createPrivateManifest(input.name, input.files)
  const envelope = createEnvelope(keys.contentKey, input.readers ?? [], crypto, random)
  const { prefix, layout } = sealManifest(keys, manifest, crypto, random)
  const ordered = [...input.files].sort((a, b) => comparePaths(a.path, b.path))

  // Ingest hashes each chunk before it asks for the next: one output buffer serves every chunk, and
  // one cipher the whole content stream (the chunks follow each other).
  let out = new Uint8Array(0)
  const stream = new ContentKeyStream(crypto, keys.streamKey)
  const encrypt = (offset: number, chunk: Uint8Array): Uint8Array => {
    if (out.length < chunk.length) out = new Uint8Array(Math.max(chunk.length, PADDING_CHUNK))
    return stream.xorAt(offset, chunk, out.subarray(0, chunk.length))
  }

  async function* data(): AsyncGenerator<Uint8Array> {
    yield prefix
    let offset = 0
    for (const file of ordered) {
      let read = 0
      for await (const chunk of file.content) {
        read += chunk.length
        if (read > file.length) throw lengthMismatch(file, read)
        yield encrypt(offset, chunk)
        offset += chunk.length
      }
      if (read !== file.length) throw lengthMismatch(file, read)
    }
    const end = layout.dataLength - layout.contentStart
    const zeros = new Uint8Array(Math.min(PADDING_CHUNK, end - offset))
    while (offset < end) {
      const length = Math.min(zeros.length, end - offset)
      yield encrypt(offset, zeros.subarray(0, length))
      offset += length
    }
  }

  return {
    manifest,
    contentKey: keys.contentKey,
    layout,
    head: prefix,
    envelope,
    shareName: `private-${toHex(random(8))}`,
    sources: [
      { path: ['data'], length: layout.dataLength, content: data() },
      { path: ['keys'], length: envelope.length, content: [envelope] },
    ],
    content: { files: ordered, streamKey: keys.streamKey },
  }
}

/** The error of a file that did not give its announced length. @internal */
export function lengthMismatch(file: PrivateFileInput, actual: number): PiecesError {
  return new PiecesError(
    'INGEST_LENGTH_MISMATCH',
    `${JSON.stringify(file.path.join('/'))} was announced as ${file.length} bytes but gave ${actual}${actual > file.length ? ' or more' : ''}`,
  )
}
