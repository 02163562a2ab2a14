import * as vitest from 'vitest'
import { createMemoryNetwork, transportCompliance } from '../src/testing.js'

transportCompliance(vitest, 'memory', () => {
  const network = createMemoryNetwork()
  return { transport: network.transport(), listenAddress: 'memory://0', close: () => network.close() }
})

transportCompliance(
  vitest,
  'memory with latency and bandwidth',
  () => {
    const network = createMemoryNetwork({ latencyMs: 2, bytesPerSecond: 200 * 1024 * 1024 })
    return { transport: network.transport(), listenAddress: 'memory://0', close: () => network.close() }
  },
  { largeTransferBytes: 4 * 1024 * 1024, concurrentConnections: 20 },
)
