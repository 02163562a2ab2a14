import { equalBytes } from '@mycel/wire'
import { assertBytes } from '@mycel/wire/assert'
import { PiecesError } from './errors.js'
import { fastSha256, type HashProvider, isBatchHashProvider, resolveHashProvider } from './hash/provider.js'
import { BLOCK_SIZE, HASH_SIZE } from './limits.js'
import type { Manifest, ManifestFile } from './manifest/model.js'
import { hashPair, MerkleAccumulator, padHash } from './merkle/tree.js'
import { log2 } from './power-of-two.js'

/** Options of the verification functions. */
export interface VerifyOptions {
  /** Hash functions; default {@link getDefaultHashProvider}. */
  hash?: HashProvider
}

/** What verifying a piece needs to know about it. @internal */
export interface PieceGeometry {
  /** Bytes in the piece. */
  size: number
  /** The hash the piece's tree must have. */
  expected: Uint8Array
  /** Height of the piece's tree: its leaves are `2^level` blocks. */
  level: number
}

/** Size, expected hash and tree height of a piece. @internal */
export function pieceGeometry(manifest: Manifest, piece: number): PieceGeometry {
  const file = manifest.files[manifest.fileOfPiece(piece)] as ManifestFile
  const offset = (piece - file.firstPiece) * manifest.pieceLength
  const size = Math.min(manifest.pieceLength, file.length - offset)
  if (file.pieceLayer !== undefined) {
    const at = (piece - file.firstPiece) * HASH_SIZE
    return {
      size,
      expected: file.pieceLayer.subarray(at, at + HASH_SIZE),
      level: log2(manifest.pieceLength / BLOCK_SIZE),
    }
  }
  let level = 0
  while (2 ** level * BLOCK_SIZE < file.length) level++
  return { size, expected: file.piecesRoot as Uint8Array, level }
}

const accumulators = new WeakMap<HashProvider, MerkleAccumulator>()

/** A reusable accumulator per provider (all users are synchronous). */
function accumulatorFor(hash: HashProvider): MerkleAccumulator {
  let accumulator = accumulators.get(hash)
  if (accumulator === undefined) {
    accumulator = new MerkleAccumulator(hash)
    accumulators.set(hash, accumulator)
  }
  accumulator.reset()
  return accumulator
}

/** Root of the tree of `bytes` cut into blocks, padded with zero leaves to `2^level` leaves. */
function subtreeRoot(bytes: Uint8Array, level: number, hash: HashProvider): Uint8Array {
  const tree = accumulatorFor(hash)
  const sha256 = fastSha256(hash)
  for (let at = 0; at < bytes.length; at += BLOCK_SIZE) {
    tree.push(sha256(bytes.subarray(at, Math.min(at + BLOCK_SIZE, bytes.length))))
  }
  return tree.root(level)
}

/**
 * The hash of a piece's bytes as BEP 52 defines it: the root of the piece's
 * subtree (blocks padded with zero leaves to the blocks per piece), or, for a
 * file not longer than one piece, the root of the file's own tree.
 *
 * @param manifest - the share
 * @param piece - global piece index
 * @param bytes - the whole piece
 * @param options - hash provider
 * @returns 32 bytes, to compare with {@link Manifest.expectedPieceHash}
 * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE`; RangeError if `bytes` is not the piece's size
 *
 * @example
 * ```ts
 * const hash = pieceHash(manifest, 0, bytes)
 * ```
 */
export function pieceHash(
  manifest: Manifest,
  piece: number,
  bytes: Uint8Array,
  options: VerifyOptions = {},
): Uint8Array {
  assertBytes(bytes, 'bytes')
  const geometry = pieceGeometry(manifest, piece)
  if (bytes.length !== geometry.size) {
    throw new RangeError(`piece ${piece} has ${geometry.size} bytes, got ${bytes.length}`)
  }
  return subtreeRoot(bytes, geometry.level, resolveHashProvider(options.hash))
}

/**
 * Checks a whole piece against the manifest: against its piece-layer hash,
 * or against the file's `pieces root` for a file of at most one piece.
 *
 * @param manifest - the share
 * @param piece - global piece index
 * @param bytes - the bytes received for the piece
 * @param options - hash provider
 * @returns true if the bytes are the piece; false otherwise (wrong size included)
 * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE` if the manifest has no such piece
 *
 * @example
 * ```ts
 * if (!verifyPiece(manifest, index, bytes)) penalise(peer)
 * ```
 */
