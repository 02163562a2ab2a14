import type { Socket } from 'node:net'
import { TransportError } from '../errors.js'
import type { ByteSink, ByteStream } from '../stream.js'

/** How long a graceful close waits for buffered bytes to go out before resetting. */
export const GRACEFUL_CLOSE_MS = 5000

/**
 * A {@link ByteStream} over a connected `node:net` socket (created with
 * `allowHalfOpen: true`, so `end()` is a true half-close).
 * @internal
 */
export class SocketStream implements ByteStream {
  private sink: ByteSink | null = null
  private closing: Promise<void> | null = null
  private resolveClosing: (() => void) | null = null
  private error: Error | undefined
  private closeTimer: ReturnType<typeof setTimeout> | null = null
  private isClosed = false

  constructor(
    private readonly socket: Socket,
    readonly remoteAddress: string | undefined,
  ) {
    socket.pause()
    socket.on('error', (err) => {
      this.error ??= TransportError.reset(err)
    })
    socket.once('close', () => this.onSocketClose())
  }

  get closed(): boolean {
    return this.isClosed || this.closing !== null
  }

  start(sink: ByteSink): void {
    if (this.sink !== null) throw new Error('start() was already called')
    this.sink = sink
    const socket = this.socket
    socket.on('data', (chunk: Buffer) => sink.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)))
    socket.on('end', () => sink.onEnd())
    socket.on('drain', () => sink.onDrain())
    if (this.isClosed) {
      queueMicrotask(() => sink.onClose(this.error))
      return
    }
    socket.resume()
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.socket.writableEnded) throw TransportError.closed('the stream')
    if (chunk.length === 0) return !this.socket.writableNeedDrain
    return this.socket.write(chunk)
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    if (this.closed || this.socket.writableEnded) throw TransportError.closed('the stream')
    this.socket.cork()
    for (const chunk of chunks) if (chunk.length > 0) this.socket.write(chunk)
    this.socket.uncork()
    return !this.socket.writableNeedDrain
  }

  end(): void {
    if (this.closed || this.socket.writableEnded) return
    this.socket.end()
  }

  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    if (this.sink !== null) this.socket.resume()
  }

  close(error?: Error): Promise<void> {
    if (this.closing !== null) return this.closing
    this.closing = new Promise((resolve) => {
      this.resolveClosing = resolve
    })
    if (this.isClosed) {
      this.resolveClosing?.()
      return this.closing
    }
    if (error !== undefined) {
      this.socket.resetAndDestroy()
    } else {
      this.socket.end()
      if (this.socket.writableFinished) this.socket.destroy()
      else {
        this.socket.once('finish', () => this.socket.destroy())
        this.closeTimer = setTimeout(() => this.socket.destroy(), GRACEFUL_CLOSE_MS)
      }
    }
    return this.closing
  }

  private onSocketClose(): void {
    this.isClosed = true
    if (this.closeTimer !== null) clearTimeout(this.closeTimer)
    this.closeTimer = null
    this.resolveClosing?.()
    const sink = this.sink
    if (sink === null) return
    // An abnormal close we did not ask for is reported; a requested one is not.
    sink.onClose(this.closing !== null ? undefined : this.error)
  }
}
