import type { Bitfield, Manifest } from '@mycel/pieces'

/** How a share came to this node: `seed` shares local files in place, `download` fetches them from peers. */
export type ShareRole = 'seed' | 'download'

/**
 * Where a share stands. `active`: running (downloading, or seeding);
 * `paused`: stopped by the user; `complete`: a download that holds every
 * piece; `error`: stopped by a failure named in `lastError`. The node decides
 * the transitions; the store only records them.
 */
export type ShareStatus = 'active' | 'paused' | 'complete' | 'error'

/** Options of every {@link StateStore} operation. */
export interface StateOptions {
  /** Aborts the operation before it starts: it rejects with `StoreError('ABORTED')`. */
  signal?: AbortSignal
}

/** What {@link StateStore.addShare} needs to know about a new share. */
export interface ShareInit {
  /** The share's infohash (32 bytes). */
  readonly infohash: Uint8Array
  /** Its name: the manifest's, or the magnet link's `dn` while the manifest is not known yet. */
  readonly name: string
  /** Seeded from local files, or downloaded. */
  readonly role: ShareRole
  /** The file or folder holding the share's content on disk. */
  readonly contentPath: string
  /** Initial status; default `active`. */
  readonly status?: ShareStatus
}

/** What {@link StateStore.putSeed} records: a share seeded from files just hashed. */
export interface SeedInit {
  /** The share, as its files were just hashed. */
  readonly manifest: Manifest
  /** The file or folder it is seeded from. */
  readonly contentPath: string
  /** Key/value entries written with it (see {@link StateStore.setValue}), e.g. the seeded files' stamps. */
  readonly values?: ReadonlyMap<string, Uint8Array>
}

/** A share as the store records it: what `mycel ls` shows and what a restarted node resumes. */
export interface ShareRecord {
  /** The share's infohash (32 bytes). */
  readonly infohash: Uint8Array
  /** Its name. */
  readonly name: string
  /** Seeded from local files, or downloaded. */
  readonly role: ShareRole
  /** The file or folder holding the share's content on disk. */
  readonly contentPath: string
  /** Where it stands. */
  readonly status: ShareStatus
  /** Whether the store holds the share's manifest (a magnet download may not have it yet). */
  readonly hasManifest: boolean
  /** Bytes in the share, from the stored manifest (undefined without one). */
  readonly totalLength: number | undefined
  /** Pieces in the share, from the stored manifest (undefined without one). */
  readonly pieceCount: number | undefined
  /** Pieces recorded verified, including marks not yet flushed. */
  readonly verifiedPieces: number
  /** When the share was added (ms since the epoch). */
  readonly addedAt: number
  /** When the record last changed (ms since the epoch). */
  readonly updatedAt: number
  /** When the share became `complete`, if it has. */
  readonly completedAt: number | undefined
  /** What stopped the share, when its status is `error` (cut to `STORE_LIMITS.maxErrorLength`). */
  readonly lastError: string | undefined
  /** Bytes of the share sent to peers, all time (what callers added with `addUploaded`). */
  readonly bytesUploaded: number
  /** Bytes of the share received and verified, all time (what callers added with `addDownloaded`). */
  readonly bytesDownloaded: number
}

/** Changes to a share record; fields left out stay as they are. */
export interface ShareUpdate {
  /**
   * New status. Moving to `complete` sets `completedAt` to now unless it is
   * given or already set; moving to anything but `error` clears `lastError`
   * unless it is given.
   */
  readonly status?: ShareStatus
  /** New name (e.g. once the manifest arrives). */
  readonly name?: string
  /** New content path (e.g. after the user moved the files). */
  readonly contentPath?: string
  /** What went wrong; `null` clears it. */
  readonly lastError?: string | null
  /** When the share completed; `null` clears it. */
  readonly completedAt?: number | null
  /**
   * Bytes to add to `bytesUploaded` (a non-negative safe integer). Adding,
   * not setting, lets a node save what it sent since its last save without
   * reading the record first. A total that would pass 2^53 - 1 stays there.
   */
  readonly addUploaded?: number
  /** Bytes to add to `bytesDownloaded`, as `addUploaded`. */
  readonly addDownloaded?: number
}

