import { MycelError, type MycelErrorOptions } from '@mycel/wire'

/**
 * Stable codes of {@link TrackerError}; `docs/tracker.md` describes each.
 */
export type TrackerErrorCode =
  | 'CONFIG_INVALID'
  | 'LISTEN_FAILED'
  | 'DATABASE_URL_INVALID'
  | 'DATABASE_FAILED'
  | 'DATABASE_FOREIGN'
  | 'SCHEMA_TOO_NEW'
  | 'TORRENT_INVALID'
  | 'CLOSED'

/**
 * The error class of the tracker app: configuration, storage and listening
 * failures. Like every mycel error it is a {@link MycelError}. Bad requests
 * from clients are not errors of the tracker: they are answered with a
 * `failure reason` (HTTP) or an error packet (UDP).
 */
export class TrackerError extends MycelError<TrackerErrorCode> {
  /** What {@link MycelError.closed} names by default. */
  static readonly closedSubject = 'the tracker storage'

  /**
   * @param code - stable reason code
   * @param message - what happened
   * @param options - `cause`: the underlying error, if any
   */
  constructor(code: TrackerErrorCode, message: string, options?: MycelErrorOptions) {
    super(code, message, options)
    this.name = 'TrackerError'
  }
}
