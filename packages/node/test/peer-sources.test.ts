import { createTestnet } from '@mycel/dht/testing'
import * as vitest from 'vitest'
import { DhtPeerSource, DirectPeerSource } from '../src/discovery.js'
import { peerSourceCompliance } from '../src/testing.js'
import { MemoryTracker } from './memory-tracker.js'

// The DHT source on a memory DHT of 8 nodes: node 1 announces, node 2 looks up.
peerSourceCompliance(vitest, 'DhtPeerSource', async () => {
  const testnet = await createTestnet(8)
  const [, announcer, finder] = testnet.nodes
  if (announcer === undefined || finder === undefined) throw new Error('a testnet of 8 nodes has them')
  return {
    sources: [new DhtPeerSource(announcer), new DhtPeerSource(finder)],
    addressOf: (port) => `tcp://${announcer.address.host}:${port}`,
    close: () => testnet.close(),
  }
})

// Direct peers are told, not announced: the finder is given the address.
peerSourceCompliance(vitest, 'DirectPeerSource', async () => {
  const sources = [new DirectPeerSource(), new DirectPeerSource()] as const
  return {
    sources,
    addressOf: (port) => `tcp://127.0.0.1:${port}`,
    publish: async (share, port) => sources[1].add(share.infohash, [`tcp://127.0.0.1:${port}`]),
  }
})

// The test double: one in-memory tracker, a client each.
peerSourceCompliance(vitest, 'MemoryTrackerSource (test double)', async () => {
  const tracker = new MemoryTracker()
  return {
    sources: [tracker.source('192.0.2.1'), tracker.source('192.0.2.2')],
    addressOf: (port) => `tcp://192.0.2.1:${port}`,
  }
})
