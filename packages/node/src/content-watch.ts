import { type Manifest, verifyPiece } from '@mycel/pieces'
import type { StateStore } from '@mycel/store'
import type { ContentStorage, ContentStore, FileStamp, SourceFile } from './content.js'
import type { ShareChange } from './events.js'
import { contentStampsKey } from './state-keys.js'
import type { ContentGuard, Swarm } from './swarm/swarm.js'

/**
 * Seeded files that change on disk. A share is served from the user's own
 * files, which the user may edit, cut or delete at any time. Before a piece
 * is read for a peer, the files it is read from are looked at (one `lstat`
 * each, at most every `interval` ms per file, and always before the first
 * read): when a file's size, modification time, change time or inode differ
 * from what the node last verified, every piece it is in stops being
 * served, the store opens the path again, and the pieces are re-hashed
 * against the manifest's piece layer in the background; those that match
 * are served again, the others are reported (the node's `share-changed`
 * event). A file with pieces that do not match is looked at again every
 * {@link RELOOK_MIN_MS} (or `interval`, if longer), so a file put back is
 * served again. The files are the share's own, or those its store says it
 * reads from ({@link ContentStore.sourceFiles}: a private share's plaintext
 * files).
 * @internal
 * @module
 */

export type { FileStamp, SourceFile } from './content.js'

/** What a watch needs of the seeded share it guards. */
export interface WatchedContent {
  readonly manifest: Manifest
  /** The files the share is read from, in piece order (see {@link sourceFilesOf}). */
  readonly files: readonly SourceFile[]
  /** The stamp of a file now (see {@link ContentStorage.stamp}). */
  stamp(path: string): Promise<FileStamp>
  /** Reads a whole piece from the store. */
  readPiece(piece: number): Promise<Uint8Array>
  /** Makes the store open the file's path again at its next read. */
  closeFile(fileIndex: number): Promise<void>
  /** Stops serving these pieces. */
  dropPieces(pieces: readonly number[]): void
  /** Serves these pieces again. */
  restorePieces(pieces: readonly number[]): void
}

/** What a watch found after a file changed. */
export interface ContentChange {
  /** The file, on disk. */
  readonly path: string
  /** Pieces the file is in that no longer match the share (not served). */
  readonly mismatched: number
  /** Pieces the file is in. */
  readonly pieces: number
}

/** Options of a {@link ContentWatch}. */
export interface ContentWatchOptions {
  /** Milliseconds a file's last look stays good for reads (0: look before every read). */
  readonly interval: number
  /** A changed file was verified again and what is served changed (some pieces no longer match, or match again). */
  onChange(change: ContentChange): void
}

/** Default of `NodeOptions.changeCheckInterval`: a shared file is looked at this often, at most. */
export const DEFAULT_CHANGE_CHECK_INTERVAL_MS = 2000

/** A file with pieces that do not match (or gone) is looked at again this often at least. */
export const RELOOK_MIN_MS = 1000

/** Restored pieces are announced in batches of this many (each is one `have` per member). */
const RESTORE_BATCH = 64

/** Files stamped at once by {@link stampFiles}: each stamp is an `lstat`, a trip to libuv's thread pool. */
export const STAMPS_AT_ONCE = 32

/**
 * The files a seeded share is read from: those its store says
 * ({@link ContentStore.sourceFiles}), else file `i` of the manifest at the
 * store's `filePath(i)`, with its pieces.
 */
export function sourceFilesOf(manifest: Manifest, store: ContentStore): readonly SourceFile[] {
  return (
    store.sourceFiles?.() ??
    manifest.files.map((file, fileIndex) => ({
      path: store.filePath(fileIndex),
      fileIndex,
      firstPiece: file.firstPiece,
      pieceCount: file.pieceCount,
    }))
  )
}

/** The stamps of the files a share is read from (in their order), {@link STAMPS_AT_ONCE} looked at a time. */
export async function stampFiles(content: Pick<WatchedContent, 'files' | 'stamp'>): Promise<FileStamp[]> {
  const count = content.files.length
  const stamps: FileStamp[] = new Array(count)
  let next = 0
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) {
      stamps[index] = await content.stamp((content.files[index] as SourceFile).path)
    }
  }
  await Promise.all(Array.from({ length: Math.min(STAMPS_AT_ONCE, count) }, worker))
  return stamps
}

/** The state entry that holds the stamps of a share's files (written by {@link saveStamps}). */
export function stampsEntry(infohashHex: string, stamps: readonly FileStamp[]): [string, Uint8Array] {
  return [contentStampsKey(infohashHex), new TextEncoder().encode(JSON.stringify(stamps))]
}

/** Saves the stamps of a share's files as they were verified (the baseline a restart compares with). */
export async function saveStamps(state: StateStore, infohashHex: string, stamps: readonly FileStamp[]): Promise<void> {
  await state.setValue(...stampsEntry(infohashHex, stamps))
}

