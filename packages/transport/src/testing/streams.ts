import type { ByteSink, ByteStream } from '../stream.js'
import type { Listener, Transport } from '../transport.js'

/** What {@link collectStream} gathered. */
export interface CollectedStream {
  /** Everything received, in order. */
  bytes: Uint8Array
  /** Whether the remote half-closed (`onEnd`) before the stream closed. */
  ended: boolean
  /** The error the stream closed with, if any. */
  error: Error | undefined
}

/**
 * Starts `stream` and gathers what it receives until it closes.
 *
 * @param stream - a stream that has not been started
 * @param hooks - optional extra handling: `onData` sees each chunk, `onEnd` the half-close
 * @returns a promise of everything received, once the stream has closed
 *
 * @example
 * ```ts
 * const received = collectStream(serverStream, { onEnd: () => serverStream.end() })
 * client.write(bytes)
 * client.end()
 * expect((await received).bytes).toEqual(bytes)
 * ```
 */
export function collectStream(
  stream: ByteStream,
  hooks: { onData?: (chunk: Uint8Array) => void; onEnd?: () => void } = {},
): Promise<CollectedStream> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = []
    let ended = false
    const sink: ByteSink = {
      onData(chunk) {
        chunks.push(chunk)
        hooks.onData?.(chunk)
      },
      onEnd() {
        ended = true
        hooks.onEnd?.()
      },
      onDrain() {},
      onClose(error) {
        let length = 0
        for (const chunk of chunks) length += chunk.length
        const bytes = new Uint8Array(length)
        let offset = 0
        for (const chunk of chunks) {
          bytes.set(chunk, offset)
          offset += chunk.length
        }
        resolve({ bytes, ended, error })
      },
    }
    stream.start(sink)
  })
}

/**
 * Listens on `listenAddress` and dials it once.
 *
 * @param transport - the transport to use for both ends
 * @param listenAddress - where to listen (port 0 is fine)
 * @returns the dialled stream, the accepted stream and the listener
 */
export async function openPair(
  transport: Transport,
  listenAddress: string,
): Promise<{ client: ByteStream; server: ByteStream; listener: Listener }> {
  let accepted!: (stream: ByteStream) => void
  const server = new Promise<ByteStream>((resolve) => {
    accepted = resolve
  })
  const listener = await transport.listen(listenAddress, { onConnection: (stream) => accepted(stream) })
  const client = await transport.dial(listener.addresses[0] as string)
  return { client, server: await server, listener }
}
