import type { CryptoProvider } from '../src/index.js'
import { nobleCrypto } from '../src/index.js'
import { nodeCrypto } from '../src/node.js'

/** Both crypto providers, to run a suite on each. */
export const providers: ReadonlyArray<[string, CryptoProvider]> = [
  ['node', nodeCrypto],
  ['noble', nobleCrypto],
]

/** Every pairing of providers for two parties, including the crossed ones. */
export const providerPairs: ReadonlyArray<[string, CryptoProvider, CryptoProvider]> = [
  ['node/node', nodeCrypto, nodeCrypto],
  ['noble/noble', nobleCrypto, nobleCrypto],
  ['node/noble', nodeCrypto, nobleCrypto],
  ['noble/node', nobleCrypto, nodeCrypto],
]

/** Hex to bytes, for fixtures. */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'))
}

/** Bytes to hex, for readable assertions. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
