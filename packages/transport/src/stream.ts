/**
 * Receives what a {@link ByteStream} produces. The stream calls these
 * synchronously from its own event handlers, in order; none is called
 * after `onClose`.
 */
export interface ByteSink {
  /**
   * Set to true when the sink is done with every chunk by the time
   * `onData` returns (it keeps no chunk and no view into one). A stream
   * may then read into one buffer it reuses instead of allocating a new
   * one per read, which spares the garbage collector about one allocation
   * per 64 KiB received. Read once, by `start`; default false.
   */
  readonly transientChunks?: boolean
  /**
   * Bytes arrived. Unless the sink set `transientChunks`, the chunk belongs
   * to the sink from then on: the stream never reuses or modifies it, so the
   * sink may keep views into it. With `transientChunks`, it is valid only
   * until `onData` returns.
   */
  onData(chunk: Uint8Array): void
  /** The remote end will send nothing more (half-close); writing may go on. */
  onEnd(): void
  /** Bytes buffered for writing fell below the low-water mark after a `write` returned false. */
  onDrain(): void
  /**
   * The stream is closed in both directions and has released its resources.
   * `error` is a {@link TransportError} when it closed abnormally (reset,
   * failure), undefined when both sides ended or it was closed locally.
   */
  onClose(error?: Error): void
}

/**
 * The one contract every transport gives: a duplex byte stream with
 * explicit backpressure in both directions and no promise per chunk.
 *
 * - Reading is push: {@link ByteStream.start} installs the {@link ByteSink},
 *   which gets chunks as they arrive; {@link ByteStream.pause} and
 *   {@link ByteStream.resume} stop and restart the flow. Nothing is lost
 *   before `start`: the stream holds incoming bytes (and stops reading from
 *   the network) until then.
 * - Writing is `write(chunk)`, which returns false once more than the
 *   high-water mark is buffered; the sink's `onDrain` says when to go on.
 *   Ownership of the chunk passes to the stream: do not modify it afterwards.
 * - `end()` half-closes (the remote sees `onEnd`); `close()` releases
 *   everything and is idempotent.
 *
 * The contract maps directly onto Node sockets, WebSockets and in-memory
 * pipes, so each implementation is a thin shim; the benchmark measures its
 * cost against a raw socket.
 *
 * @example
 * ```ts
 * const stream = await transport.dial('tcp://127.0.0.1:4001')
 * stream.start({
 *   onData: (chunk) => console.log(chunk.length),
 *   onEnd: () => stream.end(),
 *   onDrain: () => {},
 *   onClose: (error) => console.log('closed', error),
 * })
 * stream.write(new TextEncoder().encode('hello'))
 * ```
 */
export interface ByteStream {
  /** Address of the remote end in the transport's format, when known. */
  readonly remoteAddress: string | undefined
  /** Whether `close()` was called or the stream closed by itself. */
  readonly closed: boolean
  /**
   * Starts delivering events to `sink`. Call it once.
   *
   * @param sink - receives data, end, drain and close
   * @throws Error when called twice
   */
  start(sink: ByteSink): void
  /**
   * Queues bytes for sending. Empty chunks are ignored.
   *
   * @param chunk - bytes whose ownership passes to the stream
   * @returns false when the caller should wait for `onDrain` before writing more
   * @throws {@link TransportError} `CLOSED` after `end()` or `close()`
   */
  write(chunk: Uint8Array): boolean
  /**
   * Queues several chunks as if written one after the other, in one system
   * call where the transport can (a frame's prefix, body and tag).
   *
   * @param chunks - bytes whose ownership passes to the stream
   * @returns false when the caller should wait for `onDrain` before writing more
   * @throws {@link TransportError} `CLOSED` after `end()` or `close()`
   */
  writev(chunks: readonly Uint8Array[]): boolean
  /** Half-closes: sends what is buffered, then tells the remote no more will come. Idempotent. */
  end(): void
  /** Stops `onData` until `resume()`; the transport stops reading, so the remote's writes back up. */
  pause(): void
  /** Restarts `onData` after `pause()`. */
  resume(): void
  /**
   * Closes both directions and releases the socket and timers. Without an
   * error, buffered bytes are sent first (for a bounded time); with one, the
   * stream is reset at once, unless `options.flush` asks for the bytes
   * already written to go out first (see {@link StreamCloseOptions}).
   * After `close()` the sink gets no more data, only `onClose`. Idempotent:
   * every call returns the same promise (the options of the first call apply).
   *
   * @param error - why, if this is an abnormal close
   * @param options - `flush`: send what was written before closing, even with an error
   * @returns a promise that resolves once everything is released
   */
  close(error?: Error, options?: StreamCloseOptions): Promise<void>
}

/** Most milliseconds a flushing {@link ByteStream.close} waits before it resets the stream. */
export const FLUSH_CLOSE_MS = 2000

/**
 * Options of {@link ByteStream.close}.
 *
 * A flushing close sends every byte already written, then half-closes (the
 * remote sees `onEnd`, as after a clean close), keeps reading and dropping
 * what still arrives so that the remote's own end is seen and unread bytes
 * do not make the kernel reset the connection, and releases the stream once
 * the bytes are gone and the remote has ended too. It waits at most
 * `flushTimeoutMs`: a remote that does not read, or does not end, cannot
 * hold the stream. Bytes still unsent then are dropped and the stream reset.
 */
export interface StreamCloseOptions {
  /** Send what was written and half-close before releasing the stream, even when closing with an error. */
  flush?: boolean
  /** Longest wait of a flushing close, in milliseconds. Default {@link FLUSH_CLOSE_MS} (2 s). */
  flushTimeoutMs?: number
}
