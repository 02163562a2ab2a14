/**
 * Which key a share is announced and looked up under: a per-share policy,
 * kept in the state store so that a share resumed after a restart keeps it.
 * @module
 */

import { discoveryKey } from '@mycel/pieces'
import type { StateStore } from '@mycel/store'
import { toHex } from '@mycel/wire'
import { announceKeyPolicyKey } from '../state-keys.js'
import type { ShareKey } from './peer-source.js'

/**
 * The key a share is announced under on the DHT and to trackers.
 *
 * - `discovery-key` (the default): the first 20 bytes of
 *   SHA-256(`"mycel/1 discovery"` || infohash). Whoever holds the magnet link
 *   computes it; DHT nodes, trackers and crawlers that see it learn only that
 *   some share has peers at these addresses, not which share, unless they
 *   already know its infohash and try it.
 * - `infohash`: the v2 infohash truncated to 20 bytes, the key BitTorrent v2
 *   clients look up. For public shares meant to be found by BitTorrent tools:
 *   everyone who sees the announcement (DHT nodes, trackers, `sample_infohashes`
 *   crawlers) learns which share these addresses serve.
 */
export type AnnounceKeyPolicy = 'discovery-key' | 'infohash'

/** Bytes of the key the DHT and trackers take. */
const KEY_LENGTH = 20

/**
 * Checks an announce-key policy given as an option.
 * @param value - what the caller passed
 * @param name - the option's name, for the message
 * @returns the policy, or undefined when none was given
 * @throws TypeError for anything but `'discovery-key'`, `'infohash'` or undefined
 */
export function checkAnnounceKey(value: unknown, name = 'announceKey'): AnnounceKeyPolicy | undefined {
  if (value === undefined || value === 'discovery-key' || value === 'infohash') return value
  throw new TypeError(`${name} must be 'discovery-key' or 'infohash'`)
}

/**
 * The key a share is announced under, by policy.
 *
 * @param infohash - the share's 32-byte infohash
 * @param policy - which key
 * @returns the share and its 20-byte key
 * @throws RangeError when the infohash is not 32 bytes
 *
 * @example
 * ```ts
 * shareKeyOf(share.infohash, 'infohash').key // share.infohash.slice(0, 20)
 * ```
 */
export function shareKeyOf(infohash: Uint8Array, policy: AnnounceKeyPolicy): ShareKey {
  const key = discoveryKey(infohash) // checks the infohash
  return { infohash, key: policy === 'infohash' ? infohash.slice(0, KEY_LENGTH) : key }
}

/**
 * The key of a share: by the policy given (which is then saved for the
 * share), else by the policy saved for it, else by the node's default. A
 * saved policy that cannot be read falls back to `discovery-key`, which
 * reveals the least.
 *
 * @param state - the node's state store
 * @param infohash - the share
 * @param given - the policy of this call (share or download options), if any
 * @param fallback - the node's default
 * @returns the share's key
 */
export async function resolveShareKey(
  state: StateStore,
  infohash: Uint8Array,
  given: AnnounceKeyPolicy | undefined,
  fallback: AnnounceKeyPolicy,
): Promise<ShareKey> {
  const entry = announceKeyPolicyKey(toHex(infohash))
  if (given !== undefined) {
    await state.setValue(entry, new TextEncoder().encode(given)).catch(() => {})
    return shareKeyOf(infohash, given)
  }
  try {
    const saved = await state.getValue(entry)
    if (saved === undefined) return shareKeyOf(infohash, fallback)
    return shareKeyOf(infohash, checkAnnounceKey(new TextDecoder().decode(saved)) ?? fallback)
  } catch {
    return shareKeyOf(infohash, 'discovery-key')
  }
}
