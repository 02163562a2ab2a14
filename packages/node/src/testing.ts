/**
 * Test helpers of `@mycel/node`, usable without a test runner: a network of
 * real nodes in one process ({@link createTestnet}), an in-memory
 * {@link ContentStorage} for it ({@link memoryContent}), and the compliance
 * suites that every implementation of a node seam runs.
 *
 * @example
 * ```ts
 * import { createTestnet } from '@mycel/node/testing'
 *
 * const net = await createTestnet(2)
 * const [seeder, leecher] = net.nodes
 * net.content(seeder).put('/share/a.bin', new Uint8Array(100_000))
 * const share = await seeder.share('/share/a.bin')
 * await leecher.download(share.magnet, { peers: [net.address(seeder)] }).done()
 * await net.close()
 * ```
 *
 * @packageDocumentation
 */

export type { ContentStorage } from './content.js'
export { MemoryContent, memoryContent } from './testing/memory-content.js'
export { createTestnet, type NodeTestnet, type NodeTestnetOptions } from './testing/testnet.js'
