/** A JSON-RPC error of the daemon: `code` is its stable code (`UNAUTHORIZED`, `SHARE_NOT_FOUND`, ...). */
export class DaemonError extends Error {
  override readonly name = 'DaemonError'

  /**
   * @param code - the stable code of `error.data.code` (or `RPC_<n>` without one)
   * @param message - what went wrong
   * @param hint - what to do, when the daemon says
   */
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message)
  }
}