export function verifyPiece(
  manifest: Manifest,
  piece: number,
  bytes: Uint8Array,
  options: VerifyOptions = {},
): boolean {
  assertBytes(bytes, 'bytes')
  const geometry = pieceGeometry(manifest, piece)
  if (bytes.length !== geometry.size) return false
  return equalBytes(subtreeRoot(bytes, geometry.level, resolveHashProvider(options.hash)), geometry.expected)
}

/**
 * {@link verifyPiece}, with the blocks of the piece hashed by the provider's
 * asynchronous `sha256Each` where it has one (WebCrypto in a browser: the
 * platform's SHA-256, off the page's JavaScript), else synchronously as
 * `verifyPiece` does. Same answer as `verifyPiece` for the same bytes.
 *
 * @param manifest - the share
 * @param piece - global piece index
 * @param bytes - the bytes received for the piece; they must not change until the promise settles
 * @param options - hash provider
 * @returns true if the bytes are the piece; false otherwise (wrong size included)
 * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE` if the manifest has no such piece
 *
 * @example
 * ```ts
 * if (!(await verifyPieceAsync(manifest, index, bytes))) penalise(peer)
 * ```
 */
export async function verifyPieceAsync(
  manifest: Manifest,
  piece: number,
  bytes: Uint8Array,
  options: VerifyOptions = {},
): Promise<boolean> {
  assertBytes(bytes, 'bytes')
  const hash = resolveHashProvider(options.hash)
  const geometry = pieceGeometry(manifest, piece)
  if (bytes.length !== geometry.size) return false
  if (!isBatchHashProvider(hash)) return equalBytes(subtreeRoot(bytes, geometry.level, hash), geometry.expected)
  const blocks: Uint8Array[] = []
  for (let at = 0; at < bytes.length; at += BLOCK_SIZE) {
    blocks.push(bytes.subarray(at, Math.min(at + BLOCK_SIZE, bytes.length)))
  }
  const leaves = await hash.sha256Each(blocks)
  // The tree above the leaves (64-byte inputs) in one synchronous run: the accumulator is shared.
  const tree = accumulatorFor(hash)
  for (const leaf of leaves) tree.push(leaf)
  return equalBytes(tree.root(geometry.level), geometry.expected)
}

/** Where a proof range sits in its piece's tree. */
interface ProofRange {
  /** Level of the range's subtree root. */
  level: number
  /** Index of that root among the nodes of its level. */
  index: number
}

/**
 * Places a range of a piece in the piece's tree, or returns undefined if it
 * is not one subtree: `offset` a multiple of 16 KiB, the range `2^k` blocks
 * long and aligned to its own size, cut short only by the end of the piece.
 */
function proofRange(geometry: PieceGeometry, offset: number, length: number): ProofRange | undefined {
  if (length < 1 || offset + length > geometry.size) return undefined
  const firstBlock = offset / BLOCK_SIZE
  let level = 0
  while (2 ** level * BLOCK_SIZE < length) level++
  const span = 2 ** level
  if (level > geometry.level || firstBlock % span !== 0) return undefined
  if (length !== Math.min(span * BLOCK_SIZE, geometry.size - offset)) return undefined
  return { level, index: firstBlock / span }
}

/**
 * Whether a range of a piece can be proven on its own: `offset` a multiple
 * of 16 KiB, and `2^k` blocks aligned to their size, cut short only by the
 * end of the piece. A node checks a `request` with `proof: true` with this
 * before reading anything, and rejects it when false.
 *
 * @param manifest - the share
 * @param piece - global piece index
 * @param offset - byte offset in the piece
 * @param length - bytes in the range
 * @returns whether {@link PieceTree.proof} accepts the range
 * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE` if the manifest has no such piece
 *
 * @example
 * ```ts
 * if (request.proof && !isProofRange(manifest, request.piece, request.offset, request.length)) reject(request.id, 'BAD_RANGE')
 * ```
 */
