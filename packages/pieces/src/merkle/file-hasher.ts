import { assertBytes } from '@mycel/wire/assert'
import { fastSha256, type HashProvider, type IncrementalHash, resolveHashProvider } from '../hash/provider.js'
import { BLOCK_SIZE, HASH_SIZE, MANIFEST_LIMITS, SHA1_SIZE } from '../limits.js'
import { ceilLog2, isPowerOfTwo, log2 } from '../power-of-two.js'
import { MerkleAccumulator } from './tree.js'

/** What hashing one file gives: the BEP 52 values that go into a manifest. */
export interface FileHashes {
  /** Bytes hashed. */
  readonly length: number
  /** Pieces of the file: `ceil(length / pieceLength)`. */
  readonly pieceCount: number
  /** Root of the file's Merkle tree; absent for an empty file. */
  readonly piecesRoot?: Uint8Array
  /** The piece layer (one 32-byte hash per piece); only for files longer than one piece. */
  readonly pieceLayer?: Uint8Array
  /** SHA-1 piece hashes for hybrid `.torrent` export, when asked for. */
  readonly v1?: V1PieceHashes
}

/**
 * SHA-1 hashes of v1 pieces (BEP 3), as a hybrid `.torrent` needs them.
 * Because v2 pieces never span files and hybrid torrents align every file to
 * a piece with pad files, v1 piece `i` holds exactly the bytes of v2 piece
 * `i`, followed by zeros up to the piece length when it is the short last
 * piece of a file.
 */
export interface V1PieceHashes {
  /** 20 bytes per piece; the short last piece of each file hashed with its zero padding. */
  readonly pieces: Uint8Array
  /**
   * The last piece hashed without padding (20 bytes). A `.torrent` uses it
   * for the share's final piece when no pad file follows it (single files,
   * and the "no tail padding" layout).
   */
  readonly lastPieceUnpadded: Uint8Array
}

/** Options of {@link FileHasher}. */
export interface FileHasherOptions {
  /** Hash functions; default {@link getDefaultHashProvider}. */
  hash?: HashProvider
  /** Also compute the SHA-1 v1 piece hashes (for hybrid `.torrent` export). Default false. */
  v1?: boolean
}

const ZEROS = new Uint8Array(64 * 1024)
const EMPTY = new Uint8Array(0)

/** A growable byte buffer for hashes. */
class HashList {
  private bytes: Uint8Array = EMPTY
  length = 0

  /** @param initial - bytes made at the first push (none before: most files of a folder of small files push none) */
  constructor(private readonly initial: number) {}

  push(hash: Uint8Array): void {
    if (this.length + hash.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.initial, this.bytes.length * 2))
      grown.set(this.bytes.subarray(0, this.length))
      this.bytes = grown
    }
    this.bytes.set(hash, this.length)
    this.length += hash.length
  }

  take(): Uint8Array {
    return this.bytes.slice(0, this.length)
  }
}

/**
 * Hashes one file as BEP 52 says, from its bytes in any chunking, with
 * constant memory: 16 KiB blocks are hashed as they fill (a block that
 * straddles two chunks is the only thing copied), blocks fold into piece
 * hashes and piece hashes into the root, keeping one node per tree level.
 * Only the piece layer grows with the file (32 bytes per piece).
 *
 * @example
 * ```ts
 * const hasher = new FileHasher(65536)
 * for await (const chunk of stream) hasher.update(chunk)
 * const { piecesRoot, pieceLayer } = hasher.digest()
 * ```
 */
export class FileHasher {
  private readonly hash: HashProvider
  private readonly sha256: (data: Uint8Array) => Uint8Array
  private readonly blocksPerPiece: number
  private readonly pieceLevel: number
  private readonly blockTree: MerkleAccumulator
  private readonly pieceTree: MerkleAccumulator
  /** The start of a block that straddles two chunks; made when first needed (never when whole blocks are given). */
  private pending: Uint8Array = EMPTY
  private pendingLength = 0
  private blocksInPiece = 0
  private total = 0
  private readonly layer = new HashList(HASH_SIZE * 16)
  private finished = false
  private v1State: IncrementalHash | undefined
  private readonly v1Pieces: HashList | undefined
  private v1LastUnpadded: Uint8Array | undefined

  /**
   * @param pieceLength - the share's piece length: a power of two from 16 KiB to 16 MiB
   * @param options - hash provider and whether to compute v1 hashes
   * @throws RangeError for a piece length that is not allowed
   */
  constructor(
    private readonly pieceLength: number,
    options: FileHasherOptions = {},
  ) {
    if (
      !isPowerOfTwo(pieceLength) ||
      pieceLength < MANIFEST_LIMITS.minPieceLength ||
      pieceLength > MANIFEST_LIMITS.maxPieceLength
    ) {
      throw new RangeError(`pieceLength must be a power of two from 16 KiB to 16 MiB, got ${String(pieceLength)}`)
    }
    this.hash = resolveHashProvider(options.hash)
    this.sha256 = fastSha256(this.hash)
    this.blocksPerPiece = pieceLength / BLOCK_SIZE
    this.pieceLevel = log2(this.blocksPerPiece)
    this.blockTree = new MerkleAccumulator(this.hash)
    this.pieceTree = new MerkleAccumulator(this.hash)
    if (options.v1 === true) {
      this.v1State = this.hash.createSha1()
      this.v1Pieces = new HashList(SHA1_SIZE * 16)
    }
  }

  /** Bytes hashed so far. */
  get length(): number {
    return this.total
  }

