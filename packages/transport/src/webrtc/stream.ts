/**
 * The WebRTC transport's {@link ByteStream}: a {@link MessageStream} over a
 * data channel, with a text end marker and its acknowledgement, and a bound
 * on what a paused stream holds.
 * @module
 */
import { TransportError } from '../errors.js'
import { MessageStream, type MessageStreamOptions } from '../message-stream.js'
import { type ByteStream, FLUSH_CLOSE_MS } from '../stream.js'
import type { RtcDataChannelLike, RtcPeerConnectionLike } from './types.js'

export { MAX_HELD_BYTES } from '../message-stream.js'

/** Largest data-channel message a stream sends (longer writes are split): what every WebRTC stack takes. */
export const MAX_DATA_CHANNEL_MESSAGE_BYTES = 64 * 1024

/** The text message that marks the sender's half-close (data travels as binary messages). */
export const END_MARKER = 'end'

/**
 * The text message that acknowledges the remote's end marker: everything it
 * sent has arrived. A side releases the connection once its own end is
 * acknowledged and the remote's end has arrived, so closing the peer
 * connection never cuts off bytes still in flight.
 */
export const END_ACK = 'ack'

/** Options of {@link DataChannelStream}. @internal */
export interface DataChannelStreamOptions extends MessageStreamOptions<DataChannelStream> {}

/**
 * A {@link ByteStream} over an open, ordered and reliable `RTCDataChannel`.
 * Each chunk travels as binary messages of at most 64 KiB; the text message
 * `end` marks the sender's half-close (data channels have none of their
 * own); any other text message is a protocol violation and resets the
 * stream. Sending respects `bufferedAmount`, with `bufferedamountlow` as the
 * drain signal. The stream owns its peer connection and closes it.
 * @internal
 */
export class DataChannelStream extends MessageStream {
  protected override readonly maxMessageBytes = MAX_DATA_CHANNEL_MESSAGE_BYTES
  /** The remote acknowledged our end marker. */
  private endAcked = false

  /**
   * @param connection - the peer connection, closed with the stream
   * @param channel - the open data channel the bytes travel on
   * @param remoteAddress - address of the remote end, when known
   * @param options - send buffer bound and release callback
   */
  constructor(
    private readonly connection: RtcPeerConnectionLike,
    private readonly channel: RtcDataChannelLike,
    remoteAddress: string | undefined,
    protected override readonly options: DataChannelStreamOptions,
  ) {
    super(remoteAddress)
    channel.binaryType = 'arraybuffer'
    channel.bufferedAmountLowThreshold = Math.floor(options.highWaterMark / 2)
    channel.addEventListener('message', this.onMessage)
    channel.addEventListener('close', this.onChannelClose)
    channel.addEventListener('error', this.onError)
    channel.addEventListener('bufferedamountlow', this.onBufferedAmountLow)
    connection.addEventListener('connectionstatechange', this.onConnectionState)
  }

  /** Sends a binary message, or a text one (the end marker and its acknowledgement). */
  protected override sendMessage(data: Uint8Array | string): void {
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

  /** Sends the end marker. */
  protected override halfClose(): void {
    this.sendMessage(END_MARKER)
  }

  /** Releases the stream at once (the channel and connection close without waiting). */
  protected override reset(): void {
    this.finish(undefined)
  }

  /**
   * Our end marker goes out after what is queued; once it has left and the
   * remote has ended too (or the bound is reached), the channel closes.
   */
  protected override closeGracefully(): void {
    if (!this.localEnded) {
      this.localEnded = true
      this.sendMessage(END_MARKER)
    }
    this.finishIfDone()
  }

  /** Releases the connection if our end was acknowledged too. */
  protected override remoteEndDelivered(): void {
    this.finishIfDone()
  }

  private readonly onBufferedAmountLow = (): void => {
    if (this.closing === null) this.drained()
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
      this.sendMessage(END_ACK)
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
    this.receive(chunk)
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
    this.channelClosed(true, () => this.closeError ?? TransportError.reset(new Error('the data channel closed')))
  }

  /**
   * Removes the listeners, closes the channel and then the peer connection.
   * After a clean end the peer connection waits for the channel's close (its
   * stream reset goes after the data, so the last bytes arrive), at most
   * {@link FLUSH_CLOSE_MS}.
   *
   * @param clean - the stream closed without an error
   */
  protected override release(clean: boolean): void {
    this.channel.removeEventListener('message', this.onMessage)
    this.channel.removeEventListener('close', this.onChannelClose)
    this.channel.removeEventListener('error', this.onError)
    this.channel.removeEventListener('bufferedamountlow', this.onBufferedAmountLow)
    this.connection.removeEventListener('connectionstatechange', this.onConnectionState)
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
}
