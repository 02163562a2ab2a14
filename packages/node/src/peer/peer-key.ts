import { PEER_ID_BYTES, peerIdToString } from '@mycel/transport'
import { toHex } from '@mycel/wire'

/**
 * The text key of a peer (`PeerLink.key`) from its bytes (`PeerLink.keyBytes`),
 * as scores and bans are kept: a mycel peer id (32 bytes) is its base32 text,
 * any other key (another wire's identity) `k` and its hex, so that keys read
 * back from the state store after a restart are the keys links carry.
 * @internal
 */
export function peerKeyOf(keyBytes: Uint8Array): string {
  return keyBytes.length === PEER_ID_BYTES ? peerIdToString(keyBytes) : `k${toHex(keyBytes)}`
}
