import { dirname, join, resolve } from 'node:path'
import type { MycelNode, PrivateShare, Share } from '@mycel/node'
import { decodeTorrent, formatMagnet, type Manifest, PiecesError, parseMagnet } from '@mycel/pieces'
import { isPrivateLink, parsePrivateLink } from '@mycel/pieces/private'
import { recheck, type ShareRecord } from '@mycel/store'
import { openSeedStore } from '@mycel/store/fs'
import { CliError, type ExplainContext, explain } from '../errors.js'
import { isUsableTracker } from '../get-input.js'
import { hexOf } from '../views.js'

/** What `share` answers. */
export interface SharedView {
  infohash: string
  name: string
  magnet: string
  path: string
  totalBytes: number
  pieceCount: number
  pieceLength: number
  files: number
}

/** What `share.private` answers (and `readers.set`, with `previous`). */
export interface PrivateSharedView {
  infohash: string
  name: string
  /** The link with the key, unless the share was made without one. */
  link: string | null
  blindLink: string
  readers: string[]
  totalBytes: number
}

/** What `add` is given: a link, or the bytes of a `.torrent` file. */
export interface AddRequest {
  /** A v2 magnet link or 64 hex digits. */
  link?: string
  /** The bytes of a v2 or hybrid `.torrent` file. */
  torrent?: Uint8Array
  /** Folder to download into (default: the daemon's download folder). */
  dir?: string
  /** Peers to dial, `tcp://host:port`. */
  peers?: string[]
  /** Trackers, a tier each, before the link's. */
  trackers?: string[]
  /** Only these files (paths inside the share). */
  files?: string[]
  /** Verify files already at the destination in place instead of refusing them. */
  verifyExisting?: boolean
}

/** What `add` answers. */
export interface AddedView {
  infohash: string
  name: string
  dir: string
  /** False when the share was already downloading here (the request was merged into it). */
  added: boolean
}

/** What `get.private` and `seed.blind` are given. */
export interface PrivateRequest {
  /** `mycel://<hex>[#<key>]` (a link without a key works for a reader the share names). */
  link: string
  /** Folder: where a reader's files go (default: the daemon's download folder); where a blind seeder keeps the ciphertext (default: the node's private folder). */
  dir?: string
  /** Peers to dial, `tcp://host:port`, besides those in the link. */
  peers?: string[]
}

/** What `get.private` and `seed.blind` answer. */
export interface PrivateAddedView {
  /** The ciphertext share's infohash. */
  infohash: string
  /** False when the daemon was already downloading it. */
  added: boolean
}

/** What the `private.done` notification carries: a reader's download decrypted in full. */
export interface PrivateDoneView {
  infohash: string
  name: string
  /** The decrypted file or folder. */
  path: string
  /** Plaintext bytes. */
  totalBytes: number
  files: string[]
}

/** How the daemon reports on private downloads it runs. */
export interface PrivateListener {
  done(view: PrivateDoneView): void
  failed(infohash: string, error: unknown): void
}

/** What `verify` answers. */
export interface VerifiedView {
  infohash: string
  pieceCount: number
  validPieces: number
}

/**
 * What the daemon does to shares, for both of its APIs (JSON-RPC and
 * Transmission RPC): share, add, stop, start, verify, remove. Errors are
 * `CliError`s with the stable codes of docs/cli.md.
 */
export class DaemonShares {
  private readonly verifying = new Set<string>()
  /**
   * Downloads added whose record the node has not written yet (it does so
   * once their folder is checked): listed from this until it has, so that a
   * client that adds a download sees it in the very next `list`.
   */
  private readonly pending = new Map<string, ShareRecord>()
  /** Private downloads (reader's) running here, by infohash, until decrypted in full or failed. */
  private readonly reading = new Set<string>()
  private readonly privateListeners = new Set<PrivateListener>()

  /**
   * @param node - the daemon's node
   * @param downloadDir - where downloads go when no folder is given
   * @param explainContext - what error explanations may mention
   */
  constructor(
    readonly node: MycelNode,
    readonly downloadDir: string,
    private readonly explainContext: ExplainContext,
  ) {}

