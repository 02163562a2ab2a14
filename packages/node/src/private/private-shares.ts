/**
 * `node.private`: what a node does with private shares besides sharing one
 * (`node.share(path, { private })`): download and decrypt, read files and
 * ranges as plaintext, give a share other readers, show a share's links.
 * @module
 */
import { NodeError } from '../errors.js'
import type { ShareOptions } from '../options.js'
import { keyOf } from '../share-key.js'
import type { PrivateContext } from './context.js'
import type {
  OpenPrivateOptions,
  PrivateDownload,
  PrivateDownloadOptions,
  PrivateReader,
  PrivateShare,
  PrivateShareOptions,
} from './options.js'
import { downloadPrivate, openPrivate } from './reader.js'
import { changeReaders, describePrivateShare, sharePrivate } from './share.js'

/** What the private-share methods need of their node. @internal */
export interface PrivateSharesHost {
  /** What private shares use of the node. */
  readonly context: PrivateContext
  /** Throws `NodeError` `CLOSED` once the node closes. */
  assertOpen(): void
  /** Whether the node runs (seeds or downloads) a share, by infohash (hex). */
  runs(infohashHex: string): boolean
  /** The share the node seeds, if any. */
  getShare(infohashHex: string): PrivateShare['share'] | undefined
}

/**
 * The private shares of a node (`node.private`): download and decrypt one,
 * read its files as plaintext, give it other readers, show its links. A
 * private share is made with `node.share(path, { private: {...} })`. See
 * `docs/private-shares.md`.
 *
 * @example
 * ```ts
 * const shared = await sharer.share('./tax-2026', { private: { readers: [accountant.peerId] } })
 * const job = accountant.private.download(shared.blindLink, { dir: './in' })
 * const { contentPath } = await job.done()
 * const next = await sharer.private.setReaders(shared.infohashHex, [])
 * ```
 */
export class PrivateShares {
  /** @internal */
  constructor(private readonly host: PrivateSharesHost) {}

  /**
   * Downloads a private share and decrypts it into `dir` while its blocks
   * arrive and verify: each verified piece is decrypted into the files at
   * once, and no copy of the ciphertext is kept (the node seeds it by
   * encrypting the files again). A link without a key works for a reader
   * the share names (the node's identity opens the key). Run again after an
   * interruption (even a crash), it resumes into the files it wrote.
   *
   * @param link - `mycel://<hex>[#<key>]`
   * @param options - destination folder, peers, abort signal
   * @returns the download; `done()` gives the manifest and where the files are
   * @throws `PiecesError` `PRIVATE_LINK_MALFORMED`; `NodeError` `PRIVATE_UNSUPPORTED`; `CLOSED`
   */
  download(link: string, options: PrivateDownloadOptions = {}): PrivateDownload {
    this.host.assertOpen()
    return downloadPrivate(this.host.context, link, options)
  }

  /**
   * Opens a private share this node seeds or downloads (a reader's node, or
   * a blind seeder given the key later) to read its files as plaintext.
   * Waits for the share's manifest and first bytes.
   *
   * @param infohash - the ciphertext share (hex)
   * @param options - the content key (bytes, a link, or its fragment); without one, the node's
   *   identity opens the share's keys file
   * @returns the reader
   * @throws `SHARE_NOT_FOUND`; `PiecesError` `PRIVATE_KEY_MISMATCH`, `PRIVATE_NOT_A_READER`,
   *   `PRIVATE_MANIFEST_INVALID`, `PRIVATE_ENVELOPE_MALFORMED`, `PRIVATE_SHARE_MALFORMED`,
   *   `PRIVATE_LINK_MALFORMED`
   */
  open(infohash: string, options: OpenPrivateOptions = {}): Promise<PrivateReader> {
    this.host.assertOpen()
    if (!this.host.runs(keyOf(infohash))) {
      return Promise.reject(new NodeError('SHARE_NOT_FOUND', 'no such share on this node'))
    }
    return openPrivate(this.host.context, infohash, options)
  }

  /**
   * Gives a private share this node made other readers: a new version of
   * the same files under a new key (new links), seeded in place of the old
   * one, whose folder is deleted here. Readers removed cannot read the new
   * version; what they read of old versions stays theirs.
   *
   * @param infohash - the current version (hex)
   * @param readers - the readers of the new version (peer ids)
   * @param options - progress, abort signal
   * @returns the new version
   * @throws `SHARE_NOT_FOUND` when this node made no such private share; as `MycelNode.share`
   */
  setReaders(
    infohash: string,
    readers: readonly string[],
    options: Omit<ShareOptions, 'private'> = {},
  ): Promise<PrivateShare> {
    this.host.assertOpen()
    return changeReaders(this.host.context, keyOf(infohash), readers, options)
  }

  /**
   * The private share this node made with that (ciphertext) infohash, with its links.
   * @param infohash - hex
   * @returns the share, or undefined when it is not a private share this node seeds
   */
  async get(infohash: string): Promise<PrivateShare | undefined> {
    const share = this.host.getShare(keyOf(infohash))
    return share === undefined ? undefined : describePrivateShare(this.host.context, share)
  }

  /**
   * Shares a file or folder privately (`node.share(path, { private })`).
   * @internal
   */
  share(path: string, options: ShareOptions & { private: PrivateShareOptions }): Promise<PrivateShare> {
    return sharePrivate(this.host.context, path, options)
  }
}