export function isProofRange(manifest: Manifest, piece: number, offset: number, length: number): boolean {
  const geometry = pieceGeometry(manifest, piece)
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % BLOCK_SIZE !== 0 || offset >= geometry.size) return false
  return Number.isSafeInteger(length) && proofRange(geometry, offset, length) !== undefined
}

/** Refuses an offset that is not a block boundary inside the piece. */
function assertOffset(geometry: PieceGeometry, piece: number, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % BLOCK_SIZE !== 0 || offset >= geometry.size) {
    throw new PiecesError('BLOCK_RANGE_INVALID', `offset ${String(offset)} is not a block boundary of piece ${piece}`)
  }
}

/**
 * Checks blocks of a piece before the whole piece has arrived, with the
 * Merkle proof a peer sent along (`data.proof`): the blocks must be one
 * aligned subtree of the piece's tree (`2^k` blocks starting at a multiple of
 * `2^k` blocks, shorter only at the end of the piece), and the proof the
 * sibling hashes from that subtree up to the piece's hash, lowest first.
 *
 * @param manifest - the share
 * @param piece - global piece index
 * @param offset - byte offset of the blocks in the piece (a multiple of 16 KiB)
 * @param bytes - the blocks
 * @param proof - concatenated 32-byte sibling hashes
 * @param options - hash provider
 * @returns true if the blocks are proven part of the piece, false otherwise
 * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE`, or `BLOCK_RANGE_INVALID`
 *   if `offset` is not a block boundary inside the piece
 *
 * @example
 * ```ts
 * if (verifyBlocks(manifest, request.piece, request.offset, data.bytes, data.proof)) store.write(...)
 * ```
 */
export function verifyBlocks(
  manifest: Manifest,
  piece: number,
  offset: number,
  bytes: Uint8Array,
  proof: Uint8Array,
  options: VerifyOptions = {},
): boolean {
  assertBytes(bytes, 'bytes')
  assertBytes(proof, 'proof')
  const geometry = pieceGeometry(manifest, piece)
  assertOffset(geometry, piece, offset)
  const range = proofRange(geometry, offset, bytes.length)
  if (range === undefined || proof.length !== (geometry.level - range.level) * HASH_SIZE) return false
  const hash = resolveHashProvider(options.hash)
  const sha256 = fastSha256(hash)
  let node = subtreeRoot(bytes, range.level, hash)
  let index = range.index
  const scratch = new Uint8Array(2 * HASH_SIZE)
  for (let at = 0; at < proof.length; at += HASH_SIZE) {
    const sibling = proof.subarray(at, at + HASH_SIZE)
    node = index % 2 === 0 ? hashPair(node, sibling, scratch, sha256) : hashPair(sibling, node, scratch, sha256)
    index = Math.floor(index / 2)
  }
  return equalBytes(node, geometry.expected)
}

/**
 * The full Merkle tree of one piece, for a seeder that answers many block
 * requests of the same piece with proofs: build it once from the piece's
 * bytes (hashing them once), then cut proofs from it. It holds 64 bytes per
 * block of the piece (64 KiB for a 16 MiB piece).
 *
 * @example
 * ```ts
 * const tree = new PieceTree(manifest, piece, await store.read(piece))
 * if (!tree.valid) throw new Error('the data on disk changed')
 * send({ type: 'data', id, bytes, proof: tree.proof(offset, length) })
 * ```
 */
export class PieceTree {
  /** The piece's hash computed from the bytes. */
  readonly root: Uint8Array
  /** Whether {@link PieceTree.root} equals the hash the manifest expects. */
  readonly valid: boolean
  private readonly geometry: PieceGeometry
  /** Nodes by level, level 0 the leaves; each level padded to its full width. */
  private readonly levels: Uint8Array[]