  /** The shares the data folder knows, in the order they were added (downloads being started last). */
  async records(): Promise<ShareRecord[]> {
    const stored = await this.node.list()
    for (const record of stored) this.pending.delete(hexOf(record.infohash))
    for (const infohash of this.pending.keys()) if (!this.running(infohash)) this.pending.delete(infohash)
    return [...stored, ...this.pending.values()]
  }

  /**
   * The record of a share.
   *
   * @throws {@link CliError} `SHARE_NOT_FOUND`
   */
  async record(infohash: string): Promise<ShareRecord> {
    const record = (await this.records()).find((candidate) => hexOf(candidate.infohash) === infohash)
    if (record === undefined) throw new CliError('SHARE_NOT_FOUND', `no share ${infohash} here`, 'see the list method')
    return record
  }

  /** Whether the node runs the share now (seeds or downloads it). */
  running(infohash: string): boolean {
    return this.node.shareStats(infohash) !== undefined
  }

  /** Whether its files are being verified now. */
  checking(infohash: string): boolean {
    return this.verifying.has(infohash)
  }

  /**
   * Hashes a file or folder where it is and seeds it.
   *
   * @param path - absolute path on the daemon's machine
   * @param options - piece length, trackers (a tier each), abort signal
   * @returns the share
   */
  async share(
    path: string,
    options: { pieceLength?: number; trackers?: string[]; signal?: AbortSignal } = {},
  ): Promise<SharedView> {
    let share: Share
    try {
      share = await this.node.share(resolve(path), {
        ...(options.pieceLength === undefined ? {} : { pieceLength: options.pieceLength }),
        ...(options.trackers === undefined || options.trackers.length === 0 ? {} : { trackers: options.trackers }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      })
    } catch (error) {
      throw this.explain(error)
    }
    const { manifest } = share
    return {
      infohash: share.infohashHex,
      name: share.name,
      magnet: share.magnet,
      path: share.contentPath,
      totalBytes: manifest.totalLength,
      pieceCount: manifest.pieceCount,
      pieceLength: manifest.pieceLength,
      files: manifest.files.length,
    }
  }

  /**
   * Encrypts a file or folder into a private share (a new ciphertext version in the node's private
   * folder) and seeds it, as `mycel share --private` does.
   *
   * @param path - absolute path on the daemon's machine
   * @param options - piece length, readers' peer ids, whether it has a link with the key
   * @returns the share and its links
   */
  async sharePrivate(
    path: string,
    options: { pieceLength?: number; readers?: string[]; link?: boolean } = {},
  ): Promise<PrivateSharedView> {
    try {
      const shared = await this.node.share(resolve(path), {
        ...(options.pieceLength === undefined ? {} : { pieceLength: options.pieceLength }),
        private: {
          ...(options.readers === undefined ? {} : { readers: options.readers }),
          ...(options.link === undefined ? {} : { link: options.link }),
        },
      })
      return privateView(shared)
    } catch (error) {
      throw this.explain(error)
    }
  }

  /**
   * Makes the next version of a private share made here, for other readers (under a new key); the old
   * version is no longer seeded.
   *
   * @throws {@link CliError} `SHARE_NOT_FOUND` for a share that is not a private share made here
   */
  async setReaders(infohash: string, readers: string[]): Promise<PrivateSharedView & { previous: string }> {
    if ((await this.node.private.get(infohash)) === undefined) {
      throw new CliError('SHARE_NOT_FOUND', `no private share ${infohash} made here`, 'see the list method')
    }
    try {
      return { ...privateView(await this.node.private.setReaders(infohash, readers)), previous: infohash }
    } catch (error) {
      throw this.explain(error)
    }
  }

  /**
   * Starts a download (or adds files, trackers and peers to the one in progress).
   *
   * @param request - link or `.torrent` bytes, folder, peers, trackers, files
   * @returns the download
   * @throws {@link CliError} `USAGE` without a link or torrent, `MAGNET_INVALID`, `V1_ONLY`, `TORRENT_INVALID`,
   *   `SHARE_EXISTS` for a share this folder seeds
   */
  async add(request: AddRequest): Promise<AddedView> {
    let link: string
    let manifest: Manifest | undefined
    let trackers = request.trackers ?? []
    try {
      if (request.torrent !== undefined) {
        const torrent = decodeTorrent(request.torrent)
        manifest = torrent.manifest
        link = formatMagnet({ infohash: manifest.infohash, name: manifest.name })
        trackers = [...trackers, ...torrent.trackerTiers.flat().filter(isUsableTracker)]
      } else if (request.link !== undefined) {
        link = request.link.trim()
        parseMagnet(link)
      } else {
        throw CliError.usage('add needs a link or a torrent')
      }
    } catch (error) {
      if (error instanceof PiecesError && error.code === 'MANIFEST_MALFORMED')
        throw new CliError('TORRENT_INVALID', `not a usable .torrent file: ${error.message}`, 'check the file')
      throw this.explain(error)
    }
    const infohash = manifest?.infohashHex ?? hexOf(parseMagnet(link).infohash)
    const existing = this.node.getDownload(infohash)
    const dir = resolve(request.dir ?? this.downloadDir)
    try {
      if (manifest !== undefined) await this.node.addManifest(manifest)
      const download = this.node.download(link, {
        dir,
        ...(request.peers === undefined ? {} : { peers: request.peers }),
        ...(trackers.length === 0 ? {} : { trackers }),
        ...(request.files === undefined ? {} : { files: request.files }),
        ...(request.verifyExisting === true ? { existingFiles: 'verify' as const } : {}),
      })
      const name = download.progress.name
      if (existing === undefined) this.pending.set(infohash, pendingRecord(infohash, name, dir, manifest))
      return { infohash, name, dir, added: existing === undefined }
    } catch (error) {
      throw this.explain(error)
    }
  }

  /**
   * Downloads a private share as a reader and decrypts it into a folder, as
   * `mycel get mycel://...` does; `private.done` (or `error`) reports the end.
   *
   * @param request - link, folder, peers
   * @returns the ciphertext share's infohash
   * @throws {@link CliError} `USAGE` for a link that is not `mycel://`, `PRIVATE_LINK_MALFORMED`
   */
  getPrivate(request: PrivateRequest): PrivateAddedView {
    const { link, parsed } = this.privateLink(request.link)
    const infohash = hexOf(parsed.infohash)
    if (this.reading.has(infohash)) return { infohash, added: false }
    try {
      const job = this.node.private.download(link, {
        dir: resolve(request.dir ?? this.downloadDir),
        ...(request.peers === undefined ? {} : { peers: request.peers }),
      })
      this.reading.add(infohash)
      job.done().then(
        ({ manifest, contentPath }) => {
          this.reading.delete(infohash)
          const view: PrivateDoneView = {
            infohash,
            name: manifest.name,
            path: contentPath,
            totalBytes: manifest.contentLength,
            files: manifest.files.map((file) => file.path.join('/')),
          }
          for (const listener of this.privateListeners) listener.done(view)
        },
        (error: unknown) => {
          this.reading.delete(infohash)
          for (const listener of this.privateListeners) listener.failed(infohash, error)
        },
      )
      return { infohash, added: true }
    } catch (error) {
      throw this.explain(error)
    }
  }

  /**
   * Fetches the ciphertext of a private share, verifies it and seeds it,
   * without the key (a key in the link is dropped, never stored), as
   * `mycel seed --blind` does; `done` reports the end of the fetch.
   *
   * @param request - link, folder, peers
   * @returns the ciphertext share's infohash
   * @throws {@link CliError} `USAGE` for a link that is not `mycel://`, `PRIVATE_LINK_MALFORMED`
   */
  seedBlind(request: PrivateRequest): PrivateAddedView {
    const { parsed } = this.privateLink(request.link)
    const infohash = hexOf(parsed.infohash)
    const existing = this.node.getDownload(infohash)
    try {
      this.node.download(`mycel://${infohash}`, {
        ...(request.dir === undefined ? {} : { dir: resolve(request.dir) }),
        peers: [...parsed.peers.map((peer) => `tcp://${peer}`), ...(request.peers ?? [])],
      })
      return { infohash, added: existing === undefined }
    } catch (error) {
      throw this.explain(error)
    }
  }

  /**
   * Hears about the private downloads this daemon runs.
   *
   * @returns a function that stops it
   */
  onPrivate(listener: PrivateListener): () => void {
    this.privateListeners.add(listener)
    return () => this.privateListeners.delete(listener)
  }

  /** A request's link, trimmed, and what it says; a link that is not one is a `CliError`. */
  private privateLink(text: string): { link: string; parsed: ReturnType<typeof parsePrivateLink> } {
    const link = text.trim()
    if (!isPrivateLink(link))
      throw CliError.usage('a private share is a mycel:// link', 'as mycel share --private prints it')
    try {
      return { link, parsed: parsePrivateLink(link) }
    } catch (error) {
      throw this.explain(error)
    }
  }

  /**
   * Stops seeding or downloading a share; the data folder keeps it (a download resumes on `start`).
   *
   * @throws {@link CliError} `SHARE_NOT_FOUND`
   */
  async stop(infohash: string): Promise<void> {
    await this.record(infohash)
    await this.node.remove(infohash)
  }

  /**
   * Starts a stopped share again: a download resumes from its verified pieces, a seed is hashed again
   * from its files (they may have changed while it was stopped).
   *
   * @throws {@link CliError} `SHARE_NOT_FOUND`, and what `share`/`add` throw
   */
  async start(infohash: string): Promise<void> {
    const record = await this.record(infohash)
    if (this.running(infohash)) return
    if (record.role === 'seed') {
      await this.share(record.contentPath)
      return
    }
    await this.add({ link: infohash, dir: dirname(record.contentPath) })
  }

  /**
   * Reads a share's files back and checks every piece against its manifest.
   *
   * @returns how many pieces are valid
   * @throws {@link CliError} `SHARE_NOT_FOUND`; `NOT_RUNNING` while the manifest is not known yet
   */
  async verify(infohash: string, signal?: AbortSignal): Promise<VerifiedView> {
    const record = await this.record(infohash)
    const manifest = await this.node.getManifest(infohash)
    if (manifest === undefined) {
      throw new CliError('NOT_RUNNING', `the metadata of ${record.name} has not arrived yet`, 'verify it later')
    }
    this.verifying.add(infohash)
    try {
      const store = await openSeedStore(manifest, record.contentPath)
      try {
        const verified = await recheck(manifest, store, signal === undefined ? {} : { signal })
        let validPieces = 0
        for (let piece = 0; piece < manifest.pieceCount; piece++) if (verified.get(piece)) validPieces++
        return { infohash, pieceCount: manifest.pieceCount, validPieces }
      } finally {
        await store.close()
      }
    } catch (error) {
      throw this.explain(error)
    } finally {
      this.verifying.delete(infohash)
    }
  }

  /**
   * Stops a share and forgets it (record, manifest, verified pieces); its files stay.
   *
   * @throws {@link CliError} `SHARE_NOT_FOUND`
   */
  async remove(infohash: string): Promise<void> {
    await this.record(infohash)
    await this.node.remove(infohash, { deleteState: true })
  }

  /** A `CliError` with a stable code for any failure. */
  explain(error: unknown): CliError {
    return explain(error, this.explainContext)
  }
}

/** The record of a download the node has not recorded yet, as it will record it. */
function pendingRecord(infohash: string, name: string, dir: string, manifest: Manifest | undefined): ShareRecord {
  const now = Date.now()
  return {
    infohash: Buffer.from(infohash, 'hex'),
    name: manifest?.name ?? name,
    role: 'download',
    contentPath: join(dir, manifest?.name ?? name),
    status: 'active',
    hasManifest: manifest !== undefined,
    totalLength: manifest?.totalLength,
    pieceCount: manifest?.pieceCount,
    verifiedPieces: 0,
    addedAt: now,
    updatedAt: now,
    completedAt: undefined,
    lastError: undefined,
    bytesUploaded: 0,
    bytesDownloaded: 0,
  }
}

function privateView(shared: PrivateShare): PrivateSharedView {
  return {
    infohash: shared.infohashHex,
    name: shared.name,
    link: shared.link ?? null,
    blindLink: shared.blindLink,
    readers: [...shared.readers],
    totalBytes: shared.share.manifest.totalLength,
  }
}
