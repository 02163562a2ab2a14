import { linkSignals } from '@mycel/wire/signal'
import type { MycelNode } from '../node.js'
import type { ReadStreamOptions } from '../read-stream.js'

/**
 * Reads one file of a share as a web `ReadableStream` of verified bytes: the
 * browser's form of `createReadStream` (a `Response` body, a service
 * worker's answer, `stream.pipeTo(fileWritable)`). Bytes are pulled as the
 * consumer reads, pieces under the read fetched first with Merkle proofs;
 * cancelling the stream ends the read (and its signal's work) at once.
 *
 * @param node - a node that shares or downloads the share
 * @param infohash - the share (hex or bytes)
 * @param path - the file's path inside the share, components joined with `/`
 * @param options - `start`/`end` (inclusive) byte range, read-ahead, abort signal
 * @returns the stream; it errors with `FILE_NOT_FOUND`, `RANGE_INVALID` or `ABORTED`
 * @throws `NodeError` `SHARE_NOT_FOUND` at once
 *
 * @example
 * ```ts
 * const stream = createReadableStream(node, download.infohash, 'movie.mkv', { start: 1024 })
 * await stream.pipeTo(await fileHandle.createWritable())
 * ```
 */
export function createReadableStream(
  node: MycelNode,
  infohash: string | Uint8Array,
  path: string,
  options: ReadStreamOptions = {},
): ReadableStream<Uint8Array> {
  const cancelled = new AbortController()
  const link = linkSignals([options.signal, cancelled.signal])
  let iterator: AsyncIterator<Uint8Array>
  try {
    iterator = node.read(infohash, path, { ...options, signal: link.signal })[Symbol.asyncIterator]()
  } catch (error) {
    link.dispose()
    throw error
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await iterator.next()
          if (next.done === true) {
            link.dispose()
            controller.close()
          } else {
            controller.enqueue(next.value)
          }
        } catch (error) {
          link.dispose()
          controller.error(error)
        }
      },
      async cancel(reason) {
        cancelled.abort(reason)
        try {
          await iterator.return?.()
        } finally {
          link.dispose()
        }
      },
    },
    // Nothing is read ahead of the consumer here (the swarm already fetches `readAhead` bytes ahead).
    { highWaterMark: 0 },
  )
}
