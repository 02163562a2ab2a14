import type { Socket } from 'node:net'
import { TransportError } from '../errors.js'
import { type ByteSink, type ByteStream, FLUSH_CLOSE_MS, type StreamCloseOptions } from '../stream.js'

/** How long a graceful close waits for buffered bytes to go out before resetting. */
export const GRACEFUL_CLOSE_MS = 5000

/** Size of the buffer a socket made with {@link ReusedReadBuffer} reads into (libuv reads at most this much at once). */
export const READ_BUFFER_BYTES = 64 * 1024

/**
 * One read buffer for the whole life of a socket, for Node's `onread`
 * socket option (`net.connect` takes it; `net.Server` has no such option
 * for the sockets it accepts): every read lands in the same 64 KiB buffer
 * instead of a fresh one. The {@link SocketStream} of the socket receives
 * the reads; it hands them as they are to a sink that declared
 * `transientChunks`, and a copy to any other sink.
 * @internal
 */
export class ReusedReadBuffer {
  /** Receives each read; returning false stops reading until the socket is resumed. */
  onChunk: (chunk: Uint8Array) => boolean = () => false

  /** The `onread` option to create the socket with. */
  readonly onread = {
    buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
    callback: (length: number, buffer: Uint8Array): boolean =>
      this.onChunk(new Uint8Array(buffer.buffer, buffer.byteOffset, length)),
  }
}

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
  /** Set by `pause()` and before `start()`; with a reused read buffer, reads that come anyway are held. */
  private paused = true
  /** Copies of reads that came while paused (reused read buffer only). */
  private held: Uint8Array[] = []
  private endHeld = false
  private flushScheduled = false
  /** The sink's `transientChunks`, read once by `start()`. */
  private transient = false
  /** Set by `close()`: reads go on but are dropped, and the sink hears nothing more but `onClose`. */
  private discarding = false
  /** The remote half-closed (its FIN was read). */
  private remoteEnded = false

  /**
   * @param socket - a connected socket, created with `allowHalfOpen: true`
   * @param remoteAddress - the remote's transport address, if known
   * @param reads - when the socket was created with `reads.onread`: its reused read buffer
   */
  constructor(
    private readonly socket: Socket,
    readonly remoteAddress: string | undefined,
    private readonly reads?: ReusedReadBuffer,
  ) {
    socket.pause()
    if (reads !== undefined) reads.onChunk = (chunk) => this.onRead(chunk)
    socket.on('error', (err) => {
      this.error ??= TransportError.reset(err)
    })
    socket.once('end', () => {
      this.remoteEnded = true
    })
    socket.once('close', () => this.onSocketClose())
  }

  get closed(): boolean {
    return this.isClosed || this.closing !== null
  }

  start(sink: ByteSink): void {
    if (this.sink !== null) throw new Error('start() was already called')
    this.sink = sink
    this.transient = sink.transientChunks === true
    const socket = this.socket
    if (this.reads === undefined) {
      socket.on('data', (chunk: Buffer) => {
        if (!this.discarding) sink.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))
      })
      socket.on('end', () => {
        if (!this.discarding) sink.onEnd()
      })
    } else {
      socket.on('end', () => {
        if (this.discarding) return
        if (this.held.length > 0) this.endHeld = true
        else sink.onEnd()
      })
    }
    socket.on('drain', () => {
      if (!this.discarding) sink.onDrain()
    })
    if (this.isClosed) {
      queueMicrotask(() => sink.onClose(this.error))
      return
    }
    this.resume()
  }

  /**
   * A read into the reused buffer. Node may still read once after
   * `socket.pause()` (a resume scheduled earlier in the same tick restarts
   * reading), so a read that comes while paused is copied and held, and
   * reading stops until `resume()`.
   */
  private onRead(chunk: Uint8Array): boolean {
    if (this.discarding) return true
    const sink = this.sink
    if (sink === null || this.paused || this.held.length > 0) {
      this.held.push(chunk.slice())
      return false
    }
    sink.onData(this.transient ? chunk : chunk.slice())
    return !this.paused
  }

  /** Delivers held reads (in a microtask, not inside the sink's call to `resume()`), then reads on. */
  private flushHeld(): void {
    this.flushScheduled = false
    const sink = this.sink
    if (sink === null || this.isClosed || this.discarding) return
    while (!this.paused && this.held.length > 0) sink.onData(this.held.shift() as Uint8Array)
    if (this.paused) return
    if (this.endHeld) {
      this.endHeld = false
      sink.onEnd()
    }
    this.socket.resume()
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
    this.paused = true
    this.socket.pause()
  }

  resume(): void {
    if (this.sink === null) return
    this.paused = false
    if (this.held.length === 0) this.socket.resume()
    else if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(() => this.flushHeld())
    }
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
    if (error !== undefined && options.flush !== true) {
      this.socket.resetAndDestroy()
      return this.closing
    }
    // What the remote still sends is read and dropped: unread bytes would
    // make the kernel answer our FIN with a reset, which can destroy the
    // last bytes we sent before the remote reads them.
    this.discarding = true
    this.held = []
    this.endHeld = false
    this.socket.resume()
    this.socket.end()
    if (error === undefined) {
      // A clean close waits for the bytes to leave, not for the remote.
      if (this.socket.writableFinished) this.socket.destroy()
      else {
        this.socket.once('finish', () => this.socket.destroy())
        this.closeTimer = setTimeout(() => this.socket.destroy(), GRACEFUL_CLOSE_MS)
      }
      return this.closing
    }
    // A flushing close after an error also waits for the remote to end (it
    // has then read everything), within a short bound.
    const releaseWhenDone = (): void => {
      if (this.socket.writableFinished && this.remoteEnded) this.socket.destroy()
    }
    this.socket.once('finish', releaseWhenDone)
    this.socket.once('end', releaseWhenDone)
    releaseWhenDone()
    this.closeTimer = setTimeout(() => {
      // Bytes still unsent mean the remote stopped reading: reset. Sent, but
      // the remote never ended: an ordinary close.
      if (this.socket.writableFinished) this.socket.destroy()
      else this.socket.resetAndDestroy()
    }, options.flushTimeoutMs ?? FLUSH_CLOSE_MS)
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
