import type { PrivateManifest } from '@mycel/pieces/private'
import type { Download, Share } from '../handles.js'
import type { ReadStreamOptions } from '../read-stream.js'

/** How a share is made private (`ShareOptions.private`). */
export interface PrivateShareOptions {
  /**
   * Peer ids (base32 text, as `node.peerId`) the content key is wrapped for:
   * each can read the share with its identity alone, from the link without
   * a key. At most 64.
   */
  readers?: readonly string[]
  /**
   * Whether the share has a link that carries the key (`mycel://<hex>#<key>`),
   * for anyone the link is given to. Default true. Without it, only
   * `readers` can read.
   */
  link?: boolean
}

/** A private share this node seeds: its ciphertext share and how to reach it. */
export interface PrivateShare {
  /** The ciphertext share, an ordinary share: anyone can seed it. */
  readonly share: Share
  /** The ciphertext share's infohash as hex. */
  readonly infohashHex: string
  /** The plaintext name (only readers see it). */
  readonly name: string
  /** The link with the key in its fragment (`mycel://<hex>#<key>`), unless `link: false`. Keep it secret. */
  readonly link?: string
  /** The link without a key (`mycel://<hex>`): for blind seeders, and for readers named by peer id. */
  readonly blindLink: string
  /** The readers' peer ids. */
  readonly readers: readonly string[]
}

/** Options of `node.private.open`. */
export interface OpenPrivateOptions {
  /** The content key (a link's fragment, or the link itself); default: open the keys file with this node's identity. */
  key?: Uint8Array | string
  /** Aborts the wait for the share's first bytes. */
  signal?: AbortSignal
}

/** The plaintext of a private share, decrypted from verified ciphertext as it is read. */
export interface PrivateReader {
  /** The manifest: name, files, lengths. */
  readonly manifest: PrivateManifest
  /**
   * Reads a file (or a range of it) as plaintext. The ciphertext under it is
   * fetched first when it is not here yet, with Merkle proofs, and every byte
   * is decrypted only after its block verified.
   * @param path - the file's path inside the share, components joined with `/` (a single file: its name)
   * @param options - `start`/`end` (inclusive) of the plaintext file, read-ahead, abort signal
   * @returns the bytes, chunk by chunk
   * @throws `NodeError` `FILE_NOT_FOUND`, `RANGE_INVALID`
   */
  read(path: string, options?: ReadStreamOptions): AsyncIterable<Uint8Array>
  /**
   * Writes every file, decrypted, into `dir` (a single file as `dir/<name>`, a folder as
   * `dir/<name>/...`). Nothing is written over: a file already there fails it with
   * `DESTINATION_EXISTS`, and the files it created are deleted again on any failure.
   * @param dir - the destination folder
   * @param options - abort signal
   * @returns where the file or folder is
   */
  saveTo(dir: string, options?: { signal?: AbortSignal }): Promise<string>
}

/** Options of `node.private.download`. */
export interface PrivateDownloadOptions {
  /** Where the decrypted file or folder goes (default the node's download folder). */
  dir?: string
  /** Peers to try at once, as transport addresses, besides the link's. */
  peers?: string[]
  /** Aborts the download and the decryption. */
  signal?: AbortSignal
}

/** A private share being downloaded and decrypted. */
export interface PrivateDownload {
  /** The ciphertext share's infohash as hex. */
  readonly infohashHex: string
  /** The download of the ciphertext (kept in the node's private folder, and seeded). */
  readonly download: Download
  /**
   * Waits for every file to be decrypted into the destination.
   * @returns the manifest and where the file or folder is
   * @throws `PiecesError` `PRIVATE_KEY_MISMATCH`, `PRIVATE_NOT_A_READER`, `PRIVATE_MANIFEST_INVALID`,
   *   `PRIVATE_ENVELOPE_MALFORMED`, `PRIVATE_SHARE_MALFORMED`; `NodeError` `DESTINATION_EXISTS`, `ABORTED`
   */
  done(): Promise<{ manifest: PrivateManifest; contentPath: string }>
}
