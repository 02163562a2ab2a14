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
