import { MycelError, type MycelErrorOptions } from '@mycel/wire'

/**
 * Stable codes of {@link AccountError}, the refusals of the tracker's JSON
 * API; `docs/errors.md` lists them with their HTTP status.
 */
export type AccountErrorCode =
  | 'NAME_INVALID'
  | 'NAME_TAKEN'
  | 'PASSWORD_INVALID'
  | 'CREDENTIALS_WRONG'
  | 'RATE_LIMITED'
  | 'BUSY'
  | 'SESSION_INVALID'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'REQUEST_INVALID'
  | 'BODY_TOO_LARGE'
  | 'UPLOAD_INVALID'
  | 'ALREADY_LISTED'

/** The HTTP status each code is answered with. */
export const HTTP_STATUS: Readonly<Record<AccountErrorCode, number>> = {
  NAME_INVALID: 400,
  NAME_TAKEN: 409,
  PASSWORD_INVALID: 400,
  CREDENTIALS_WRONG: 401,
  RATE_LIMITED: 429,
  BUSY: 503,
  SESSION_INVALID: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  REQUEST_INVALID: 400,
  BODY_TOO_LARGE: 413,
  UPLOAD_INVALID: 422,
  ALREADY_LISTED: 409,
}

/**
 * A request of the JSON API refused: the account, session, upload or
 * receipt was not acceptable. It never carries a password or its hash.
 */
export class AccountError extends MycelError<AccountErrorCode> {
  /**
   * @param code - stable reason code
   * @param message - what happened, safe to show the client
   * @param options - `cause`: the underlying error, if any
   */
  constructor(code: AccountErrorCode, message: string, options?: MycelErrorOptions) {
    super(code, message, options)
    this.name = 'AccountError'
  }

  /** For `RATE_LIMITED`: seconds until the caller may try again (the `Retry-After` header). */
  retryAfterSeconds: number | undefined

  /** The HTTP status of this refusal. */
  get status(): number {
    return HTTP_STATUS[this.code]
  }

  /**
   * A `RATE_LIMITED` refusal.
   *
   * @param what - what was over its budget, for the message
   * @param seconds - until the next attempt is allowed
   * @returns the error
   */
  static rateLimited(what: string, seconds: number): AccountError {
    const error = new AccountError('RATE_LIMITED', `${what}, try again in ${seconds} s`)
    error.retryAfterSeconds = seconds
    return error
  }
}
