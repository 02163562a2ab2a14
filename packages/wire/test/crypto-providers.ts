import * as buffer from 'node:buffer'
import * as crypto from 'node:crypto'
import { createNodeCrypto } from '../src/crypto/node-crypto.js'
import { type CryptoProvider, findNativeChaCha20, findNodeCrypto, nobleCrypto } from '../src/crypto.js'

const node = findNodeCrypto()
if (node === undefined) throw new Error('these tests run in Node, where node:crypto must be found')

/** The node:crypto provider, found at run time as every package finds it. */
export const nodeCrypto: CryptoProvider = node

/** Both implementations, to run a suite on each. */
export const providers: ReadonlyArray<readonly [string, CryptoProvider]> = [
  ['node:crypto', nodeCrypto],
  ['noble', nobleCrypto],
]

/** `node:crypto` without the native ChaCha20 module: its ChaCha20 goes through `update`. */
export const nodeCryptoWithoutNative: CryptoProvider = createNodeCrypto({ crypto, buffer })

/**
 * The providers whose ChaCha20 differs: the native module (which `findNodeCrypto` takes, built by
 * `npm run build:native`, and required here), `node:crypto`'s `update`, and noble.
 */
export const chacha20Providers: ReadonlyArray<readonly [string, CryptoProvider]> = [
  ['node:crypto with the native ChaCha20', nodeCrypto],
  ['node:crypto', nodeCryptoWithoutNative],
  ['noble', nobleCrypto],
]
if (findNativeChaCha20() === undefined)
  throw new Error('the native ChaCha20 must be built for these tests (npm run build:native)')

/** Hex to bytes (test fixtures are well-formed). */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'))
}

/** Bytes to hex, for readable assertions. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** The concatenation of byte strings. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