/** Which shares {@link StateStore.listShares} returns. Shares come in the order they were added. */
export interface ShareFilter {
  /** Only shares of this role. */
  readonly role?: ShareRole
  /** Only shares with this status (or one of these). */
  readonly status?: ShareStatus | readonly ShareStatus[]
  /** At most this many; default all. */
  readonly limit?: number
  /** Skip this many first. Default 0. */
  readonly offset?: number
}

/** Options of {@link StateStore.search}. */
export interface SearchOptions extends StateOptions {
  /** Most hits; default 100, at most `STORE_LIMITS.maxSearchResults`. */
  readonly limit?: number
  /** Only shares of this role. */
  readonly role?: ShareRole
}

/**
 * One search result: a share whose name matches, or a file of a multi-file
 * share whose path matches.
 */
export interface SearchHit {
  /** The share's infohash. */
  readonly infohash: Uint8Array
  /** The share's name. */
  readonly shareName: string
  /** The share's role. */
  readonly role: ShareRole
  /** For a file hit: its index in the manifest's files; undefined for a share hit. */
  readonly fileIndex: number | undefined
  /** For a file hit: its path inside the share; undefined for a share hit. */
  readonly path: readonly string[] | undefined
}

/** What a state store remembers about a peer. */
export interface PeerRecord {
  /** The peer's id (its public key). */
  readonly peerId: Uint8Array
  /** Its score: good pieces raise it, bad pieces and timeouts lower it. Starts at 0. */
  readonly score: number
  /** Until when it is banned (ms since the epoch); 0 if it is not. */
  readonly bannedUntil: number
  /** When the record last changed (ms since the epoch). */
  readonly updatedAt: number
}

/** Options of {@link StateStore.listPeers}. */
export interface ListPeersOptions extends StateOptions {
  /** Most records; default 50, at most `STORE_LIMITS.maxSearchResults`. */
  readonly limit?: number
  /** `best` (highest score first, the default) or `worst`. Ties go by peer id bytes. */
  readonly order?: 'best' | 'worst'
  /** Leave out peers banned at the store's current time. Default false. */
  readonly excludeBanned?: boolean
}

/**
 * Everything a node remembers between runs: manifests by infohash, which
 * pieces of each share are verified, the share records (`mycel ls` and
 * resume), a search over local share names and file paths, peer scores and
 * bans, and a small key/value area (e.g. the DHT routing table).
 *
 * The API is asynchronous so that stores backed by asynchronous storage
 * (IndexedDB) can implement it; {@link StateStore.markVerified} alone is
 * synchronous, because a node calls it for every piece: it records the mark
 * in memory at once (reads see it) and persists it with the next batch.
 * Implementations: {@link MemoryStateStore} here, `SqliteStateStore` in
 * `@mycel/store/sqlite`; `stateStoreCompliance` in `@mycel/store/testing`
 * checks that they agree.
 *
 * @example
 * ```ts
 * await state.putManifest(manifest)
 * await state.addShare({ infohash: manifest.infohash, name: manifest.name, role: 'download', contentPath })
 * await pieces.writePiece(index, bytes) // bytes first...
 * state.markVerified(manifest.infohash, index) // ...then the record
 * await state.flush()
 * ```
 */
export interface StateStore {
  /**
   * Stores a manifest (as its metadata blob). Storing one already there does nothing.
   *
   * @param manifest - a validated manifest
   * @param options - abort signal
   * @throws {@link StoreError} `DISK_FULL`, `DATABASE_FAILED`, `CLOSED`, `ABORTED`
   */
  putManifest(manifest: Manifest, options?: StateOptions): Promise<void>

  /**
   * A stored manifest. Decoding a large one costs time, so stores keep
   * recently used manifests decoded; the same object may be returned twice.
   *
   * @param infohash - 32 bytes
   * @param options - abort signal
   * @returns the manifest, or undefined if none is stored
   * @throws {@link StoreError} `DATABASE_CORRUPT` if the stored metadata no longer decodes to its infohash
   */
  getManifest(infohash: Uint8Array, options?: StateOptions): Promise<Manifest | undefined>

