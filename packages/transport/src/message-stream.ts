/**
 * The part of a {@link ByteStream} that is the same over every ordered,
 * reliable, message-oriented channel (a WebSocket, a WebRTC data channel):
 * writes split into messages, incoming messages held while paused or before
 * `start`, the remote's end marker delivered in order, the drain signal, and
 * the bookkeeping of `close()`. What each channel does differently (how a
 * message and the end marker are sent, how the channel is reset or closed)
 * is in its subclass.
 * @internal
 * @module
 */
import { TransportError } from './errors.js'
import { type ByteSink, type ByteStream, FLUSH_CLOSE_MS, type StreamCloseOptions } from './stream.js'

/**
 * Bytes a paused (or not yet started) stream holds before it resets the
 * connection. A data channel and a browser WebSocket cannot stop reading,
 * so what arrives while paused is kept; a remote that goes on sending this
 * much past our pause is not following the protocol's flow (a mycel peer
 * sends what we asked for). A Node `ws` socket stops reading when paused,
 * so it holds at most what one read had already brought in; the bound
 * applies to it too.
 */
export const MAX_HELD_BYTES = 32 * 1024 * 1024

/** How long a graceful close waits for its bytes to leave and the remote to end. */
const GRACEFUL_CLOSE_MS = 5000

/** What every message stream is given. @internal */
export interface MessageStreamOptions<Stream> {
  /** Bytes buffered for sending before `write` returns false. */
  highWaterMark: number
  /** Called once when the stream has closed. */
  onRelease?: (stream: Stream) => void
}

/**
 * A {@link ByteStream} over a channel that carries messages rather than
 * bytes. Writes longer than {@link MessageStream.maxMessageBytes} go as
 * several messages; what arrives while paused or before `start` is held,
 * with `null` standing for the remote's end marker, and delivered in order
 * by `resume`.
 * @internal
 */
export abstract class MessageStream implements ByteStream {
  /** Largest message a write is split into. */
  protected abstract readonly maxMessageBytes: number
  /** The stream's options; `onRelease` is called with the stream once it has closed. */
  protected abstract readonly options: MessageStreamOptions<this>

  private sink: ByteSink | null = null
  private paused = false
  private resolveClosing: (() => void) | null = null
  /** Messages received and not yet delivered, in order; `null` is the remote's end marker. */
  protected held: Array<Uint8Array | null> = []
  /** Bytes in {@link MessageStream.held}. */
  protected heldBytes = 0
  /** `end()` ran, or a graceful close sent our end marker: nothing more may be written. */
  protected localEnded = false
  /** The remote's end marker reached the sink, or arrived (or was held) once `close()` was called. */
  protected remoteEnded = false
  /** `finish` has run: everything is released. */
  protected isClosed = false
  /** The promise every `close()` call returns, once `close()` was called. */
  protected closing: Promise<void> | null = null
  /** Why the stream failed, when it did: what `start` on a closed stream gives `onClose`. */
  protected closeError: Error | undefined
  /** A write returned false and the sink waits for `onDrain`. */
  protected needDrain = false
  /** The timer that bounds a graceful close, or a subclass's own (which `close()` stops). */
  protected timer: ReturnType<typeof setTimeout> | null = null
  /** The channel closed cleanly while messages were held: finish once they are delivered. */
  protected finishAfterHeld = false

  /** @param remoteAddress - address of the remote end in the transport's format, when known */
  constructor(readonly remoteAddress: string | undefined) {}

  get closed(): boolean {
    return this.isClosed || this.closing !== null
  }

