import { MycelError, type MycelErrorOptions } from '@mycel/wire'

/**
 * Stable codes of {@link TransportError}. They never change meaning once
 * released; `docs/errors.md` describes each.
 */
export type TransportErrorCode =
  | 'ADDRESS_INVALID'
  | 'ADDRESS_UNSUPPORTED'
  | 'ABORTED'
  | 'CLOSED'
  | 'DIAL_FAILED'
  | 'LISTEN_FAILED'
  | 'LISTEN_UNSUPPORTED'
  | 'CONNECTION_RESET'
  | 'CONNECTION_CLOSED'
  | 'HANDSHAKE_TIMEOUT'
  | 'HANDSHAKE_FAILED'
  | 'PAYLOAD_MALFORMED'
  | 'SIGNATURE_INVALID'
  | 'VERSION_MISMATCH'
  | 'PEER_ID_MISMATCH'
  | 'DECRYPT_FAILED'
  | 'FRAME_TOO_LARGE'
  | 'FRAME_TRUNCATED'
  | 'MESSAGE_TOO_LARGE'
  | 'NONCE_EXHAUSTED'
  | 'PEER_ID_INVALID'
  | 'IDENTITY_FILE_INVALID'
  | 'IDENTITY_FILE_INSECURE'
  | 'PROXY_URL_INVALID'
  | 'PROXY_UNREACHABLE'
  | 'PROXY_TIMEOUT'
  | 'PROXY_PROTOCOL'
  | 'PROXY_AUTH_FAILED'
  | 'WEBRTC_UNAVAILABLE'

/**
 * The one error class of `@mycel/transport`, a {@link MycelError} (`ABORTED`
 * and `CLOSED` come from its shared factories). Every failure that comes from
 * the network, a remote peer, a file or an abort is a `TransportError`;
 * programming mistakes of the caller (a wrong option type) are `TypeError` or
 * `RangeError`. Match on {@link TransportError.code}, never on the message.
 *
 * @example
 * ```ts
 * try {
 *   await secure(stream, identity, { initiator: true, remotePeerId })
 * } catch (err) {
 *   if (err instanceof TransportError && err.code === 'PEER_ID_MISMATCH') forget(remotePeerId)
 *   else throw err
 * }
 * ```
 */
export class TransportError extends MycelError<TransportErrorCode> {
  /**
   * The reply code of a SOCKS5 proxy that could not connect to the target
   * (`DIAL_FAILED` through a proxy only): RFC 1928's `0x01`-`0x08`, or Tor's
   * extended codes `0xf0`-`0xf7` (`0xf6`: the onion address is not valid).
   */
  readonly proxyReply: number | undefined

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   * @param options - `cause`: the lower-level error, if any; `proxyReply`: see {@link TransportError.proxyReply}
   */
  constructor(code: TransportErrorCode, message: string, options?: MycelErrorOptions & { proxyReply?: number }) {
    super(code, message, options)
    this.name = 'TransportError'
    this.proxyReply = options?.proxyReply
  }

  /** @internal */
  static invalidAddress(address: string, why: string): TransportError {
    return new TransportError('ADDRESS_INVALID', `invalid address ${JSON.stringify(address)}: ${why}`)
  }

  /** @internal */
  static reset(cause?: unknown): TransportError {
    const detail = cause instanceof Error ? `: ${cause.message}` : ''
    return new TransportError('CONNECTION_RESET', `the connection was reset${detail}`, { cause })
  }
}

/**
 * Returns `err` if it is a {@link TransportError}, else wraps it with `code`.
 * @internal
 */
export function asTransportError(err: unknown, code: TransportErrorCode, message: string): TransportError {
  if (err instanceof TransportError) return err
  return new TransportError(code, message, { cause: err })
}