  /**
   * The stored metadata blob (`encodeMetadata`), as peers ask for it with `meta-get`.
   *
   * @param infohash - 32 bytes
   * @param options - abort signal
   * @returns the bytes, or undefined if no manifest is stored
   */
  getMetadata(infohash: Uint8Array, options?: StateOptions): Promise<Uint8Array | undefined>

  /**
   * The verified pieces of a share, marks not yet flushed included.
   *
   * @param infohash - 32 bytes
   * @param options - abort signal
   * @returns a copy, sized to the manifest's piece count; undefined if no manifest is stored
   */
  getBitfield(infohash: Uint8Array, options?: StateOptions): Promise<Bitfield | undefined>

  /**
   * Records one piece verified: at once in memory, on storage with the next
   * batch (or {@link StateStore.flush}). Call it only after the piece's bytes
   * were written. Costs well under a microsecond in the stores of this package.
   *
   * @param infohash - 32 bytes
   * @param piece - global piece index
   * @throws {@link StoreError} `UNKNOWN_SHARE` if no manifest is stored, `CLOSED`
   * @throws RangeError if the piece does not exist
   */
  markVerified(infohash: Uint8Array, piece: number): void

  /**
   * Replaces a share's verified pieces (after a {@link index!recheck | recheck}), durably before resolving.
   *
   * @param infohash - 32 bytes
   * @param bitfield - sized to the manifest's piece count
   * @param options - abort signal
   * @throws {@link StoreError} `UNKNOWN_SHARE`; RangeError for a bitfield of another size
   */
  setBitfield(infohash: Uint8Array, bitfield: Bitfield, options?: StateOptions): Promise<void>

  /**
   * Forgets every verified piece of a share, durably before resolving.
   *
   * @param infohash - 32 bytes
   * @param options - abort signal
   * @throws {@link StoreError} `UNKNOWN_SHARE`
   */
  clearBitfield(infohash: Uint8Array, options?: StateOptions): Promise<void>

  /**
   * Writes every pending mark to storage. The stores also flush on their own
   * (the SQLite store every `flushInterval` milliseconds); this is the
   * explicit point where a failure is reported.
   *
   * @param options - abort signal
   * @throws {@link StoreError} `DISK_FULL`, `DATABASE_FAILED`, `CLOSED`, `ABORTED`
   */
  flush(options?: StateOptions): Promise<void>

  /**
   * Records a new share.
   *
   * @param init - infohash, name, role, content path, status
   * @param options - abort signal
   * @returns the record
   * @throws {@link StoreError} `SHARE_EXISTS` if the infohash is already recorded
   */
  addShare(init: ShareInit, options?: StateOptions): Promise<ShareRecord>

  /**
   * Records a share seeded from files just hashed, in one write (a node
   * sharing 200 files made five or six each): whatever was recorded for its
   * infohash is replaced, keeping the all-time totals; its manifest is
   * stored, its record made (role `seed`, status `complete`), every piece
   * marked verified, and `values` set. Optional: without it a node makes
   * the same writes one by one (`removeShare`, `putManifest`, `addShare`,
   * `updateShare`, `setBitfield`, `setValue`).
   *
   * @param seed - manifest, content path, key/value entries
   * @param options - abort signal
   * @returns the record
   * @throws {@link StoreError} `DISK_FULL`, `DATABASE_FAILED`, `CLOSED`, `ABORTED`; TypeError or
   *   RangeError for a key or value that {@link StateStore.setValue} would refuse
   */
  putSeed?(seed: SeedInit, options?: StateOptions): Promise<ShareRecord>

  /**
   * @param infohash - 32 bytes
   * @param options - abort signal
   * @returns the share's record, or undefined
   */
  getShare(infohash: Uint8Array, options?: StateOptions): Promise<ShareRecord | undefined>

