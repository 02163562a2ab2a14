// mycel-tracker in a process of its own for the benchmark (run with --expose-gc).
// Tells its parent where it listens; answers 'measure' with its memory after a full GC.
import { createTracker } from '../../dist/tracker.js'

const tracker = await createTracker({
  http: [{ host: '127.0.0.1', port: 0 }],
  udp: [{ host: '127.0.0.1', port: 0 }],
  rateLimit: false,
  interval: 1800,
  // Every peer of the benchmark comes from two loopback addresses.
  limits: { maxPeersPerAddress: 10_000_000 },
  httpLimits: { maxConnectionsPerAddress: 10_000 },
})
process.send({ type: 'ready', http: tracker.http[0].port, udp: tracker.udp[0].port })
process.on('message', async (message) => {
  if (message === 'measure') {
    globalThis.gc()
    globalThis.gc()
    process.send({ type: 'memory', ...process.memoryUsage(), peers: tracker.stats().peers })
  } else if (message === 'stop') {
    await tracker.close()
    process.exit(0)
  }
})
