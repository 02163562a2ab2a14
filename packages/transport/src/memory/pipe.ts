import { TransportError } from '../errors.js'
import type { ByteSink, ByteStream, StreamCloseOptions } from '../stream.js'

/** Link properties of a memory pipe, per direction. */
export interface LinkOptions {
  /** One-way delay added to every chunk, in milliseconds. Default 0. */
  latencyMs?: number
  /** Bytes per second each direction carries; chunks queue behind each other. Default unlimited. */
  bytesPerSecond?: number
  /** Bytes in flight or unread before `write` returns false. Default 1 MiB. */
  highWaterMark?: number
}

/** A chunk on its way, or the end marker (`null`). */
interface Delivery {
  chunk: Uint8Array | null
  at: number
}

/**
 * One end of an in-process pipe. Bytes written at one end arrive at the
 * other after the configured latency and bandwidth, in order; nothing is
 * copied. Backpressure counts bytes not yet taken by the reader's sink.
 * @internal
 */
export class MemoryStream implements ByteStream {
  peer!: MemoryStream
  private sink: ByteSink | null = null
  private readonly incoming: Delivery[] = []
  private timer: ReturnType<typeof setTimeout> | null = null
  private scheduled = false
  private paused = false
  /** Bytes we wrote that the peer has not consumed. */
  private unconsumed = 0
  private needDrain = false
  private linkFreeAt = 0
  private localEnded = false
  private remoteEnded = false
  /** The peer closed: our writes go nowhere, and we close once its end marker is read. */
  private peerGone = false
  private isClosed = false
  private closing: Promise<void> | null = null

  constructor(
    readonly remoteAddress: string | undefined,
    private readonly link: Required<LinkOptions>,
    private readonly onRelease: (stream: MemoryStream) => void,
  ) {}

  get closed(): boolean {
    return this.isClosed
  }

  start(sink: ByteSink): void {
    if (this.sink !== null) throw new Error('start() was already called')
    this.sink = sink
    this.schedule()
  }

  write(chunk: Uint8Array): boolean {
    if (this.isClosed || this.localEnded) throw TransportError.closed('the stream')
    if (chunk.length === 0 || this.peerGone) return !this.needDrain
    this.unconsumed += chunk.length
    this.peer.enqueue(chunk, this.deliveryTime(chunk.length))
    if (this.unconsumed > this.link.highWaterMark) this.needDrain = true
    return !this.needDrain
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    let ready = !this.needDrain
    for (const chunk of chunks) ready = this.write(chunk)
    return ready
  }

  end(): void {
    if (this.isClosed || this.localEnded) return
    this.localEnded = true
    if (!this.peerGone) this.peer.enqueue(null, this.deliveryTime(0))
    this.closeIfDone()
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.schedule()
  }

  close(error?: Error, options: StreamCloseOptions = {}): Promise<void> {
    if (this.closing !== null) return this.closing
    if (error === undefined || options.flush === true) {
      // Graceful, or flushing: what we wrote still arrives, then the end. The
      // peer holds what it has not read yet, so nothing here has to wait.
      this.end()
      this.finish(undefined)
    } else {
      this.finish(error)
      this.peer.finish(TransportError.reset(error))
    }
    this.closing = Promise.resolve()
    return this.closing
  }

  /** Accepts a chunk (or the end marker) from the peer. */
  private enqueue(chunk: Uint8Array | null, at: number): void {
    if (this.isClosed) {
      if (chunk !== null) this.peer.consumed(chunk.length)
      return
    }
    this.incoming.push({ chunk, at })
    this.schedule()
  }

  /** Arranges delivery of the head of the queue: now-ish, or when its time comes. */
  private schedule(): void {
    if (this.scheduled || this.sink === null || this.paused || this.isClosed) return
    const head = this.incoming[0]
    if (head === undefined) return
    this.scheduled = true
    const wait = head.at - Date.now()
    if (wait <= 0) {
      queueMicrotask(() => this.deliver())
    } else {
      this.timer = setTimeout(() => {
        this.timer = null
        this.deliver()
      }, wait)
    }
  }

  private deliver(): void {
    this.scheduled = false
    const sink = this.sink
    if (sink === null) return
    const now = Date.now()
    while (!this.paused && !this.isClosed) {
      const head = this.incoming[0]
      if (head === undefined || head.at > now) break
      this.incoming.shift()
      if (head.chunk === null) {
        this.remoteEnded = true
        sink.onEnd()
        this.closeIfDone()
        break
      }
      this.peer.consumed(head.chunk.length)
      sink.onData(head.chunk)
    }
    this.schedule()
  }

  /** The peer's sink took `bytes` of ours. */
  private consumed(bytes: number): void {
    this.unconsumed -= bytes
    if (this.needDrain && this.unconsumed <= this.link.highWaterMark / 2) {
      this.needDrain = false
      queueMicrotask(() => {
        if (!this.isClosed && !this.needDrain) this.sink?.onDrain()
      })
    }
  }

  /** When was the last byte of a chunk of `length` on the far side of the link. */
  private deliveryTime(length: number): number {
    const now = Date.now()
    const { latencyMs, bytesPerSecond } = this.link
    if (latencyMs === 0 && !Number.isFinite(bytesPerSecond)) return now
    const start = Math.max(now, this.linkFreeAt)
    this.linkFreeAt = Number.isFinite(bytesPerSecond) ? start + (length * 1000) / bytesPerSecond : start
    return this.linkFreeAt + latencyMs
  }

  private closeIfDone(): void {
    if (this.remoteEnded && (this.localEnded || this.peerGone)) this.finish(undefined)
  }

  private finish(error: Error | undefined): void {
    if (this.isClosed) return
    this.isClosed = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    for (const delivery of this.incoming.splice(0)) {
      if (delivery.chunk !== null) this.peer.consumed(delivery.chunk.length)
    }
    this.closing ??= Promise.resolve()
    this.onRelease(this)
    const sink = this.sink
    if (sink !== null) queueMicrotask(() => sink.onClose(error))
    // A peer whose other half is gone can only read what is left, then it closes.
    if (!this.peer.isClosed && error === undefined) this.peer.peerFinished()
  }

  /** Our peer closed gracefully: once its end marker is read we close too. */
  private peerFinished(): void {
    this.peerGone = true
    this.needDrain = false
    this.closeIfDone()
  }
}

/**
 * Two connected memory streams: what one writes, the other reads.
 *
 * @param link - latency, bandwidth and high-water mark of each direction
 * @param addresses - the remote address each end reports: `[ofA, ofB]`
 * @returns the two ends
 * @internal
 */
export function memoryPipe(
  link: LinkOptions = {},
  addresses: [string | undefined, string | undefined] = [undefined, undefined],
  onRelease: (stream: MemoryStream) => void = () => {},
): [MemoryStream, MemoryStream] {
  const resolved: Required<LinkOptions> = {
    latencyMs: link.latencyMs ?? 0,
    bytesPerSecond: link.bytesPerSecond ?? Number.POSITIVE_INFINITY,
    highWaterMark: link.highWaterMark ?? 1024 * 1024,
  }
  const a = new MemoryStream(addresses[0], resolved, onRelease)
  const b = new MemoryStream(addresses[1], resolved, onRelease)
  a.peer = b
  b.peer = a
  return [a, b]
}
