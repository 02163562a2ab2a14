import type { DhtNode } from '@mycel/dht'
import type { StateStore } from '@mycel/store'
import { type ComponentLogger, describeError } from '@mycel/wire/log'
import { DHT_ROUTING_TABLE_KEY } from './state-keys.js'

/**
 * Saves a DHT node's routing table (with the address the network sees) in
 * the state store, for the next start. A failure is logged and costs only
 * that start a cold table.
 *
 * @param dht - the node's DHT
 * @param state - where it is saved, under `DHT_ROUTING_TABLE_KEY`
 * @param log - where a failure is told (`warn`)
 * @internal
 */
export async function saveRoutingTable(dht: DhtNode, state: StateStore, log: ComponentLogger): Promise<void> {
  const snapshot = new TextEncoder().encode(JSON.stringify(dht.snapshot()))
  await state.setValue(DHT_ROUTING_TABLE_KEY, snapshot).catch((error) => {
    log.warn(`saving the DHT routing table failed: ${describeError(error)}`)
  })
}
