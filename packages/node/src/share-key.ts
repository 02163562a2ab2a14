import { fromHex, toHex } from '@mycel/wire'
import { NodeError } from './errors.js'

/** The key of a share in the node's maps: its infohash as lower-case hex. */
export function keyOf(infohash: string | Uint8Array): string {
  return typeof infohash === 'string' ? infohash.toLowerCase() : toHex(infohash)
}

/** An infohash given as hex or bytes, as bytes. */
export function infohashBytes(infohash: string | Uint8Array): Uint8Array {
  const bytes = typeof infohash === 'string' ? fromHex(infohash) : infohash
  if (bytes?.length !== 32) throw new NodeError('SHARE_NOT_FOUND', 'an infohash is 32 bytes (64 hex digits)')
  return bytes
}
