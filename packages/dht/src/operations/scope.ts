import { type LinkedSignal, linkSignals, throwIfAborted } from '@mycel/wire/signal'
import { DhtError } from '../errors.js'

/**
 * The operations running on a node. Each gets its own signal, linked to the
 * caller's (one listener, removed when the operation ends); `close()` aborts
 * them all with `CLOSED`, and operations started afterwards fail at once.
 * @internal
 */
export class OperationScope {
  private readonly running = new Set<LinkedSignal>()
  private closed = false

  /** Runs one promise-returning operation. */
  async run<T>(signal: AbortSignal | undefined, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const link = this.open(signal)
    try {
      throwIfAborted(link.signal, DhtError)
      return await body(link.signal)
    } finally {
      this.release(link)
    }
  }

  /** Runs one operation that yields; leaving the loop early ends it. */
  async *iterate<T>(
    signal: AbortSignal | undefined,
    body: (signal: AbortSignal) => AsyncGenerator<T, void, undefined>,
  ): AsyncGenerator<T, void, undefined> {
    const link = this.open(signal)
    try {
      throwIfAborted(link.signal, DhtError)
      yield* body(link.signal)
    } finally {
      this.release(link)
    }
  }

  /** Aborts every running operation with `CLOSED`. Idempotent. */
  close(): void {
    this.closed = true
    for (const link of this.running) link.abort(DhtError.closed())
  }

  private open(signal: AbortSignal | undefined): LinkedSignal {
    const link = linkSignals([signal])
    if (this.closed) link.abort(DhtError.closed())
    this.running.add(link)
    return link
  }

  private release(link: LinkedSignal): void {
    link.dispose()
    this.running.delete(link)
  }
}
