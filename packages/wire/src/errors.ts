import { MycelError, type MycelErrorOptions } from './mycel-error.js'

/**
 * Stable codes of {@link WireError}. They never change meaning once released;
 * `docs/errors.md` describes each.
 */
export type WireErrorCode =
  | 'BENCODE_TRUNCATED'
  | 'BENCODE_TRAILING_BYTES'
  | 'BENCODE_UNEXPECTED_BYTE'
  | 'BENCODE_BAD_INTEGER'
  | 'BENCODE_BAD_STRING_LENGTH'
  | 'BENCODE_BAD_KEY'
  | 'BENCODE_UNSORTED_KEYS'
  | 'BENCODE_DUPLICATE_KEY'
  | 'BENCODE_TOO_DEEP'
  | 'BENCODE_TOO_LARGE'
  | 'BENCODE_UNENCODABLE'
  | 'MESSAGE_MALFORMED'
  | 'MESSAGE_TOO_LARGE'
  | 'MESSAGE_TOO_DEEP'
  | 'MESSAGE_UNKNOWN_TYPE'
  | 'MESSAGE_INVALID_FIELD'
  | 'FRAME_TOO_LARGE'
  | 'FRAME_TRUNCATED'
  | 'TRACKER_MALFORMED'
  | 'TRACKER_INVALID_FIELD'
  | 'TRACKER_TOO_LARGE'
  | 'TRACKER_URL_INVALID'

/**
 * The one error class of `@mycel/wire`: every decoder and encoder of the
 * package throws only this (or a `TypeError` for a programming mistake such
 * as a wrong option type). Like every mycel error it is a {@link MycelError}.
 * Match on {@link WireError.code}, never on the message text.
 *
 * @example
 * ```ts
 * try {
 *   decodeBencode(bytes)
 * } catch (err) {
 *   if (err instanceof WireError && err.code === 'BENCODE_TRUNCATED') retryLater()
 *   else throw err
 * }
 * ```
 */
export class WireError extends MycelError<WireErrorCode> {
  /**
   * @param code - stable reason code
   * @param message - human-readable detail, which may name offsets and limits
   * @param options - `cause`: the lower-level error, if any
   */
  constructor(code: WireErrorCode, message: string, options?: MycelErrorOptions) {
    super(code, message, options)
    this.name = 'WireError'
  }

  /** @internal */
  static truncated(offset: number): WireError {
    return new WireError('BENCODE_TRUNCATED', `bencode input ends early at byte ${offset}`)
  }

  /** @internal */
  static unexpectedByte(byte: number, offset: number): WireError {
    return new WireError(
      'BENCODE_UNEXPECTED_BYTE',
      `unexpected byte 0x${byte.toString(16).padStart(2, '0')} at ${offset}`,
    )
  }

  /** @internal */
  static tooLarge(what: string, size: number, limit: number): WireError {
    return new WireError('BENCODE_TOO_LARGE', `${what} of ${size} is over the limit of ${limit}`)
  }

  /** @internal */
  static invalidField(type: string, field: string, expected: string): WireError {
    return new WireError('MESSAGE_INVALID_FIELD', `${type}.${field} must be ${expected}`)
  }
}
