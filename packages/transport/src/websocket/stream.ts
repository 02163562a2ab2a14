import { TransportError } from '../errors.js'
import { type ByteSink, type ByteStream, FLUSH_CLOSE_MS, type StreamCloseOptions } from '../stream.js'

/** Largest WebSocket message a stream sends; longer writes are split. */
export const MAX_WEBSOCKET_CHUNK_BYTES = 256 * 1024

/** How long a graceful close waits for the closing handshake before giving up. */
const GRACEFUL_CLOSE_MS = 5000

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
export interface WebSocketStreamOptions {
  /** Bytes buffered for sending before `write` returns false. */
  highWaterMark: number
  /** True when the socket is a Node `ws` socket (send callbacks, pause, terminate). */
  nodeExtras: boolean
  /** Called once when the stream has closed. */
  onRelease?: (stream: WebSocketStream) => void
}

const OPEN = 1

/**
 * A {@link ByteStream} over an open WebSocket. Each chunk travels as one
 * binary message (split at 256 KiB); an empty binary message marks the
 * sender's half-close, since WebSocket has none of its own. Text messages
 * are a protocol violation and reset the stream.
 * @internal
 */
export class WebSocketStream implements ByteStream {
  private sink: ByteSink | null = null
  private held: Array<Uint8Array | null> = []
  private paused = false
  private localEnded = false
  private remoteEnded = false
  private isClosed = false
  private closing: Promise<void> | null = null
  private resolveClosing: (() => void) | null = null
  private closeError: Error | undefined
  private pendingBytes = 0
  private needDrain = false
  private timer: ReturnType<typeof setTimeout> | null = null
  private readonly node: NodeWebSocketExtras | null
  /** A clean close that waits for held messages to be delivered first. */
  private finishAfterHeld = false

  constructor(
    private readonly socket: WebSocketLike,
    readonly remoteAddress: string | undefined,
    private readonly options: WebSocketStreamOptions,
  ) {
    socket.binaryType = 'arraybuffer'
    this.node = options.nodeExtras ? (socket as unknown as NodeWebSocketExtras) : null
    this.node?.pause()
    socket.addEventListener('message', this.onMessage)
    socket.addEventListener('close', this.onSocketClose)
    socket.addEventListener('error', this.onError)
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
    for (let offset = 0; offset < chunk.length; offset += MAX_WEBSOCKET_CHUNK_BYTES) {
      this.sendMessage(chunk.subarray(offset, Math.min(chunk.length, offset + MAX_WEBSOCKET_CHUNK_BYTES)))
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
    this.sendMessage(new Uint8Array(0))
    if (this.remoteEnded) this.socket.close(1000)
  }

  pause(): void {
    this.paused = true
    this.node?.pause()
  }

  resume(): void {
    if (this.sink === null) return
    this.paused = false
    this.node?.resume()
    while (!this.paused && this.held.length > 0 && !this.isClosed) this.deliver(this.held.shift() as Uint8Array | null)
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
    // A paused `ws` socket never reads the close frame nor emits 'close'.
    this.node?.resume()
    if (error !== undefined && options.flush !== true) {
      if (this.node !== null) this.node.terminate()
      else this.socket.close(4000, 'reset')
      return this.closing
    }
    // Graceful or flushing: the queued messages, our end marker, then the
    // close frame go out in order; the remote answers with its own close frame.
    if (!this.localEnded && this.socket.readyState === OPEN) {
      this.localEnded = true
      this.sendMessage(new Uint8Array(0))
    }
    this.socket.close(1000)
    const bound = error === undefined ? GRACEFUL_CLOSE_MS : (options.flushTimeoutMs ?? FLUSH_CLOSE_MS)
    this.timer = setTimeout(() => {
      this.timer = null
      if (this.node !== null) this.node.terminate()
      else this.finish(undefined)
    }, bound)
    return this.closing
  }

  private sendMessage(data: Uint8Array): void {
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

  private drained(): void {
    if (!this.needDrain || this.isClosed) return
    this.needDrain = false
    this.sink?.onDrain()
  }

  private readonly onMessage = (event: { data: unknown }): void => {
    if (this.isClosed || this.closing !== null) return
    const { data } = event
    if (!(data instanceof ArrayBuffer)) {
      this.closeError = new TransportError('CONNECTION_RESET', 'the remote sent a text WebSocket message')
      void this.close(this.closeError)
      return
    }
    const chunk = data.byteLength === 0 ? null : new Uint8Array(data)
    if (this.paused || this.sink === null || this.held.length > 0) this.held.push(chunk)
    else this.deliver(chunk)
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
    if (this.localEnded && this.socket.readyState === OPEN) this.socket.close(1000)
  }

  private readonly onError = (): void => {
    this.closeError ??= TransportError.reset(new Error('WebSocket error'))
  }

  private readonly onSocketClose = (event: { code: number }): void => {
    const clean = event.code === 1000 && (this.remoteEnded || this.held.includes(null))
    if (clean && this.held.length > 0) {
      this.finishAfterHeld = true
      return
    }
    this.finish(
      clean || this.closing !== null
        ? undefined
        : (this.closeError ?? TransportError.reset(new Error(`WebSocket closed with code ${event.code}`))),
    )
  }

  private finish(error: Error | undefined): void {
    if (this.isClosed) return
    this.isClosed = true
    this.stopTimer()
    this.socket.removeEventListener('message', this.onMessage)
    this.socket.removeEventListener('close', this.onSocketClose)
    this.socket.removeEventListener('error', this.onError)
    this.held = []
    this.options.onRelease?.(this)
    this.resolveClosing?.()
    this.sink?.onClose(error)
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }
}
