import { MycelError, type MycelErrorOptions } from '@mycel/wire'

/** Stable codes of {@link NodeError}; `docs/errors.md` describes each. */
export type NodeErrorCode =
  | 'ABORTED'
  | 'CLOSED'
  | 'SHARE_NOT_FOUND'
  | 'SHARE_EXISTS'
  | 'FILE_NOT_FOUND'
  | 'DESTINATION_EXISTS'
  | 'CONTENT_CHANGED'
  | 'RANGE_INVALID'
  | 'PEER_PROTOCOL'
  | 'PEER_VERSION'
  | 'PEER_TIMEOUT'
  | 'PEER_BANNED'
  | 'PEER_SELF'
  | 'PEER_DUPLICATE'
  | 'PEER_LIMIT'
  | 'PROXY_CONFLICT'
  | 'ONION_INVALID'
  | 'ADDRESS_NEEDS_PROXY'
  | 'TRACKER_FAILURE'
  | 'TRACKER_UNREACHABLE'
  | 'TRACKER_TIMEOUT'
  | 'TRACKER_INVALID_RESPONSE'
  | 'TRACKER_UNSUPPORTED'
  | 'TRACKER_ACCOUNT_REFUSED'
  | 'PRIVATE_UNSUPPORTED'
  | 'CHANNEL_LINK_MALFORMED'
  | 'CHANNEL_NOT_FOUND'
  | 'CHANNEL_KEY_INVALID'
  | 'CHANNEL_ENTRY_INVALID'
  | 'CHANNEL_INDEX_INVALID'
  | 'CHANNEL_INDEX_TOO_LARGE'
  | 'CHANNEL_VERSION_INVALID'
  | 'CHANNEL_SIGNATURE_INVALID'
  | 'CHANNEL_UNREADABLE'
  | 'CHANNEL_LIMIT'
  | 'SIGNAL_FAILED'

/** Codes this node puts in a `reject` message (documented in `docs/protocol.md`). */
export type RejectCode = 'NOT_AVAILABLE' | 'BAD_REQUEST' | 'BUSY'

/**
 * The error class of `@mycel/node`, a {@link MycelError} (`ABORTED` and
 * `CLOSED` come from its shared factories). Errors of the packages below (a
 * `PiecesError` for a bad magnet link, a `StoreError` for a full disk, a
 * `TransportError` for a port in use) reach the caller unchanged; this class
 * covers what the node itself decides.
 *
 * @example
 * ```ts
 * try {
 *   await download.done()
 * } catch (err) {
 *   if (err instanceof NodeError && err.code === 'ABORTED') console.log('the download was stopped')
 * }
 * ```
 */
export class NodeError extends MycelError<NodeErrorCode> {
  /** What {@link MycelError.closed} names when given nothing. @internal */
  static readonly closedSubject = 'the node'

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   * @param options - the underlying error, if any
   */
  constructor(code: NodeErrorCode, message: string, options?: MycelErrorOptions) {
    super(code, message, options)
    this.name = 'NodeError'
  }

  /** @internal */
  static protocol(message: string, cause?: unknown): NodeError {
    return new NodeError('PEER_PROTOCOL', message, { cause })
  }
}
