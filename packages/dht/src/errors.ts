import { MycelError } from '@mycel/wire'

/**
 * Stable codes of {@link DhtError}. They never change meaning once released;
 * `docs/errors.md` describes each.
 */
export type DhtErrorCode =
  | 'ABORTED'
  | 'CLOSED'
  | 'TIMEOUT'
  | 'REMOTE_ERROR'
  | 'INVALID_RESPONSE'
  | 'PACKET_TOO_LARGE'
  | 'MALFORMED_PACKET'
  | 'VALUE_TOO_LARGE'
  | 'SALT_TOO_LARGE'
  | 'INVALID_SIGNATURE'
  | 'INVALID_ADDRESS'
  | 'INVALID_SNAPSHOT'
  | 'SOCKET_ERROR'

/**
 * The one error class of `@mycel/dht`, a {@link MycelError} (`ABORTED` and
 * `CLOSED` come from its shared factories). Operations reject with it, and bad
 * bytes from the network are turned into it before they are counted and
 * dropped. Programming mistakes of the caller (an option of the wrong type, a
 * key of the wrong length) throw `TypeError` or `RangeError` instead. Match on
 * {@link DhtError.code}, never on the message text.
 *
 * @example
 * ```ts
 * try {
 *   await dht.putMutable({ secretKey, value: 'hello', seq: 1 })
 * } catch (err) {
 *   if (err instanceof DhtError && err.code === 'ABORTED') return
 *   throw err
 * }
 * ```
 */
export class DhtError extends MycelError<DhtErrorCode> {
  /** What {@link MycelError.closed} names when given nothing. @internal */
  static readonly closedSubject = 'the DHT node'

  /**
   * For `REMOTE_ERROR`: the KRPC error code the remote node sent (201-204 of
   * BEP 5, 205-207 and 301-302 of BEP 44, or any other integer it chose).
   */
  readonly remoteCode: number | undefined

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   * @param options - the underlying cause, and the remote KRPC code for `REMOTE_ERROR`
   */
  constructor(code: DhtErrorCode, message: string, options: { cause?: unknown; remoteCode?: number } = {}) {
    super(code, message, options)
    this.name = 'DhtError'
    this.remoteCode = options.remoteCode
  }

  /** @internal */
  static timeout(method: string, to: string): DhtError {
    return new DhtError('TIMEOUT', `${method} query to ${to} timed out`)
  }

  /** @internal */
  static remote(code: number, message: string): DhtError {
    return new DhtError('REMOTE_ERROR', `remote node replied with error ${code}: ${message}`, { remoteCode: code })
  }

  /** @internal */
  static invalidResponse(detail: string): DhtError {
    return new DhtError('INVALID_RESPONSE', `invalid KRPC response: ${detail}`)
  }

  /** @internal */
  static malformed(detail: string, cause?: unknown): DhtError {
    return new DhtError('MALFORMED_PACKET', `malformed KRPC packet: ${detail}`, { cause })
  }
}
