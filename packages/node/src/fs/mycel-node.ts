import { Readable } from 'node:stream'
import { MycelNode as CoreMycelNode } from '../node.js'
import type { ReadStreamOptions } from '../read-stream.js'

/**
 * A mycel node in Node: everything of the runtime-neutral node (see
 * `@mycel/node/core`), and Node streams of verified bytes. Made by
 * {@link createNode}.
 *
 * @example
 * ```ts
 * const node = await createNode({ dataDir: './.mycel', bootstrap: ['127.0.0.1:6881'] })
 * const share = await node.share('./photos')
 * console.log(share.magnet)
 * await node.close()
 * ```
 */
export class MycelNode extends CoreMycelNode {
  /**
   * Reads one file of a share as a Node stream of verified bytes. Pieces not
   * yet downloaded are fetched first, with Merkle proofs, so bytes flow
   * before their whole pieces arrive.
   *
   * @param infohash - the share (hex or bytes); it must be shared or downloading here
   * @param path - the file's path inside the share, components joined with `/`
   * @param options - `start`/`end` (inclusive) byte range, read-ahead, abort signal
   * @returns a Node readable stream
   * @throws `SHARE_NOT_FOUND` (at once); the stream fails with `FILE_NOT_FOUND` or `RANGE_INVALID`
   */
  createReadStream(infohash: string | Uint8Array, path: string, options: ReadStreamOptions = {}): Readable {
    return Readable.from(this.read(infohash, path, options), {
      objectMode: false,
      ...(options.signal ? { signal: options.signal } : {}),
    })
  }
}
