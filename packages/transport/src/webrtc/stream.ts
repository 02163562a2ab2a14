import { TransportError } from '../errors.js'
import { type ByteSink, type ByteStream, FLUSH_CLOSE_MS, type StreamCloseOptions } from '../stream.js'
import type { RtcDataChannelLike, RtcPeerConnectionLike } from './types.js'

/** Largest data-channel message a stream sends (longer writes are split): what every WebRTC stack takes. */
export const MAX_DATA_CHANNEL_MESSAGE_BYTES = 64 * 1024

/**
 * Bytes a paused stream holds before it resets the connection. A data
 * channel cannot stop reading, so what arrives while paused is kept; a
 * remote that goes on sending this much past our pause is not following
 * the protocol's flow (a mycel peer sends what we asked for).
 */
export const MAX_HELD_BYTES = 32 * 1024 * 1024

/** The text message that marks the sender's half-close (data travels as binary messages). */
export const END_MARKER = 'end'

/**
 * The text message that acknowledges the remote's end marker: everything it
 * sent has arrived. A side releases the connection once its own end is
 * acknowledged and the remote's end has arrived, so closing the peer
 * connection never cuts off bytes still in flight.
 */
export const END_ACK = 'ack'

/** How long a graceful close waits for its bytes to leave and the remote to end. */
const GRACEFUL_CLOSE_MS = 5000

/** Options of {@link DataChannelStream}. @internal */
export interface DataChannelStreamOptions {
  /** Bytes buffered for sending before `write` returns false. */
  highWaterMark: number
  /** Called once when the stream has closed. */
  onRelease?: (stream: DataChannelStream) => void
}

/**
 * A {@link ByteStream} over an open, ordered and reliable `RTCDataChannel`.
 * Each chunk travels as binary messages of at most 64 KiB; the text message
 * `end` marks the sender's half-close (data channels have none of their
 * own); any other text message is a protocol violation and resets the
 * stream. Sending respects `bufferedAmount`, with `bufferedamountlow` as the
 * drain signal. The stream owns its peer connection and closes it.
 * @internal
 */
export class DataChannelStream implements ByteStream {
  private sink: ByteSink | null = null
  private held: Array<Uint8Array | null> = []
  private heldBytes = 0
  private paused = false
  private localEnded = false
  private remoteEnded = false
  /** The remote acknowledged our end marker. */
  private endAcked = false
  private isClosed = false
  private closing: Promise<void> | null = null
  private resolveClosing: (() => void) | null = null
  private closeError: Error | undefined
  private needDrain = false
  private timer: ReturnType<typeof setTimeout> | null = null
  private finishAfterHeld = false

  constructor(
    private readonly connection: RtcPeerConnectionLike,
    private readonly channel: RtcDataChannelLike,
    readonly remoteAddress: string | undefined,
    private readonly options: DataChannelStreamOptions,
  ) {
    channel.binaryType = 'arraybuffer'
    channel.bufferedAmountLowThreshold = Math.floor(options.highWaterMark / 2)
    channel.addEventListener('message', this.onMessage)
    channel.addEventListener('close', this.onChannelClose)
    channel.addEventListener('error', this.onError)
    channel.addEventListener('bufferedamountlow', this.onBufferedAmountLow)
    connection.addEventListener('connectionstatechange', this.onConnectionState)
  }

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
    for (let offset = 0; offset < chunk.length; offset += MAX_DATA_CHANNEL_MESSAGE_BYTES) {
      this.send(chunk.subarray(offset, Math.min(chunk.length, offset + MAX_DATA_CHANNEL_MESSAGE_BYTES)))
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
    this.send(END_MARKER)
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (this.sink === null) return
    this.paused = false
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
    if (error !== undefined && options.flush !== true) {
      this.finish(undefined)
      return this.closing
    }
    // Graceful or flushing: our end marker goes out after what is queued; once
    // it has left and the remote has ended too (or the bound is reached), the
    // channel closes.
    if (!this.localEnded) {
      this.localEnded = true
      this.send(END_MARKER)
    }
    const bound = error === undefined ? GRACEFUL_CLOSE_MS : (options.flushTimeoutMs ?? FLUSH_CLOSE_MS)
    this.timer = setTimeout(() => {
      this.timer = null
      this.finish(undefined)
    }, bound)
    this.finishIfDone()
    return this.closing
  }

  private send(data: Uint8Array | string): void {
    if (this.channel.readyState !== 'open') return
    try {
      this.channel.send(data)
    } catch (error) {
      // The channel closed under us (its close event follows) or refused the message.
      this.closeError ??= TransportError.reset(error)
      this.finish(this.closeError)
      return
    }
    if (!this.needDrain && this.channel.bufferedAmount > this.options.highWaterMark) this.needDrain = true
  }