  /**
   * @param manifest - the share
   * @param piece - global piece index
   * @param bytes - the whole piece
   * @param options - hash provider
   * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE`; RangeError if `bytes` is not the piece's size
   */
  constructor(
    manifest: Manifest,
    readonly piece: number,
    bytes: Uint8Array,
    options: VerifyOptions = {},
  ) {
    assertBytes(bytes, 'bytes')
    const hash = resolveHashProvider(options.hash)
    const sha256 = fastSha256(hash)
    this.geometry = pieceGeometry(manifest, piece)
    if (bytes.length !== this.geometry.size) {
      throw new RangeError(`piece ${piece} has ${this.geometry.size} bytes, got ${bytes.length}`)
    }
    const blocks = Math.ceil(bytes.length / BLOCK_SIZE)
    const width = 2 ** this.geometry.level
    const leaves = new Uint8Array(width * HASH_SIZE)
    for (let i = 0; i < blocks; i++) {
      leaves.set(sha256(bytes.subarray(i * BLOCK_SIZE, Math.min((i + 1) * BLOCK_SIZE, bytes.length))), i * HASH_SIZE)
    }
    this.levels = [leaves]
    const scratch = new Uint8Array(2 * HASH_SIZE)
    for (let level = 1, used = blocks; level <= this.geometry.level; level++) {
      const below = this.levels[level - 1] as Uint8Array
      const nodes = new Uint8Array((width >> level) * HASH_SIZE)
      used = Math.ceil(used / 2)
      for (let i = 0; i < nodes.length / HASH_SIZE; i++) {
        const node =
          i < used
            ? hashPair(
                below.subarray(2 * i * HASH_SIZE, (2 * i + 1) * HASH_SIZE),
                below.subarray((2 * i + 1) * HASH_SIZE, (2 * i + 2) * HASH_SIZE),
                scratch,
                sha256,
              )
            : padHash(level, hash)
        nodes.set(node, i * HASH_SIZE)
      }
      this.levels.push(nodes)
    }
    this.root = (this.levels[this.geometry.level] as Uint8Array).slice(0, HASH_SIZE)
    this.valid = equalBytes(this.root, this.geometry.expected)
  }

  /**
   * The proof for a range of the piece, as {@link verifyBlocks} checks it.
   *
   * @param offset - byte offset in the piece, a multiple of 16 KiB
   * @param length - bytes in the range: `2^k` blocks aligned to their size, or up to the end of the piece
   * @returns concatenated 32-byte sibling hashes, lowest first (empty if the range is the whole piece)
   * @throws {@link PiecesError} `BLOCK_RANGE_INVALID` if the range is not one aligned subtree
   */
  proof(offset: number, length: number): Uint8Array {
    assertOffset(this.geometry, this.piece, offset)
    const range = Number.isSafeInteger(length) ? proofRange(this.geometry, offset, length) : undefined
    if (range === undefined) {
      throw new PiecesError(
        'BLOCK_RANGE_INVALID',
        `${String(length)} bytes at ${offset} of piece ${this.piece} is not an aligned run of 2^k blocks`,
      )
    }
    const out = new Uint8Array((this.geometry.level - range.level) * HASH_SIZE)
    let index = range.index
    for (let level = range.level, at = 0; level < this.geometry.level; level++, at += HASH_SIZE) {
      const sibling = index ^ 1
      out.set((this.levels[level] as Uint8Array).subarray(sibling * HASH_SIZE, (sibling + 1) * HASH_SIZE), at)
      index >>= 1
    }
    return out
  }
}

/**
 * The Merkle proof for blocks of a piece, from the whole piece's bytes. For
 * many requests of the same piece, build a {@link PieceTree} once instead.
 *
 * @param manifest - the share
 * @param piece - global piece index
 * @param pieceBytes - the whole piece
 * @param offset - byte offset of the blocks in the piece (a multiple of 16 KiB)
 * @param length - bytes in the range (see {@link PieceTree.proof})
 * @param options - hash provider
 * @returns concatenated 32-byte sibling hashes, lowest first
 * @throws {@link PiecesError} `PIECE_OUT_OF_RANGE` or `BLOCK_RANGE_INVALID`; RangeError if `pieceBytes` is not the piece's size
 *
 * @example
 * ```ts
 * const proof = createBlockProof(manifest, 3, pieceBytes, 32768, 16384)
 * verifyBlocks(manifest, 3, 32768, pieceBytes.subarray(32768, 49152), proof) // true
 * ```
 */
export function createBlockProof(
  manifest: Manifest,
  piece: number,
  pieceBytes: Uint8Array,
  offset: number,
  length: number,
  options: VerifyOptions = {},
): Uint8Array {
  return new PieceTree(manifest, piece, pieceBytes, options).proof(offset, length)
}
