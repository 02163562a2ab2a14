/**
 * Finding `node:crypto` at run time, without importing it.
 * @module
 */
import { findNativeChaCha20 } from './native-chacha20.js'
import { createNodeCrypto, type NodeCryptoModules } from './node-crypto.js'
import type { CryptoProvider } from './provider.js'

/** `process.getBuiltinModule`, where the runtime has it (Node 20.16+, Bun, Deno). */
type GetBuiltinModule = (id: string) => unknown

let found: { provider: CryptoProvider | undefined } | undefined

/**
 * The {@link CryptoProvider} over `node:crypto`, found through
 * `process.getBuiltinModule` (Node 20.16+, Bun, Deno): no `import` of a Node
 * module, so a browser bundle stays free of them, yet a Node user of any
 * entry gets OpenSSL's speed. Its ChaCha20 stream runs on the native module
 * when {@link findNativeChaCha20} finds one (the same bytes, in place).
 *
 * @returns the provider (made once, then cached), or undefined where the runtime has no `node:crypto`
 *
 * @example
 * ```ts
 * const native = findNodeCrypto() // undefined in a browser
 * ```
 */
export function findNodeCrypto(): CryptoProvider | undefined {
  found ??= { provider: lookUp() }
  return found.provider
}

function lookUp(): CryptoProvider | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: GetBuiltinModule } }).process
  const getBuiltinModule = runtime?.getBuiltinModule
  if (typeof getBuiltinModule !== 'function') return undefined
  try {
    const crypto = getBuiltinModule.call(runtime, 'node:crypto') as Partial<NodeCryptoModules['crypto']> | undefined
    const buffer = getBuiltinModule.call(runtime, 'node:buffer') as Partial<NodeCryptoModules['buffer']> | undefined
    if (typeof crypto?.createCipheriv !== 'function' || typeof buffer?.Buffer !== 'function') return undefined
    return createNodeCrypto({ crypto, buffer } as NodeCryptoModules, findNativeChaCha20())
  } catch {
    return undefined
  }
}
