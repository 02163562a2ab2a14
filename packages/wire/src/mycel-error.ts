/** Options of every mycel error: the lower-level error or abort reason, if any. */
export interface MycelErrorOptions {
  /** The underlying error or abort reason; absent when there is none. */
  readonly cause?: unknown
}

/**
 * A subclass of {@link MycelError} whose code union holds `Code`: what the
 * shared factories ({@link MycelError.aborted}, {@link MycelError.closed})
 * and the signal helpers of `@mycel/wire/signal` construct.
 */
export type MycelErrorClass<Code extends string, E> = new (
  code: Code,
  message: string,
  options?: MycelErrorOptions,
) => E

/** Message of every `ABORTED` error. */
const ABORTED_MESSAGE = 'the operation was aborted'

/**
 * An `ABORTED` error of `errorClass` carrying `reason` as its cause.
 * @internal
 */
export function abortedError<E>(errorClass: MycelErrorClass<'ABORTED', E>, reason: unknown): E {
  return new errorClass('ABORTED', ABORTED_MESSAGE, { cause: reason })
}

/**
 * The base of every error class of mycel (`WireError`, `PiecesError`,
 * `TransportError`, `DhtError`, `StoreError`, `NodeError`). Each package
 * keeps its own class, `name` and union of codes; this base gives them one
 * shape (a stable string {@link MycelError.code}, the standard `cause`) and
 * the factories of the codes several packages share, `ABORTED` and `CLOSED`.
 * Catch one package's failures with its class, or any mycel failure with
 * this one; match on `code`, never on the message text.
 *
 * @typeParam Code - the union of stable codes of the subclass
 *
 * @example
 * ```ts
 * try {
 *   await node.download(link).done()
 * } catch (err) {
 *   if (err instanceof MycelError && err.code === 'ABORTED') return
 *   throw err
 * }
 * ```
 */
export class MycelError<Code extends string = string> extends Error {
  /** Stable machine-readable reason; each subclass documents its codes in `docs/errors.md`. */
  readonly code: Code

  /**
   * @param code - stable reason code
   * @param message - human-readable detail
   * @param options - `cause`: the lower-level error or abort reason, if any (a cause of
   *   `undefined` means none, and sets no `cause` property)
   */
  constructor(code: Code, message: string, options?: MycelErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'MycelError'
    this.code = code
  }

  /**
   * An `ABORTED` error of the class it is called on (`DhtError.aborted(reason)`
   * is a `DhtError`). Only classes whose codes include `ABORTED` have it, which
   * the compiler checks.
   *
   * @param reason - the abort reason (`signal.reason`), kept as `cause`
   * @returns the error
   *
   * @example
   * ```ts
   * if (signal.aborted) throw TransportError.aborted(signal.reason)
   * ```
   */
  static aborted<E>(this: MycelErrorClass<'ABORTED', E>, reason?: unknown): E {
    // biome-ignore lint/complexity/noThisInStatic: the subclass it is called on, so DhtError.aborted() is a DhtError
    return abortedError(this, reason)
  }

  /**
   * A `CLOSED` error of the class it is called on: an operation on something
   * already closed. Only classes whose codes include `CLOSED` have it.
   *
   * @param what - what is closed, with its article (`'the connection'`); default the
   *   class's `closedSubject`, else `'the object'`
   * @returns the error, whose message is `<what> is closed`
   *
   * @example
   * ```ts
   * if (this.closing !== undefined) throw StoreError.closed('the piece store')
   * ```
   */
  static closed<E>(this: MycelErrorClass<'CLOSED', E> & { readonly closedSubject?: string }, what?: string): E {
    // biome-ignore lint/complexity/noThisInStatic: the subclass it is called on, and its default subject
    return new this('CLOSED', `${what ?? this.closedSubject ?? 'the object'} is closed`)
  }
}
