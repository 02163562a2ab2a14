import { type ComponentLogger, silentLogger } from '@mycel/wire/log'
import type { ByteStream } from './stream.js'
import type { Listener } from './transport.js'

/** Accepted streams waiting for an iterator, at most this many by default. */
export const DEFAULT_BACKLOG = 64

/**
 * The part every {@link Listener} shares: hands accepted streams to the
 * `onConnection` callback or to iterators, and closes what nobody takes.
 * @internal
 */
export class AcceptQueue {
  private readonly waiting: ByteStream[] = []
  private readonly takers: Array<(result: IteratorResult<ByteStream>) => void> = []
  private ended = false

  constructor(
    private readonly onConnection: ((stream: ByteStream) => void) | undefined,
    private readonly backlog = DEFAULT_BACKLOG,
    private readonly log: ComponentLogger = silentLogger.forComponent('mycel:transport'),
  ) {}

  /** Hands over one accepted stream. */
  accept(stream: ByteStream): void {
    if (this.ended) {
      void stream.close()
      return
    }
    if (this.onConnection !== undefined) {
      try {
        this.onConnection(stream)
      } catch (err) {
        // The application's callback threw: its bug, which costs that one connection.
        this.log.error(
          `onConnection threw; closed the connection from ${stream.remoteAddress ?? 'an unknown address'}`,
          {
            error: err,
          },
        )
        void stream.close(err instanceof Error ? err : new Error(String(err)))
      }
      return
    }
    const taker = this.takers.shift()
    if (taker !== undefined) taker({ value: stream, done: false })
    else if (this.waiting.length < this.backlog) this.waiting.push(stream)
    else {
      if (this.log.enabled('debug'))
        this.log.debug(
          `closed the connection from ${stream.remoteAddress ?? 'an unknown address'}: ${this.backlog} accepted connections wait for the listener already (backlog)`,
        )
      void stream.close()
    }
  }

  /** Ends iteration and closes the streams nobody took. */
  async end(): Promise<void> {
    if (this.ended) return
    this.ended = true
    for (const taker of this.takers.splice(0)) taker({ value: undefined, done: true })
    await Promise.all(this.waiting.splice(0).map((stream) => stream.close()))
  }

  /** The iterator a {@link Listener} returns. */
  iterator(): AsyncIterator<ByteStream> {
    return {
      next: () => {
        const stream = this.waiting.shift()
        if (stream !== undefined) return Promise.resolve({ value: stream, done: false })
        if (this.ended) return Promise.resolve({ value: undefined, done: true })
        return new Promise((resolve) => this.takers.push(resolve))
      },
      return: async () => ({ value: undefined, done: true }),
    }
  }
}
