import { findNodeCrypto } from '@mycel/wire/hash'
import type { HashProvider } from '../hash/provider.js'

const found = findNodeCrypto()
if (found === undefined) throw new Error('@mycel/pieces/node needs node:crypto (Node 20.16 or later)')

/**
 * The native provider, built on `node:crypto` (about ten times faster than
 * `@noble/hashes`): the `node:crypto` provider of `@mycel/wire/crypto`, the
 * one the core entry already uses by default in Node. Import it to pass it
 * explicitly, or to be sure of it.
 *
 * @example
 * ```ts
 * import { nodeHashProvider } from '@mycel/pieces/node'
 * verifyPiece(manifest, piece, bytes, { hash: nodeHashProvider })
 * ```
 */
export const nodeHashProvider: HashProvider = found