  start(sink: ByteSink): void {
    if (this.sink !== null) throw new Error('start() was already called')
    this.sink = sink
    if (this.isClosed) {
      queueMicrotask(() => sink.onClose(this.closeError))
      return
    }
    this.resume()
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.localEnded) throw TransportError.closed('the stream')
    for (let offset = 0; offset < chunk.length; offset += this.maxMessageBytes) {
      this.sendMessage(chunk.subarray(offset, Math.min(chunk.length, offset + this.maxMessageBytes)))
    }
    return !this.needDrain
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    if (chunks.length === 1) return this.write(chunks[0] as Uint8Array)
    const joined = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0))
    let at = 0
    for (const chunk of chunks) {
      joined.set(chunk, at)
      at += chunk.length
    }
    return this.write(joined)
  }

  end(): void {
    if (this.closed || this.localEnded) return
    this.localEnded = true
    this.halfClose()
  }

  pause(): void {
    this.paused = true
    // Closing: what still arrives is dropped, and reading on lets the channel's close come.
    if (this.closing === null) this.pauseReading()
  }

  resume(): void {
    // After `close()` nothing more reaches the sink: what was held is dropped.
    if (this.sink === null || this.closing !== null) return
    this.paused = false
    this.resumeReading()
    while (!this.paused && this.held.length > 0 && !this.isClosed) {
      const chunk = this.held.shift() as Uint8Array | null
      if (chunk !== null) this.heldBytes -= chunk.length
      this.deliver(chunk)
    }
    if (this.finishAfterHeld && this.held.length === 0) this.finish(undefined)
  }

  close(error?: Error, options: StreamCloseOptions = {}): Promise<void> {
    if (this.closing !== null) return this.closing
    this.closing = new Promise((resolve) => {
      this.resolveClosing = resolve
    })
    if (this.isClosed) {
      this.resolveClosing?.()
      return this.closing
    }
    this.stopTimer()
    this.dropHeld()
    if (this.finishAfterHeld) {
      // The channel has closed already: nothing is left to send or to wait for.
      this.finish(undefined)
      return this.closing
    }
    if (error !== undefined && options.flush !== true) {
      this.reset()
      return this.closing
    }
    const bound = error === undefined ? GRACEFUL_CLOSE_MS : (options.flushTimeoutMs ?? FLUSH_CLOSE_MS)
    this.timer = setTimeout(() => {
      this.timer = null
      this.closeTimedOut()
    }, bound)
    this.closeGracefully()
    return this.closing
  }

  /**
   * Sends one message, unless the channel is no longer open; sets
   * {@link MessageStream.needDrain} when the send buffer goes over the
   * high-water mark.
   *
   * @param message - at most {@link MessageStream.maxMessageBytes} bytes
   */
  protected abstract sendMessage(message: Uint8Array): void

  /** Sends the end marker after what was written; called once, by `end()`, with `localEnded` set. */
  protected abstract halfClose(): void

  /** Resets the channel at once: `close()` with an error and no flush. */
  protected abstract reset(): void

  /**
   * Starts a graceful or flushing close (its bound already set): sends the
   * end marker after what is queued, if it was not sent yet. The stream is
   * released once the channel has closed, or by
   * {@link MessageStream.closeTimedOut} at the bound.
   */
  protected abstract closeGracefully(): void

  /** A graceful or flushing close waited as long as it may: releases the stream. */
  protected closeTimedOut(): void {
    this.finish(undefined)
  }

  /** The remote's end marker reached the sink. */
  protected abstract remoteEndDelivered(): void

  /**
   * Removes the stream's listeners and releases the channel; called once,
   * by `finish`.
   *
   * @param clean - the stream closed without an error
   */
  protected abstract release(clean: boolean): void

  /** Stops reading from the channel where it can (the default cannot: what arrives is held). */
  protected pauseReading(): void {}

  /** Restarts reading after {@link MessageStream.pauseReading}. */
  protected resumeReading(): void {}

  /** Whether a message arriving now is held rather than delivered. */
  private get holding(): boolean {
    return this.paused || this.sink === null || this.held.length > 0
  }

  /**
   * Takes a message that arrived: delivers it, or holds it while the sink is
   * paused, not started yet, or behind held messages; fails the stream with
   * `CONNECTION_RESET` when that would hold over {@link MAX_HELD_BYTES}.
   *
   * @param chunk - the message's bytes, or `null` for the remote's end marker
   */
  protected receive(chunk: Uint8Array | null): void {
    if (!this.holding) {
      this.deliver(chunk)
      return
    }
    if (chunk !== null) {
      if (this.heldBytes + chunk.length > MAX_HELD_BYTES) {
        this.fail(
          new TransportError(
            'CONNECTION_RESET',
            `the remote sent over ${MAX_HELD_BYTES} bytes while the stream was paused`,
          ),
        )
        return
      }
      this.heldBytes += chunk.length
    }
    this.held.push(chunk)
  }

  /**
   * The remote broke the protocol or the channel failed: releases the
   * stream, and the sink's `onClose` gets the (first) error.
   *
   * @param error - why, a {@link TransportError}
   */
  protected fail(error: TransportError): void {
    this.closeError ??= error
    this.finish(this.closeError)
  }

  /**
   * The channel has closed: releases the stream, unless it closed cleanly
   * with messages still held for a paused sink (they are delivered first,
   * unless `close()` was called: then nothing more reaches the sink).
   *
   * @param cleanly - the channel closed without an error (the remote may still not have ended)
   * @param error - what the sink's `onClose` gets when the remote had not ended and `close()` was not called
   */
  protected channelClosed(cleanly: boolean, error: () => Error): void {
    if (this.isClosed) return
    const ended = cleanly && (this.remoteEnded || this.held.includes(null))
    if (ended && this.held.length > 0 && this.closing === null) {
      this.finishAfterHeld = true
      return
    }
    this.finish(ended || this.closing !== null ? undefined : error())
  }

  /** The send buffer fell low after a write returned false: tells the sink. */
  protected drained(): void {
    if (!this.needDrain || this.isClosed) return
    this.needDrain = false
    this.sink?.onDrain()
  }

  /**
   * Releases everything and tells the sink; does nothing after the first call.
   *
   * @param error - what the sink's `onClose` gets: undefined for a clean or local close
   */
  protected finish(error: Error | undefined): void {
    if (this.isClosed) return
    this.isClosed = true
    this.stopTimer()
    this.dropHeld()
    this.release(error === undefined && this.closeError === undefined)
    this.options.onRelease?.(this)
    this.resolveClosing?.()
    this.sink?.onClose(error)
  }

  /**
   * Drops what is held (`close()` was called: the sink gets no more data);
   * a held end marker still counts as the remote's end.
   */
  private dropHeld(): void {
    if (this.held.includes(null)) this.remoteEnded = true
    this.held = []
    this.heldBytes = 0
  }

  /** Clears {@link MessageStream.timer}. */
  protected stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  /**
   * Gives the sink one message, or its `onEnd` for the end marker (once:
   * nothing reaches the sink after the remote's end).
   *
   * @param chunk - the message's bytes, or `null` for the remote's end marker
   */
  private deliver(chunk: Uint8Array | null): void {
    const sink = this.sink as ByteSink
    if (chunk !== null) {
      if (!this.remoteEnded) sink.onData(chunk)
      return
    }
    if (this.remoteEnded) return
    this.remoteEnded = true
    sink.onEnd()
    this.remoteEndDelivered()
  }
}
