/**
 * TCP from a chosen local address, so that one machine plays several
 * remote hosts: Linux routes all of 127.0.0.0/8 to the loopback interface,
 * so a socket bound to 127.0.0.2 reaches a node on 127.0.0.1 and the node
 * sees it come from 127.0.0.2 (another IP address), or from 127.0.1.2
 * (another /24 too).
 */
import { connect, type Socket } from 'node:net'
import { type ByteSink, type ByteStream, parseAddress, type Transport, TransportError } from '@mycel/transport'

/** A {@link ByteStream} over a connected socket (test quality: no read-buffer reuse, no graceful-close timer). */
class SocketByteStream implements ByteStream {
  readonly remoteAddress: string | undefined
  private sink: ByteSink | undefined
  private error: Error | undefined
  private closing: Promise<void> | undefined
  private ended = false

  constructor(private readonly socket: Socket) {
    this.remoteAddress = `tcp://${socket.remoteAddress}:${socket.remotePort}`
    socket.pause()
    socket.on('error', (error) => {
      this.error ??= new TransportError('CONNECTION_RESET', error.message, { cause: error })
    })
  }

  get closed(): boolean {
    return this.closing !== undefined || this.socket.destroyed
  }

  start(sink: ByteSink): void {
    if (this.sink !== undefined) throw new Error('start() was already called')
    this.sink = sink
    this.socket.on('data', (chunk: Buffer) => sink.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)))
    this.socket.on('end', () => sink.onEnd())
    this.socket.on('drain', () => sink.onDrain())
    this.socket.once('close', () => sink.onClose(this.error))
    this.socket.resume()
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.ended) throw TransportError.closed('the stream')
    return chunk.length === 0 ? !this.socket.writableNeedDrain : this.socket.write(chunk)
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    this.socket.cork()
    let ready = true
    for (const chunk of chunks) ready = this.write(chunk)
    this.socket.uncork()
    return ready
  }

  end(): void {
    if (this.ended || this.closed) return
    this.ended = true
    this.socket.end()
  }

  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  close(error?: Error): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.socket.destroyed) {
        resolve()
        return
      }
      this.socket.once('close', () => resolve())
      if (error !== undefined) {
        this.error ??= error
        this.socket.resetAndDestroy()
      } else {
        this.socket.destroy()
      }
    })
    return this.closing
  }
}

/**
 * Opens a TCP connection from `localAddress` (an address of this machine,
 * any of 127.0.0.0/8) to `address` (`tcp://host:port`).
 */
export function connectFrom(localAddress: string, address: string): Promise<Socket> {
  const { host, port } = parseAddress(address)
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, localAddress, allowHalfOpen: true, noDelay: true })
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/**
 * A dial-only TCP transport whose connections come from `localAddress`:
 * give it to a node (`transports`) or to a raw peer to play another host.
 */
export function tcpFrom(localAddress: string): Transport {
  const streams = new Set<SocketByteStream>()
  return {
    schemes: ['tcp'],
    async dial(address) {
      let socket: Socket
      try {
        socket = await connectFrom(localAddress, address)
      } catch (error) {
        throw new TransportError('DIAL_FAILED', `could not connect to ${address} from ${localAddress}`, {
          cause: error,
        })
      }
      const stream = new SocketByteStream(socket)
      streams.add(stream)
      socket.once('close', () => streams.delete(stream))
      return stream
    },
    async listen() {
      throw new TransportError('LISTEN_UNSUPPORTED', 'this test transport only dials')
    },
    async close() {
      await Promise.all([...streams].map((stream) => stream.close()))
    },
  }
}