/** The saved stamps of the files a share is read from; undefined when none are saved (or they do not fit them). */
export async function loadStamps(
  state: StateStore,
  infohashHex: string,
  fileCount: number,
): Promise<FileStamp[] | undefined> {
  const saved = await state.getValue(contentStampsKey(infohashHex))
  if (saved === undefined) return undefined
  try {
    const stamps = JSON.parse(new TextDecoder().decode(saved)) as unknown
    const valid = (stamp: unknown) =>
      stamp === null || (Array.isArray(stamp) && stamp.length === 4 && stamp.every((n) => typeof n === 'number'))
    if (Array.isArray(stamps) && stamps.length === fileCount && stamps.every(valid)) return stamps as FileStamp[]
  } catch {
    // damaged: a new baseline is taken
  }
  return undefined
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  if (a === null || b === null) return a === b
  return a.length === b.length && a.every((value, index) => value === b[index])
}

/** Checks a seeded share's files before serving from them, and re-verifies those that changed. @internal */
export class ContentWatch implements ContentGuard {
  private readonly stamps: FileStamp[]
  /** The files with pieces, in piece order: where {@link beforeRead} looks for those a piece is read from. */
  private readonly withPieces: readonly number[]
  /** When each file was last looked at (`performance.now()`), -Infinity before the first look. */
  private readonly looked: Float64Array
  /** A look at a file in progress: reads of the file wait for it. */
  private readonly looking = new Map<number, Promise<void>>()
  /** Bumped at each change of a file: a re-verification of an older version stops. */
  private readonly versions: Uint32Array
  /** Pieces of each file that did not match at its last re-verification. */
  private readonly mismatched: Uint32Array
  /** Re-verifications run one at a time, in the order the changes were seen. */
  private verifying: Promise<void> = Promise.resolve()
  /** Looks again at files with pieces that do not match, while there are some. */
  private relook: ReturnType<typeof setInterval> | undefined
  private stopped = false

  /**
   * @param content - the share and its store
   * @param stamps - the files as they were when the share was last verified whole
   * @param options - how often to look, and whom to tell
   */
  constructor(
    private readonly content: WatchedContent,
    stamps: readonly FileStamp[],
    private readonly options: ContentWatchOptions,
  ) {
    const count = content.files.length
    this.withPieces = [...content.files.keys()].filter((index) => (content.files[index] as SourceFile).pieceCount > 0)
    this.stamps = [...stamps]
    this.looked = new Float64Array(count).fill(Number.NEGATIVE_INFINITY)
    this.versions = new Uint32Array(count)
    this.mismatched = new Uint32Array(count)
  }

  /** Before piece `piece` is read for a peer: undefined when the files it is in were looked at recently enough. */
  beforeRead(piece: number): Promise<void> | undefined {
    if (this.stopped) return undefined
    // Called for every block served: nothing is allocated unless a piece waits on two looks or more.
    let first: Promise<void> | undefined
    let all: Promise<void>[] | undefined
    const now = performance.now()
    // The files whose pieces include `piece`: the last that starts at or before it, and back while they reach it.
    for (let at = this.lastStartingAtOrBefore(piece); at >= 0; at--) {
      const index = this.withPieces[at] as number
      const file = this.content.files[index] as SourceFile
      if (file.firstPiece + file.pieceCount <= piece) break
      let wait = this.looking.get(index)
      if (wait === undefined && now - (this.looked[index] as number) >= this.options.interval) wait = this.look(index)
      if (wait === undefined) continue
      if (first === undefined) first = wait
      else if (all === undefined) all = [first, wait]
      else all.push(wait)
    }
    return all === undefined ? first : Promise.all(all).then(() => {})
  }

  /** Looks at every file now (a seed resumed at start: its files may have changed while the node was down). */
  async lookAtAll(): Promise<void> {
    for (const index of this.withPieces) {
      if (this.stopped) return
      await (this.looking.get(index) ?? this.look(index))
    }
  }

