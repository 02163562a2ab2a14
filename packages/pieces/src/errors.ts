import { MycelError, type MycelErrorOptions } from '@mycel/wire'

/**
 * Stable codes of {@link PiecesError}. They never change meaning once
 * released; `docs/errors.md` describes each.
 */
export type PiecesErrorCode =
  | 'MANIFEST_MALFORMED'
  | 'MANIFEST_UNSUPPORTED'
  | 'MANIFEST_BAD_PIECE_LENGTH'
  | 'MANIFEST_BAD_PATH'
  | 'MANIFEST_DUPLICATE_PATH'
  | 'MANIFEST_BAD_LENGTH'
  | 'MANIFEST_BAD_PIECES_ROOT'
  | 'MANIFEST_BAD_PIECE_LAYER'
  | 'MANIFEST_HYBRID_MISMATCH'
  | 'MANIFEST_TOO_LARGE'
  | 'MANIFEST_EMPTY'
  | 'INFOHASH_MISMATCH'
  | 'TORRENT_V1_ONLY'
  | 'MAGNET_MALFORMED'
  | 'MAGNET_V1_ONLY'
  | 'BITFIELD_MALFORMED'
  | 'PIECE_OUT_OF_RANGE'
  | 'BLOCK_RANGE_INVALID'
  | 'INGEST_LENGTH_MISMATCH'
  | 'INGEST_FILE_CHANGED'
  | 'INGEST_UNSUPPORTED_FILE'
  | 'PRIVATE_KEY_MISMATCH'
  | 'PRIVATE_MANIFEST_INVALID'
  | 'PRIVATE_ENVELOPE_MALFORMED'
  | 'PRIVATE_NOT_A_READER'
  | 'PRIVATE_TOO_MANY_READERS'
  | 'PRIVATE_BAD_READER'
  | 'PRIVATE_LINK_MALFORMED'
  | 'PRIVATE_SHARE_MALFORMED'
  | 'ABORTED'

/**
 * The one error class of `@mycel/pieces`, a {@link MycelError} (`ABORTED` comes
 * from its shared factory). Everything that comes from the
 * network or from a file (manifests, `.torrent` files, magnet links,
 * bitfields, file contents that change while they are hashed) is refused with
 * this class and a stable {@link PiecesError.code}; programming mistakes of
 * the caller (a wrong option type, a negative length) throw `TypeError` or
 * `RangeError` instead.
 *
 * @example
 * ```ts
 * try {
 *   manifest = decodeMetadata(bytes, infohash)
 * } catch (err) {
 *   if (err instanceof PiecesError) dropPeer(err.code)
 *   else throw err
 * }
 * ```
 */
export class PiecesError extends MycelError<PiecesErrorCode> {
  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   * @param options - `cause`: the underlying error, if any (e.g. a `WireError` from bencode)
   */
  constructor(code: PiecesErrorCode, message: string, options?: MycelErrorOptions) {
    super(code, message, options)
    this.name = 'PiecesError'
  }

  /** @internal */
  static malformed(what: string, cause?: unknown): PiecesError {
    return new PiecesError('MANIFEST_MALFORMED', what, { cause })
  }

  /** @internal */
  static tooLarge(what: string, size: number, limit: number): PiecesError {
    return new PiecesError('MANIFEST_TOO_LARGE', `${what} of ${size} is over the limit of ${limit}`)
  }

  /** @internal */
  static badPath(path: string, why: string): PiecesError {
    return new PiecesError('MANIFEST_BAD_PATH', `unsafe path ${JSON.stringify(path)}: ${why}`)
  }
}
