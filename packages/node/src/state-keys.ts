/**
 * Keys the node uses in the state store's key/value area.
 * @module
 */

/** The DHT routing table, saved at close and loaded at start so a restart does not start cold (JSON). */
export const DHT_ROUTING_TABLE_KEY = 'dht/routing-table'