  /** The position in {@link withPieces} of the last file that starts at or before `piece` (-1: none). */
  private lastStartingAtOrBefore(piece: number): number {
    let low = 0
    let high = this.withPieces.length
    while (low < high) {
      const middle = (low + high) >>> 1
      const file = this.content.files[this.withPieces[middle] as number] as SourceFile
      if (file.firstPiece <= piece) low = middle + 1
      else high = middle
    }
    return low - 1
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.relook)
  }

  private look(index: number): Promise<void> {
    const run = (async () => {
      const stamp = await this.content.stamp((this.content.files[index] as SourceFile).path)
      this.looked[index] = performance.now()
      if (this.stopped || sameStamp(stamp, this.stamps[index] ?? null)) return
      await this.changed(index, stamp)
    })().finally(() => this.looking.delete(index))
    this.looking.set(index, run)
    return run
  }

  /** A file changed: nothing of it is served until its pieces verify again. */
  private async changed(index: number, stamp: FileStamp): Promise<void> {
    this.stamps[index] = stamp
    const version = ++(this.versions[index] as number)
    const file = this.content.files[index]
    if (file === undefined || file.pieceCount === 0) return
    const pieces = Array.from({ length: file.pieceCount }, (_, i) => file.firstPiece + i)
    this.content.dropPieces(pieces)
    await this.content.closeFile(file.fileIndex).catch(() => {}) // the next read opens the path again
    if (stamp === null) {
      this.report(index, file.pieceCount)
      return
    }
    // a listener of the node's event that throws must not stop the watch
    this.verifying = this.verifying.then(() => this.reverify(index, version, pieces)).catch(() => {})
  }

  /** Hashes the pieces of a changed file again; those that match are served again. */
  private async reverify(index: number, version: number, pieces: readonly number[]): Promise<void> {
    const current = () => !this.stopped && this.versions[index] === version
    let mismatched = 0
    let batch: number[] = []
    for (const piece of pieces) {
      if (!current()) return
      let matches: boolean
      try {
        matches = verifyPiece(this.content.manifest, piece, await this.content.readPiece(piece))
      } catch {
        matches = false // shorter than the share says, gone, unreadable
      }
      if (!current()) return
      if (!matches) {
        mismatched++
        continue
      }
      batch.push(piece)
      if (batch.length >= RESTORE_BATCH) {
        this.content.restorePieces(batch)
        batch = []
      }
    }
    this.content.restorePieces(batch)
    this.report(index, mismatched)
  }

  /** Keeps a timer while some file has pieces that do not match: nothing asks for those pieces any more. */
  private scheduleRelook(): void {
    const broken = () => [...this.mismatched.keys()].filter((index) => (this.mismatched[index] as number) > 0)
    if (this.relook !== undefined || this.stopped || broken().length === 0) return
    this.relook = setInterval(
      () => {
        const files = broken()
        if (files.length === 0 || this.stopped) {
          clearInterval(this.relook)
          this.relook = undefined
          return
        }
        for (const index of files) if (!this.looking.has(index)) void this.look(index).catch(() => {})
      },
      Math.max(RELOOK_MIN_MS, this.options.interval),
    )
    this.relook.unref?.()
  }

  private report(index: number, mismatched: number): void {
    const before = this.mismatched[index] as number
    this.mismatched[index] = mismatched
    if (mismatched === 0 && before === 0) return // touched, not changed: nothing to say
    this.scheduleRelook()
    const file = this.content.files[index] as SourceFile
    this.options.onChange({ path: file.path, mismatched, pieces: file.pieceCount })
  }
}

/**
 * Guards a seeded share: `swarm` serves it from `store`, and checks its
 * files through the returned watch before every read; `onChange` hears
 * what changed.
 */
export function watchSeed(
  swarm: Swarm,
  store: ContentStore,
  storage: ContentStorage,
  stamps: readonly FileStamp[],
  options: { interval: number; onChange(change: ShareChange): void },
): ContentWatch {
  const manifest = swarm.manifest as Manifest
  const content: WatchedContent = {
    manifest,
    files: sourceFilesOf(manifest, store),
    stamp: (path) => storage.stamp(path),
    readPiece: (piece) => store.readPiece(piece),
    closeFile: (fileIndex) => store.closeFile(fileIndex),
    dropPieces: (pieces) => swarm.dropPieces(pieces),
    restorePieces: (pieces) => swarm.restorePieces(pieces),
  }
  const watch = new ContentWatch(content, stamps, {
    interval: options.interval,
    onChange: (change) =>
      options.onChange({
        infohash: manifest.infohashHex,
        name: manifest.name,
        path: change.path,
        mismatchedPieces: change.mismatched,
        filePieces: change.pieces,
      }),
  })
  swarm.served.guard = watch
  return watch
}

/**
 * The stamps a resumed seed compares its files with: those saved, or its
 * files now when none are (a share recorded by an older node: changes are
 * seen from now on), saved then. A share just hashed saves its stamps with
 * its record instead (`share()`, {@link stampsEntry}).
 */
export async function baselineStamps(
  state: StateStore,
  manifest: Manifest,
  store: ContentStore,
  storage: ContentStorage,
): Promise<FileStamp[]> {
  const files = sourceFilesOf(manifest, store)
  const saved = await loadStamps(state, manifest.infohashHex, files.length)
  if (saved !== undefined) return saved
  const stamps = await stampFiles({ files, stamp: (path) => storage.stamp(path) })
  await saveStamps(state, manifest.infohashHex, stamps)
  return stamps
}

/** Saves the stamps of a download's files once every piece is stored: the files a later seed compares with. */
export async function saveCompleteStamps(
  state: StateStore,
  swarm: Swarm,
  store: ContentStore,
  storage: ContentStorage,
): Promise<void> {
  const { manifest, have } = swarm
  if (manifest === undefined || have?.isComplete() !== true) return
  const stamps = await stampFiles({ files: sourceFilesOf(manifest, store), stamp: (path) => storage.stamp(path) })
  await saveStamps(state, swarm.infohashHex, stamps)
}
