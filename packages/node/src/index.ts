/**
 * The mycel node that applications embed: share files and folders (hashed
 * in place, seeded without copying), find peers on the Mainline DHT, download
 * from many peers at once over Noise-encrypted connections with every piece
 * verified, stream verified bytes of a file before it is complete, and
 * resume after a restart or a crash.
 *
 * This is the Node entry: {@link createNode} gives every part a default
 * (SQLite state, the file system, TCP and WebSocket, a UDP DHT, an identity
 * file). The same node without Node defaults, for browsers and workers, is
 * `@mycel/node/core`; everything it exports is exported here too.
 *
 * @example
 * ```ts
 * import { createNode } from '@mycel/node'
 *
 * const seeder = await createNode({ dataDir: './seeder', bootstrap: ['127.0.0.1:6881'] })
 * const share = await seeder.share('./photos')
 *
 * const leecher = await createNode({ dataDir: './leecher', bootstrap: ['127.0.0.1:6881'] })
 * const download = leecher.download(share.magnet, { dir: './downloads' })
 * download.on('progress', (p) => console.log(p.verifiedBytes, '/', p.totalBytes))
 * await download.done()
 *
 * await Promise.all([seeder.close(), leecher.close()])
 * ```
 *
 * @packageDocumentation
 */

export * from './core.js'
export { createNode } from './create-node.js'
export { type FileSystemContentOptions, fileSystemContent } from './fs/content.js'
export { MycelNode } from './fs/mycel-node.js'
export { fileSystemPrivateStorage } from './fs/private-storage.js'
export type { NodeOptions } from './options.js'
export { parseOnionAddress } from './proxy-mode.js'
