/**
 * Keys the node uses in the state store's key/value area.
 * @module
 */

/** The DHT routing table, saved at close and loaded at start so a restart does not start cold (JSON). */
export const DHT_ROUTING_TABLE_KEY = 'dht/routing-table'

/** The files a download of some files wants, as a JSON array of paths (absent: every file). */
export function selectionKey(infohashHex: string): string {
  return `selection/${infohashHex}`
}

/** Where a download writes (its content path, as text): set before its first write, so a resume knows its files. */
export function destinationKey(infohashHex: string): string {
  return `destination/${infohashHex}`
}

/** Size, times and inode of each file of a seeded share when it was last verified (JSON), to see changes. */
export function contentStampsKey(infohashHex: string): string {
  return `content/${infohashHex}`
}

/** The announce-key policy chosen for a share (`discovery-key` or `infohash`, as text); absent: the node's default. */
export function announceKeyPolicyKey(infohashHex: string): string {
  return `announce-key/${infohashHex}`
}

/** The share's own trackers (options, magnet `tr`, `.torrent`), as JSON tiers of URLs (BEP 12). */
export function shareTrackersKey(infohashHex: string): string {
  return `trackers/${infohashHex}`
}

/** Every key the node keeps about one share (what forgetting it removes). */
export function shareKeys(infohashHex: string): string[] {
  return [
    selectionKey(infohashHex),
    destinationKey(infohashHex),
    contentStampsKey(infohashHex),
    announceKeyPolicyKey(infohashHex),
    shareTrackersKey(infohashHex),
  ]
}
