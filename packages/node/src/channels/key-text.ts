/**
 * The text form of a channel's exported key: one JSON line,
 * `{"mycelChannelKey":1,"publicKey":"<hex>","secretKey":"<hex>"[,"readKey":"<hex>"]}`.
 * @module
 */
import { toHex } from '@mycel/wire'
import type { CryptoProvider } from '@mycel/wire/crypto'
import { NodeError } from '../errors.js'
import { keyOfHex } from './names.js'

/**
 * Writes an exported key.
 * @param publicKeyHex - the channel's public key
 * @param secretKey - its 32-byte secret key
 * @param readKeyHex - a private channel's read key, hex
 * @returns the JSON line
 */
export function formatExportedKey(publicKeyHex: string, secretKey: Uint8Array, readKeyHex: string | undefined): string {
  return JSON.stringify({
    mycelChannelKey: 1,
    publicKey: publicKeyHex,
    secretKey: toHex(secretKey),
    ...(readKeyHex === undefined ? {} : { readKey: readKeyHex }),
  })
}

/**
 * Reads an exported key.
 * @param text - the JSON line
 * @param crypto - derives the public key, to check the one given with it
 * @returns the secret key and the read key
 * @throws NodeError `CHANNEL_KEY_INVALID` for anything else
 */
export function parseExportedKey(
  text: string,
  crypto: CryptoProvider,
): { secretKey: Uint8Array; readKey: Uint8Array | undefined } {
  let parsed: { mycelChannelKey?: unknown; secretKey?: unknown; readKey?: unknown; publicKey?: unknown }
  try {
    parsed = JSON.parse(String(text))
  } catch {
    throw new NodeError('CHANNEL_KEY_INVALID', 'not an exported channel key (not JSON)')
  }
  const hex = (value: unknown) => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
  if (
    parsed?.mycelChannelKey !== 1 ||
    !hex(parsed.secretKey) ||
    (parsed.readKey !== undefined && !hex(parsed.readKey))
  ) {
    throw new NodeError(
      'CHANNEL_KEY_INVALID',
      'not an exported channel key (mycelChannelKey 1, secretKey and readKey hex)',
    )
  }
  const secretKey = keyOfHex(parsed.secretKey as string)
  if (parsed.publicKey !== undefined && parsed.publicKey !== toHex(crypto.ed25519PublicKey(secretKey))) {
    throw new NodeError('CHANNEL_KEY_INVALID', 'the secret key is not that of the public key given with it')
  }
  return { secretKey, readKey: parsed.readKey === undefined ? undefined : keyOfHex(parsed.readKey as string) }
}
