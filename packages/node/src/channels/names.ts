import { fromHex, toHex } from '@mycel/wire'
import { NodeError } from '../errors.js'
import { isChannelLink, parseChannelLink } from './link.js'

/**
 * The public key (hex) a caller names a channel by: 64 hex digits or a link.
 * @throws NodeError `CHANNEL_LINK_MALFORMED`
 */
export function publicKeyHexOf(channel: string): string {
  if (isChannelLink(channel)) return toHex(parseChannelLink(channel).publicKey)
  if (/^[0-9a-fA-F]{64}$/.test(String(channel))) return String(channel).toLowerCase()
  throw new NodeError('CHANNEL_LINK_MALFORMED', 'a channel is named by its public key (64 hex digits) or its link')
}

/** The bytes of a key checked to be 64 hex digits. */
export function keyOfHex(hex: string): Uint8Array {
  const bytes = fromHex(hex)
  if (bytes === undefined || bytes.length !== 32) throw new NodeError('CHANNEL_KEY_INVALID', 'a key is 64 hex digits')
  return bytes
}
