import { TransportError } from '../errors.js'

/** How a consumer of {@link Inbound} receives messages. @internal */
type Waiter = {
  resolve: (result: IteratorResult<Uint8Array>) => void
  reject: (error: Error) => void
}

/**
 * The receive side of a secure connection: a queue between decryption and
 * the consumer (a callback or one async iterator), which asks the byte
 * stream to pause while it holds more than its high-water mark.
 * @internal
 */
export class Inbound {
  private queue: Uint8Array[] = []
  private head = 0
  private queuedBytes = 0
  private handler: ((message: Uint8Array) => void) | null = null
  private waiter: Waiter | null = null
  private iterating = false
  private userPaused = false
  private flowPaused = false
  private ended = false
  private endError: Error | undefined

  constructor(
    private readonly highWaterMark: number,
    /** Messages may be reused after delivery: copy those that wait. */
    private readonly transient: boolean,
    private readonly setFlow: (paused: boolean) => void,
    private readonly onHandlerError: (error: Error) => void,
  ) {}

  /** A decrypted message arrived. */
  push(message: Uint8Array): void {
    if (this.ended) return
    const waiter = this.waiter
    if (waiter !== null) {
      this.waiter = null
      waiter.resolve({ value: this.transient ? message.slice() : message, done: false })
      return
    }
    if (this.handler !== null && !this.userPaused && this.head === this.queue.length) {
      this.call(this.handler, message)
      return
    }
    this.queue.push(this.transient ? message.slice() : message)
    this.queuedBytes += message.length
    this.updateFlow()
  }

  /** No more messages: clean end without `error`, failure with it. */
  end(error?: Error): void {
    if (this.ended) return
    this.ended = true
    this.endError = error
    const waiter = this.waiter
    this.waiter = null
    if (waiter === null) return
    if (this.head < this.queue.length) return
    if (error === undefined) waiter.resolve({ value: undefined, done: true })
    else waiter.reject(error)
  }

  /** Installs the callback consumer. */
  setHandler(handler: ((message: Uint8Array) => void) | null): void {
    if (this.iterating) throw new Error('messages are already consumed by an iterator')
    this.handler = handler
    this.drainToHandler()
  }

  pause(): void {
    this.userPaused = true
    this.updateFlow()
  }

  resume(): void {
    this.userPaused = false
    this.drainToHandler()
    this.updateFlow()
  }

  /** The single async iterator over messages. */
  iterate(signal: AbortSignal | undefined): AsyncIterableIterator<Uint8Array> {
    if (this.handler !== null || this.iterating) throw new Error('messages already have a consumer')
    this.iterating = true
    const stop = (): void => {
      const waiter = this.waiter
      this.waiter = null
      waiter?.reject(TransportError.aborted(signal?.reason))
    }
    signal?.addEventListener('abort', stop, { once: true })
    const finish = (): void => {
      signal?.removeEventListener('abort', stop)
      this.iterating = false
    }
    const iterator: AsyncIterableIterator<Uint8Array> = {
      next: () => {
        if (signal?.aborted) {
          finish()
          return Promise.reject(TransportError.aborted(signal.reason))
        }
        const message = this.shift()
        if (message !== undefined) return Promise.resolve({ value: message, done: false })
        if (this.ended) {
          finish()
          return this.endError === undefined
            ? Promise.resolve({ value: undefined, done: true })
            : Promise.reject(this.endError)
        }
        return new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
          this.waiter = {
            resolve,
            reject: (error) => {
              finish()
              reject(error)
            },
          }
        })
      },
      return: () => {
        finish()
        return Promise.resolve({ value: undefined, done: true })
      },
      [Symbol.asyncIterator]: () => iterator,
    }
    return iterator
  }

  private shift(): Uint8Array | undefined {
    if (this.head === this.queue.length) return undefined
    const message = this.queue[this.head] as Uint8Array
    this.queue[this.head] = EMPTY
    this.head++
    this.queuedBytes -= message.length
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    }
    this.updateFlow()
    return message
  }

  private drainToHandler(): void {
    while (this.handler !== null && !this.userPaused) {
      const message = this.shift()
      if (message === undefined) break
      this.call(this.handler, message)
    }
  }

  private call(handler: (message: Uint8Array) => void, message: Uint8Array): void {
    try {
      handler(message)
    } catch (err) {
      this.onHandlerError(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private updateFlow(): void {
    const paused = this.userPaused || this.queuedBytes > this.highWaterMark
    if (paused !== this.flowPaused) {
      this.flowPaused = paused
      this.setFlow(paused)
    }
  }
}

const EMPTY = new Uint8Array(0)