  /**
   * @param filter - role, status, paging
   * @param options - abort signal
   * @returns the matching records, oldest first
   */
  listShares(filter?: ShareFilter, options?: StateOptions): Promise<ShareRecord[]>

  /**
   * Changes a share record.
   *
   * @param infohash - 32 bytes
   * @param update - the fields to change
   * @param options - abort signal
   * @returns the updated record
   * @throws {@link StoreError} `UNKNOWN_SHARE` if there is no such share
   */
  updateShare(infohash: Uint8Array, update: ShareUpdate, options?: StateOptions): Promise<ShareRecord>

  /**
   * Forgets a share: its record, manifest, verified pieces and search
   * entries (never its files on disk).
   *
   * @param infohash - 32 bytes
   * @param options - abort signal
   * @returns whether anything was stored for it
   */
  removeShare(infohash: Uint8Array, options?: StateOptions): Promise<boolean>

  /**
   * Searches local shares. The query is cut into terms at white space; a
   * share is a hit when every term occurs in its name, and a file of a
   * multi-file share is a hit when every term occurs in its path (components
   * joined with `/`). Matching is by substring, after NFKC normalisation and
   * lower-casing of both sides. Share hits come first, in the order shares
   * were added, then file hits, by share then file index. An empty query
   * finds nothing.
   *
   * @param query - search terms
   * @param options - limit, role, abort signal
   * @returns the hits
   * @throws RangeError for more than `STORE_LIMITS.maxSearchTerms` terms or a term over `maxSearchTermLength`
   */
  search(query: string, options?: SearchOptions): Promise<SearchHit[]>

  /**
   * @param peerId - the peer's id
   * @param options - abort signal
   * @returns what is known of the peer, or undefined
   */
  getPeer(peerId: Uint8Array, options?: StateOptions): Promise<PeerRecord | undefined>

  /**
   * Adds `delta` to a peer's score (creating the record at 0), saturating at
   * plus or minus `STORE_LIMITS.maxPeerScore`. When more peers than the
   * store's bound are known, the least recently updated are forgotten.
   *
   * @param peerId - the peer's id
   * @param delta - a finite number, positive or negative
   * @param options - abort signal
   * @returns the updated record
   */
  adjustPeerScore(peerId: Uint8Array, delta: number, options?: StateOptions): Promise<PeerRecord>

  /**
   * Bans a peer until a time (0 lifts the ban). Bans survive restarts.
   *
   * @param peerId - the peer's id
   * @param until - ms since the epoch
   * @param options - abort signal
   * @returns the updated record
   */
  banPeer(peerId: Uint8Array, until: number, options?: StateOptions): Promise<PeerRecord>

  /**
   * @param options - limit, order, whether to leave banned peers out
   * @returns peer records, best (or worst) first
   */
  listPeers(options?: ListPeersOptions): Promise<PeerRecord[]>

  /**
   * @param peerId - the peer's id
   * @param options - abort signal
   * @returns whether a record was removed
   */
  removePeer(peerId: Uint8Array, options?: StateOptions): Promise<boolean>

  /**
   * @param key - up to `STORE_LIMITS.maxKeyLength` characters
   * @param options - abort signal
   * @returns a copy of the stored value, or undefined
   */
  getValue(key: string, options?: StateOptions): Promise<Uint8Array | undefined>

  /**
   * Stores a value (replacing any), durably before resolving.
   *
   * @param key - up to `STORE_LIMITS.maxKeyLength` characters
   * @param value - up to `STORE_LIMITS.maxValueBytes` bytes (copied)
   * @param options - abort signal
   */
  setValue(key: string, value: Uint8Array, options?: StateOptions): Promise<void>

  /**
   * @param key - the key
   * @param options - abort signal
   * @returns whether a value was removed
   */
  deleteValue(key: string, options?: StateOptions): Promise<boolean>

  /**
   * Flushes pending marks and releases the storage. Idempotent: every call
   * returns the same promise. Other calls then fail with `StoreError('CLOSED')`.
   *
   * @throws {@link StoreError} if the last flush fails (the storage is released anyway)
   */
  close(): Promise<void>
}
