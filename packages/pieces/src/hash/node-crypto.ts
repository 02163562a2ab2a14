/**
 * A {@link HashProvider} over the `node:crypto` module, which is handed in
 * (imported by `@mycel/pieces/node`, or found at run time by the default
 * provider), so this file imports nothing from Node.
 * @internal
 * @module
 */
import { type HashProvider, type IncrementalHash, UNWRAPPED_SHA256 } from './provider.js'

/** The part of a `node:crypto` Hash object used here. @internal */
export interface NodeHash {
  update(data: Uint8Array): unknown
  digest(): Uint8Array
  copy(): NodeHash
}

/** The part of the `node:crypto` module used here. @internal */
export interface NodeCryptoModule {
  createHash(algorithm: string): NodeHash
  /** One-shot hashing, Node 20.12+ and 21.7+. */
  hash?: (algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Uint8Array
}

/** A Buffer seen as a plain Uint8Array (same memory, no copy). */
function view(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

class NodeIncrementalHash implements IncrementalHash {
  constructor(private readonly state: NodeHash) {}

  update(data: Uint8Array): void {
    this.state.update(data)
  }

  digest(): Uint8Array {
    return view(this.state.digest())
  }

  copy(): IncrementalHash {
    return new NodeIncrementalHash(this.state.copy())
  }
}

/** Builds a provider over a `node:crypto` module. @internal */
export function createNodeCryptoProvider(crypto: NodeCryptoModule): HashProvider {
  const oneShot = crypto.hash
  const unwrapped =
    typeof oneShot === 'function'
      ? (data: Uint8Array): Uint8Array => oneShot('sha256', data, 'buffer')
      : (data: Uint8Array): Uint8Array => hashOnce(crypto, data)
  return Object.freeze({
    name: 'node:crypto',
    sha256: (data: Uint8Array): Uint8Array => view(unwrapped(data)),
    [UNWRAPPED_SHA256]: unwrapped,
    createSha256: (): IncrementalHash => new NodeIncrementalHash(crypto.createHash('sha256')),
    createSha1: (): IncrementalHash => new NodeIncrementalHash(crypto.createHash('sha1')),
  })
}

function hashOnce(crypto: NodeCryptoModule, data: Uint8Array): Uint8Array {
  const state = crypto.createHash('sha256')
  state.update(data)
  return state.digest()
}
