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
 * failures. Bad requests from clients are not errors of the tracker: they
 * are answered with a `failure reason` (HTTP) or an error packet (UDP).
 */
export class TrackerError extends Error {
  /** Stable machine-readable reason. */
  readonly code: TrackerErrorCode

  /**
   * @param code - stable reason code
   * @param message - what happened
   * @param options - the underlying error, if any
   */
  constructor(code: TrackerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TrackerError'
    this.code = code
  }
}