  private readonly onBufferedAmountLow = (): void => {
    if (!this.needDrain || this.isClosed || this.closing !== null) return
    this.needDrain = false
    this.sink?.onDrain()
  }

  private readonly onMessage = (event: { data: unknown }): void => {
    if (this.isClosed) return
    const { data } = event
    let chunk: Uint8Array | null
    if (typeof data === 'string') {
      if (data === END_ACK) {
        this.endAcked = true
        this.finishIfDone()
        return
      }
      if (data !== END_MARKER) {
        this.fail(new TransportError('CONNECTION_RESET', 'the remote sent an unknown text message'))
        return
      }
      this.send(END_ACK)
      chunk = null
      if (this.closing !== null) {
        // Closing: nothing more reaches the sink, but the end still counts.
        this.remoteEnded = true
        this.finishIfDone()
        return
      }
    } else if (this.closing !== null) {
      return
    } else if (data instanceof ArrayBuffer) {
      if (data.byteLength === 0) return
      chunk = new Uint8Array(data)
    } else if (ArrayBuffer.isView(data)) {
      if (data.byteLength === 0) return
      chunk = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    } else {
      this.fail(new TransportError('CONNECTION_RESET', 'the data channel delivered a message of an unknown kind'))
      return
    }
    if (this.paused || this.sink === null || this.held.length > 0) {
      if (chunk !== null) {
        this.heldBytes += chunk.length
        if (this.heldBytes > MAX_HELD_BYTES) {
          this.fail(
            new TransportError(
              'CONNECTION_RESET',
              `the remote sent over ${MAX_HELD_BYTES} bytes while the stream was paused`,
            ),
          )
          return
        }
      }
      this.held.push(chunk)
    } else this.deliver(chunk)
  }

  private deliver(chunk: Uint8Array | null): void {
    const sink = this.sink as ByteSink
    if (chunk !== null) {
      if (!this.remoteEnded) sink.onData(chunk)
      return
    }
    if (this.remoteEnded) return
    this.remoteEnded = true
    sink.onEnd()
    this.finishIfDone()
  }

  /** Both directions ended and our end was acknowledged: release the connection. */
  private finishIfDone(): void {
    if (this.isClosed || !this.remoteEnded || !this.localEnded || !this.endAcked) return
    if (this.held.length > 0) {
      this.finishAfterHeld = true
      return
    }
    this.finish(undefined)
  }

  private fail(error: TransportError): void {
    this.closeError ??= error
    this.finish(this.closeError)
  }

  private readonly onError = (event: { error?: unknown }): void => {
    this.closeError ??= TransportError.reset(
      event.error instanceof Error ? event.error : new Error('data channel error'),
    )
  }

  private readonly onConnectionState = (): void => {
    const state = this.connection.connectionState
    if (state === 'failed' || state === 'closed') this.onChannelClose()
  }

  private readonly onChannelClose = (): void => {
    if (this.isClosed) return
    const clean = this.remoteEnded || this.held.includes(null)
    if (clean && this.held.length > 0 && this.closing === null) {
      this.finishAfterHeld = true
      return
    }
    this.finish(
      clean || this.closing !== null
        ? undefined
        : (this.closeError ?? TransportError.reset(new Error('the data channel closed'))),
    )
  }

  private finish(error: Error | undefined): void {
    if (this.isClosed) return
    this.isClosed = true
    this.stopTimer()
    this.channel.removeEventListener('message', this.onMessage)
    this.channel.removeEventListener('close', this.onChannelClose)
    this.channel.removeEventListener('error', this.onError)
    this.channel.removeEventListener('bufferedamountlow', this.onBufferedAmountLow)
    this.connection.removeEventListener('connectionstatechange', this.onConnectionState)
    this.held = []
    this.heldBytes = 0
    this.release(error === undefined && this.closeError === undefined)
    this.options.onRelease?.(this)
    this.resolveClosing?.()
    this.sink?.onClose(error)
  }

  /**
   * Closes the channel and then the peer connection. After a clean end the
   * peer connection waits for the channel's close (its stream reset goes
   * after the data, so the last bytes arrive), at most {@link FLUSH_CLOSE_MS}.
   */
  private release(clean: boolean): void {
    const closeConnection = (): void => {
      clearTimeout(bound)
      this.channel.removeEventListener('close', closeConnection)
      try {
        this.connection.close()
      } catch {
        // (closed already)
      }
    }
    const bound = setTimeout(closeConnection, clean ? FLUSH_CLOSE_MS : 0)
    if (clean && this.channel.readyState !== 'closed') this.channel.addEventListener('close', closeConnection)
    try {
      this.channel.close()
    } catch {
      // (closed already)
    }
    if (!clean) closeConnection()
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }
}