  /**
   * Hashes the next bytes of the file.
   *
   * @param chunk - the next bytes; not kept after the call returns
   * @throws TypeError if `chunk` is not a `Uint8Array`; Error after {@link FileHasher.digest}
   */
  update(chunk: Uint8Array): void {
    assertBytes(chunk, 'chunk')
    if (this.finished) throw new Error('FileHasher.update after digest')
    if (this.pendingLength === 0 && this.total % BLOCK_SIZE !== 0) {
      throw new Error('FileHasher.update after a short block of hashes')
    }
    const size = chunk.length
    let offset = 0
    this.total += size
    if (this.pendingLength > 0) {
      offset = Math.min(BLOCK_SIZE - this.pendingLength, size)
      this.pending.set(chunk.subarray(0, offset), this.pendingLength)
      this.pendingLength += offset
      if (this.pendingLength < BLOCK_SIZE) return
      this.pendingLength = 0
      this.block(this.pending)
    }
    while (size - offset >= BLOCK_SIZE) {
      this.block(chunk.subarray(offset, offset + BLOCK_SIZE))
      offset += BLOCK_SIZE
    }
    if (offset < size) {
      if (this.pending.length === 0) this.pending = new Uint8Array(BLOCK_SIZE)
      this.pending.set(chunk.subarray(offset), 0)
      this.pendingLength = size - offset
    }
  }

  /**
   * Adds blocks hashed elsewhere (a worker thread that made them): the
   * SHA-256 of each next 16 KiB block of the file, as {@link FileHasher.update}
   * would have hashed them. Every block is whole except perhaps the file's
   * last; nothing may follow a short block.
   *
   * @param hashes - 32 bytes per block, in file order (copied: not kept after the call)
   * @param byteLength - bytes of file those blocks cover
   * @throws TypeError for hashes that do not match `byteLength`; Error when bytes given to
   *   {@link FileHasher.update} are waiting to fill a block, after a short block, with v1 hashes
   *   (SHA-1 needs the bytes), or after {@link FileHasher.digest}
   */
  updateBlockHashes(hashes: Uint8Array, byteLength: number): void {
    assertBytes(hashes, 'hashes')
    if (this.finished) throw new Error('FileHasher.updateBlockHashes after digest')
    if (this.v1State !== undefined) throw new Error('v1 piece hashes need the bytes, not block hashes')
    if (this.pendingLength > 0 || this.total % BLOCK_SIZE !== 0) {
      throw new Error('block hashes must start on a block boundary, after whole blocks')
    }
    if (
      !Number.isSafeInteger(byteLength) ||
      byteLength < 0 ||
      hashes.length !== Math.ceil(byteLength / BLOCK_SIZE) * HASH_SIZE
    ) {
      throw new TypeError(`${hashes.length} bytes of block hashes do not cover ${byteLength} bytes`)
    }
    this.total += byteLength
    for (let at = 0; at < hashes.length; at += HASH_SIZE) {
      this.blockTree.push(hashes.subarray(at, at + HASH_SIZE))
      this.blocksInPiece++
      if (this.blocksInPiece === this.blocksPerPiece) this.endPiece(this.pieceLength)
    }
  }

  /**
   * Finishes the file.
   *
   * @returns the pieces root, piece layer and piece count (and v1 hashes if asked)
   * @throws Error if called twice
   */
  digest(): FileHashes {
    if (this.finished) throw new Error('FileHasher.digest called twice')
    this.finished = true
    const length = this.total
    if (length === 0) return { length, pieceCount: 0 }
    if (this.pendingLength > 0) this.leaf(this.pending.subarray(0, this.pendingLength))
    const fullPieces = this.layer.length / HASH_SIZE
    const pieceCount = Math.ceil(length / this.pieceLength)
    let piecesRoot: Uint8Array
    if (fullPieces === 0) {
      // A file of at most one piece: its tree is padded to a power of two of its own blocks.
      piecesRoot = this.blockTree.root(ceilLog2(this.blocksInPiece))
      this.endV1Piece(length)
    } else {
      if (this.blocksInPiece > 0) this.endPiece(length - fullPieces * this.pieceLength)
      piecesRoot = this.pieceTree.root(this.pieceLevel + ceilLog2(pieceCount))
    }
    const v1 = this.v1Pieces
      ? { pieces: this.v1Pieces.take(), lastPieceUnpadded: this.v1LastUnpadded as Uint8Array }
      : undefined
    return {
      length,
      pieceCount,
      piecesRoot,
      ...(pieceCount > 1 ? { pieceLayer: this.layer.take() } : {}),
      ...(v1 ? { v1 } : {}),
    }
  }

  private block(bytes: Uint8Array): void {
    this.leaf(bytes)
    if (this.blocksInPiece === this.blocksPerPiece) this.endPiece(this.pieceLength)
  }

  private leaf(bytes: Uint8Array): void {
    this.blockTree.push(this.sha256(bytes))
    this.v1State?.update(bytes)
    this.blocksInPiece++
  }

  private endPiece(bytesInPiece: number): void {
    const pieceHash = this.blockTree.root(this.pieceLevel)
    this.layer.push(pieceHash)
    this.pieceTree.push(pieceHash, this.pieceLevel)
    this.blocksInPiece = 0
    this.endV1Piece(bytesInPiece)
  }

  private endV1Piece(bytesInPiece: number): void {
    const state = this.v1State
    if (state === undefined || this.v1Pieces === undefined) return
    if (bytesInPiece < this.pieceLength) {
      this.v1LastUnpadded = state.copy().digest()
      for (let missing = this.pieceLength - bytesInPiece; missing > 0; missing -= ZEROS.length) {
        state.update(missing >= ZEROS.length ? ZEROS : ZEROS.subarray(0, missing))
      }
      this.v1Pieces.push(state.digest())
    } else {
      const digest = state.digest()
      this.v1Pieces.push(digest)
      this.v1LastUnpadded = digest
    }
    this.v1State = this.hash.createSha1()
  }
}
