/**
 * The WebSocket transports' {@link ByteStream}: a {@link MessageStream}
 * over a WHATWG `WebSocket` (the browser's, or the `ws` package's in Node,
 * whose send callbacks, pause and terminate it uses when told to).
 * @module
 */
import { TransportError } from '../errors.js'
import { MessageStream, type MessageStreamOptions } from '../message-stream.js'
import type { ByteStream } from '../stream.js'

/** Largest WebSocket message a stream sends; longer writes are split. */
export const MAX_WEBSOCKET_CHUNK_BYTES = 256 * 1024

/** Interval at which `bufferedAmount` is polled when the socket has no send callbacks (browsers). */
const DRAIN_POLL_MS = 5

/** The part of the WHATWG `WebSocket` API a stream uses (`ws` in Node implements it too). */
export interface WebSocketLike {
  binaryType: string
  readonly bufferedAmount: number
  readonly readyState: number
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  addEventListener(type: string, listener: (event: never) => void): void
  removeEventListener(type: string, listener: (event: never) => void): void
}

/** Extras of the Node `ws` socket, used when present. @internal */
interface NodeWebSocketExtras {
  send(data: Uint8Array, callback: (error?: Error) => void): void
  pause(): void
  resume(): void
  terminate(): void
}

/** Options of {@link WebSocketStream}. @internal */
export interface WebSocketStreamOptions extends MessageStreamOptions<WebSocketStream> {
  /** True when the socket is a Node `ws` socket (send callbacks, pause, terminate). */
  nodeExtras: boolean
}

const OPEN = 1

/**
 * A {@link ByteStream} over an open WebSocket. Each chunk travels as one
 * binary message (split at 256 KiB); an empty binary message marks the
 * sender's half-close, since WebSocket has none of its own. Text messages
 * are a protocol violation and reset the stream. A paused stream holds at
 * most 32 MiB, `MAX_HELD_BYTES` (a browser WebSocket cannot stop reading).
 * @internal
 */
export class WebSocketStream extends MessageStream {
  protected override readonly maxMessageBytes = MAX_WEBSOCKET_CHUNK_BYTES
  /** Bytes handed to the Node socket and not yet written out (its send callbacks count them). */
  private pendingBytes = 0
  private readonly node: NodeWebSocketExtras | null

  /**
   * @param socket - the open WebSocket the bytes travel on
   * @param remoteAddress - address of the remote end, when known
   * @param options - send buffer bound, whether the socket is a Node `ws` one, release callback
   */
  constructor(
    private readonly socket: WebSocketLike,
    remoteAddress: string | undefined,
    protected override readonly options: WebSocketStreamOptions,
  ) {
    super(remoteAddress)
    socket.binaryType = 'arraybuffer'
    this.node = options.nodeExtras ? (socket as unknown as NodeWebSocketExtras) : null
    this.node?.pause()
    socket.addEventListener('message', this.onMessage)
    socket.addEventListener('close', this.onSocketClose)
    socket.addEventListener('error', this.onError)
  }

  /** Sends the end marker, and starts the closing handshake when the remote has ended too. */
  protected override halfClose(): void {
    this.sendMessage(new Uint8Array(0))
    if (this.remoteEnded) this.socket.close(1000)
  }

  /** A paused `ws` socket stops reading, so the remote's writes back up. */
  protected override pauseReading(): void {
    this.node?.pause()
  }

  /** Lets a paused `ws` socket read again. */
  protected override resumeReading(): void {
    this.node?.resume()
  }

  /** Releases the stream at once (`release` terminates the socket). */
  protected override reset(): void {
    this.finish(undefined)
  }

  /**
   * The queued messages, our end marker, then the close frame go out in
   * order; the remote answers with its own close frame.
   */
  protected override closeGracefully(): void {
    // A paused `ws` socket never reads the close frame nor emits 'close'.
    this.node?.resume()
    if (!this.localEnded && this.socket.readyState === OPEN) {
      this.localEnded = true
      this.sendMessage(new Uint8Array(0))
    }
    this.socket.close(1000)
  }

  /**
   * Terminates a `ws` socket, and releases the stream without waiting for a
   * close event (one that has closed already emits none again).
   */
  protected override closeTimedOut(): void {
    this.node?.terminate()
    super.closeTimedOut()
  }

  /** Starts the closing handshake when our end was sent too. */
  protected override remoteEndDelivered(): void {
    if (this.localEnded && this.socket.readyState === OPEN) this.socket.close(1000)
  }

  /**
   * Removes the listeners; a socket that is still open (a reset, a
   * failure) is terminated (`ws`) or closed with code 4000 (browser). One
   * that has closed, or is closing, is left to finish.
   */
  protected override release(): void {
    this.socket.removeEventListener('message', this.onMessage)
    this.socket.removeEventListener('close', this.onSocketClose)
    this.socket.removeEventListener('error', this.onError)
    if (this.socket.readyState > OPEN) return
    if (this.node !== null) this.node.terminate()
    else this.socket.close(4000, 'reset')
  }

  /** Sends a binary message; counts it until `ws` says it was written, or polls a browser socket's buffer. */
  protected override sendMessage(data: Uint8Array): void {
    if (this.socket.readyState !== OPEN) return
    if (this.node !== null) {
      this.pendingBytes += data.length
      this.node.send(data, () => {
        this.pendingBytes -= data.length
        if (this.needDrain && this.pendingBytes <= this.options.highWaterMark / 2) this.drained()
      })
      if (this.pendingBytes > this.options.highWaterMark) this.needDrain = true
      return
    }
    this.socket.send(data)
    if (this.socket.bufferedAmount > this.options.highWaterMark && !this.needDrain) {
      this.needDrain = true
      this.pollDrain()
    }
  }

  private pollDrain(): void {
    this.timer = setTimeout(() => {
      this.timer = null
      if (this.isClosed || this.closing !== null) return
      if (this.socket.bufferedAmount <= this.options.highWaterMark / 2) this.drained()
      else this.pollDrain()
    }, DRAIN_POLL_MS)
  }

  private readonly onMessage = (event: { data: unknown }): void => {
    if (this.isClosed || this.closing !== null) return
    const { data } = event
    if (!(data instanceof ArrayBuffer)) {
      this.fail(new TransportError('CONNECTION_RESET', 'the remote sent a text WebSocket message'))
      return
    }
    this.receive(data.byteLength === 0 ? null : new Uint8Array(data))
  }

  private readonly onError = (): void => {
    this.closeError ??= TransportError.reset(new Error('WebSocket error'))
  }

  private readonly onSocketClose = (event: { code: number }): void => {
    this.channelClosed(
      event.code === 1000,
      () => this.closeError ?? TransportError.reset(new Error(`WebSocket closed with code ${event.code}`)),
    )
  }
}
