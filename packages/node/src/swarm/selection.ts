import { Bitfield, type Manifest } from '@mycel/pieces'
import { findFile } from '../read-stream.js'

/**
 * Which pieces a download wants: every piece, or those of some files plus
 * the pieces streaming readers asked for. It keeps the figures of progress
 * as counters (wanted pieces missing, bytes wanted, bytes of wanted pieces
 * held), updated as pieces are stored and wanted, so that "is the download
 * complete" and "how far is it" are cheap to ask: no walk over the pieces.
 * @internal
 */
export class Selection {
  /** Paths of the selected files; undefined for every file. */
  private files: Set<string> | undefined
  /** The wanted pieces once the manifest is known; undefined for every piece. */
  private wanted: Bitfield | undefined
  private manifest: Manifest | undefined
  /** Wanted pieces not held. */
  private missing = 0
  /** Bytes of the wanted pieces. */
  private bytes = 0
  /** Bytes of the wanted pieces held. */
  private heldBytesCount = 0

  /** @param files - paths inside the share (components joined with `/`); undefined for every file */
  constructor(files?: readonly string[]) {
    this.files = files === undefined ? undefined : new Set(files)
  }

  /** The selected files' paths, for saving; undefined when every file is wanted. */
  get paths(): string[] | undefined {
    return this.files === undefined ? undefined : [...this.files]
  }

  /** The wanted pieces, for the downloader; undefined when every piece is wanted. */
  get pieces(): Bitfield | undefined {
    return this.wanted
  }

  /** Bytes of the wanted pieces (of the whole share when every piece is wanted). */
  get wantedBytes(): number {
    return this.wanted === undefined ? (this.manifest?.totalLength ?? 0) : this.bytes
  }

  /** Bytes of the wanted pieces held (of every piece held when every piece is wanted). */
  get heldBytes(): number {
    return this.heldBytesCount
  }

  /** How many pieces are wanted. */
  get wantedCount(): number {
    return this.wanted === undefined ? (this.manifest?.pieceCount ?? 0) : this.wanted.count()
  }

  /**
   * Takes the manifest and the pieces held.
   * @throws `NodeError` `FILE_NOT_FOUND` when a selected path is not a file of the share
   */
  resolve(manifest: Manifest, have: Bitfield): void {
    this.manifest = manifest
    if (this.files === undefined) {
      this.heldBytesCount = bytesHeld(manifest, have) // once, when the download starts
      return
    }
    const indexes = [...this.files].map((path) => findFile(manifest, path))
    this.wanted = new Bitfield(manifest.pieceCount)
    this.bytes = 0
    this.missing = 0
    this.heldBytesCount = 0
    for (const index of indexes) {
      const file = manifest.files[index]
      if (file !== undefined) this.add(file.firstPiece, file.firstPiece + file.pieceCount, have)
    }
  }

  /**
   * Adds files to the selection (nothing changes when every file is wanted).
   * @returns the newly wanted pieces that are not held, once the manifest is known
   * @throws `NodeError` `FILE_NOT_FOUND` (once the manifest is known) for a path not in the share
   */
  addFiles(paths: readonly string[], have: Bitfield | undefined): number[] {
    const manifest = this.manifest
    if (this.files === undefined) {
      // every file is wanted already; a path the share does not have is still an error
      if (manifest !== undefined) for (const path of paths) findFile(manifest, path)
      return []
    }
    const fresh = paths.filter((path) => !this.files?.has(path))
    const indexes = manifest === undefined ? [] : fresh.map((path) => findFile(manifest, path))
    for (const path of fresh) this.files.add(path)
    const added: number[] = []
    for (const index of indexes) {
      const file = manifest?.files[index]
      if (file !== undefined && have !== undefined) {
        added.push(...this.add(file.firstPiece, file.firstPiece + file.pieceCount, have))
      }
    }
    return added
  }

  /** Adds pieces (a streaming reader's window). @returns those newly wanted and not held */
  addPieces(start: number, end: number, have: Bitfield): number[] {
    return this.wanted === undefined ? [] : this.add(start, end, have)
  }

  /** Whether a piece is wanted. */
  has(piece: number): boolean {
    return this.wanted === undefined || this.wanted.get(piece)
  }

  /** A piece was stored that was not held before (call once per piece). */
  stored(piece: number): void {
    if (!this.has(piece)) return
    if (this.wanted !== undefined) this.missing--
    this.heldBytesCount += (this.manifest as Manifest).pieceSize(piece)
  }

  /** A piece held before was dropped (its seeded file changed; call once per piece). */
  dropped(piece: number): void {
    if (!this.has(piece)) return
    if (this.wanted !== undefined) this.missing++
    this.heldBytesCount -= (this.manifest as Manifest).pieceSize(piece)
  }

  /** Whether every wanted piece is held. */
  complete(have: Bitfield): boolean {
    return this.wanted === undefined ? have.isComplete() : this.missing === 0
  }

  /** Wanted pieces among those held. */
  held(have: Bitfield): number {
    if (this.wanted === undefined) return have.count()
    return this.wanted.count() - this.missing
  }

  private add(start: number, end: number, have: Bitfield): number[] {
    const wanted = this.wanted as Bitfield
    const manifest = this.manifest as Manifest
    const added: number[] = []
    for (let piece = start; piece < end; piece++) {
      if (!wanted.set(piece)) continue
      const size = manifest.pieceSize(piece)
      this.bytes += size
      if (have.get(piece)) {
        this.heldBytesCount += size
      } else {
        this.missing++
        added.push(piece)
      }
    }
    return added
  }
}

/** Bytes of the pieces held: one walk over them (none for a complete share). */
function bytesHeld(manifest: Manifest, have: Bitfield): number {
  if (have.isComplete()) return manifest.totalLength
  let total = 0
  for (const piece of have.pieces()) total += manifest.pieceSize(piece)
  return total
}
