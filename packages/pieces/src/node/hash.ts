import * as crypto from 'node:crypto'
import { createNodeCryptoProvider } from '../hash/node-crypto.js'
import type { HashProvider } from '../hash/provider.js'

/**
 * The native provider, built on `node:crypto` (about ten times faster than
 * `@noble/hashes`). The core entry already uses it by default in Node; import
 * it to pass it explicitly, or to be sure of it.
 *
 * @example
 * ```ts
 * import { nodeHashProvider } from '@mycel/pieces/node'
 * verifyPiece(manifest, piece, bytes, { hash: nodeHashProvider })
 * ```
 */
export const nodeHashProvider: HashProvider = createNodeCryptoProvider(crypto)
