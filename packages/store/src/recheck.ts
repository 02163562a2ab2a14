import { Bitfield, type HashProvider, type Manifest, verifyPiece } from '@mycel/pieces'
import { assertSignal } from '@mycel/wire/assert'
import { throwIfAborted } from '@mycel/wire/signal'
import { StoreError } from './errors.js'
import type { PieceStore } from './piece-store.js'

/** Bytes of pieces read ahead of the hashing, at most (but always two pieces). */
const READ_AHEAD_BYTES = 4 * 1024 * 1024

/** Reads in flight ahead of the hashing, at most. */
const MAX_READS_AHEAD = 8

/** Progress of a {@link recheck}, reported after every piece. */
export interface RecheckProgress {
  /** Pieces looked at so far (verified, failed or absent). */
  readonly piecesChecked: number
  /** Pieces whose bytes verified so far. */
  readonly piecesValid: number
  /** Pieces in the share. */
  readonly pieceCount: number
  /** Bytes read and hashed so far. */
  readonly bytesHashed: number
}

/** Options of {@link recheck}. */
export interface RecheckOptions {
  /** Aborts the recheck: it rejects with `StoreError('ABORTED')`. */
  signal?: AbortSignal
  /** Called after every piece. */
  onProgress?: (progress: RecheckProgress) => void
  /** Hash functions; default the one `@mycel/pieces` picks (node:crypto where present). */
  hash?: HashProvider
}

/**
 * Re-hashes every piece a store holds and returns the bitfield of those
 * whose bytes match the manifest: what a node trusts after a crash, and what
 * a `verify` command reports. Pieces the store certainly lacks
 * ({@link PieceStore.has} false) are skipped without reading, and a piece
 * whose file is missing or short (`DATA_MISSING`) counts as absent. The next
 * piece is read while the current one is hashed.
 *
 * The result replaces what a state store held:
 * `await state.setBitfield(manifest.infohash, await recheck(manifest, pieces))`.
 *
 * @param manifest - the share
 * @param store - where its bytes are
 * @param options - abort signal, progress callback, hash provider
 * @returns a new bitfield of the pieces that verify
 * @throws {@link StoreError} `ABORTED`, and the store's errors other than `DATA_MISSING` (`IO_FAILED`, `PATH_ESCAPE`, ...)
 *
 * @example
 * ```ts
 * const verified = await recheck(manifest, pieces, { onProgress: (p) => console.log(p.piecesChecked, '/', p.pieceCount) })
 * await state.setBitfield(manifest.infohash, verified)
 * ```
 */
export async function recheck(manifest: Manifest, store: PieceStore, options: RecheckOptions = {}): Promise<Bitfield> {
  assertSignal(options.signal)
  const { signal, onProgress } = options
  const verifyOptions = options.hash === undefined ? {} : { hash: options.hash }
  const result = new Bitfield(manifest.pieceCount)
  // reads run ahead of the hashing: enough of them to hide the latency of small pieces, within READ_AHEAD_BYTES
  const depth = Math.max(2, Math.min(MAX_READS_AHEAD, Math.floor(READ_AHEAD_BYTES / manifest.pieceLength)))
  const free: Uint8Array[] = Array.from({ length: depth }, () => new Uint8Array(manifest.pieceLength))
  const queue: { buffer: Uint8Array; bytes: Promise<Uint8Array | undefined> }[] = []
  let nextPiece = 0
  let bytesHashed = 0
  let piecesChecked = 0

  /** Reads a piece into a buffer; resolves to its bytes, or undefined if the store does not hold it. */
  const load = async (piece: number, buffer: Uint8Array): Promise<Uint8Array | undefined> => {
    if (!(await store.has(piece, { signal }))) return undefined
    const { fileIndex, offset, length } = manifest.locatePiece(piece)
    try {
      return await store.readInto(fileIndex, offset, buffer.subarray(0, length), { signal })
    } catch (err) {
      if (err instanceof StoreError && err.code === 'DATA_MISSING') return undefined
      throw err
    }
  }
  const readAhead = () => {
    for (let buffer = free.pop(); buffer !== undefined; buffer = free.pop()) {
      if (nextPiece >= manifest.pieceCount || signal?.aborted) {
        free.push(buffer)
        return
      }
      const bytes = load(nextPiece++, buffer)
      bytes.catch(() => {}) // a failed read ahead is reported when it is reached
      queue.push({ buffer, bytes })
    }
  }

  try {
    readAhead()
    for (let piece = 0; piece < manifest.pieceCount; piece++) {
      throwIfAborted(signal, StoreError)
      const head = queue.shift() as { buffer: Uint8Array; bytes: Promise<Uint8Array | undefined> }
      const bytes = await head.bytes
      if (bytes !== undefined) {
        bytesHashed += bytes.length
        if (verifyPiece(manifest, piece, bytes, verifyOptions)) result.set(piece)
      }
      free.push(head.buffer)
      readAhead()
      piecesChecked++
      onProgress?.({ piecesChecked, piecesValid: result.count(), pieceCount: manifest.pieceCount, bytesHashed })
    }
  } finally {
    // no read of this recheck outlives it
    await Promise.allSettled(queue.map((entry) => entry.bytes))
  }
  return result
}
