// The bittorrent-tracker npm server in a process of its own for the benchmark (run with
// --expose-gc), configured like mycel-tracker: HTTP and UDP on 127.0.0.1, no WebSocket, no
// stats page. Tells its parent where it listens; answers 'measure' with its memory after a full GC.
//
//   node --expose-gc bittorrent-tracker.mjs <bittorrent-tracker/index.js> <http port> <udp port>
import { pathToFileURL } from 'node:url'

const [, , modulePath, httpPort, udpPort] = process.argv
const { Server } = await import(pathToFileURL(modulePath).href)
const server = new Server({ http: true, udp: true, ws: false, stats: false, trustProxy: false, interval: 1800 * 1000 })
server.on('error', (error) => process.send({ type: 'error', message: error.message }))
server.on('warning', () => {})
server.listen(
  { http: Number(httpPort), udp: Number(udpPort) },
  { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' },
  () => process.send({ type: 'ready', http: Number(httpPort), udp: Number(udpPort) }),
)
process.on('message', (message) => {
  if (message === 'measure') {
    globalThis.gc()
    globalThis.gc()
    let peers = 0
    for (const swarm of Object.values(server.torrents)) peers += swarm.complete + swarm.incomplete
    process.send({ type: 'memory', ...process.memoryUsage(), peers })
  } else if (message === 'stop') {
    server.close(() => process.exit(0))
  }
})
