/**
 * A mycel peer of the transfer benchmark, one per process. The orchestrator
 * bundles this file from sources and runs it with plain `node`.
 *
 * - `seed <dataDir> <file>`: shares the file (hashing timed apart), reports
 *   `ready` with its magnet link and addresses, serves until `stop`.
 * - `leech <dataDir> <downloadDir> <magnet>`: reports `ready` with its
 *   addresses, downloads on `go` from the peers given, reports `done`, keeps
 *   serving other leechers until `stop`.
 *
 * Both report `exit` with CPU seconds and peak RSS after closing the node.
 * State is the default one, SQLite in the data dir, as users run it.
 */
import { createNode, type MycelNode } from '../src/index.js'
import { command, cpuSeconds, report, run, usage } from './child-io.js'

const [role, dataDir, ...rest] = process.argv.slice(2)

async function seed(node: MycelNode, file: string): Promise<void> {
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const share = await node.share(file)
  const cpuReady = cpuSeconds()
  report('ready', {
    magnet: share.magnet,
    addresses: node.addresses,
    hashSeconds: (performance.now() - start) / 1000,
    hashCpuSeconds: cpuReady - cpuStart,
    pieceLength: share.manifest.pieceLength,
    pieceCount: share.manifest.pieceCount,
  })
  await command('stop')
  report('served', { cpuSeconds: cpuSeconds() - cpuReady, uploaded: node.stats().bytesUploaded })
}

async function leech(node: MycelNode, downloadDir: string, magnet: string): Promise<void> {
  report('ready', { addresses: node.addresses })
  const { peers = [] } = await command('go')
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const connected = new Set<string>()
  node.on('peer-connected', (peer) => connected.add(peer.peerId))
  const download = node.download(magnet, { dir: downloadDir, peers })
  const result = await download.done()
  report('done', {
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: cpuSeconds() - cpuStart,
    bytes: result.totalBytes,
    path: download.contentPath,
    peers: connected.size,
  })
  await command('stop')
  report('served', { uploaded: node.stats().bytesUploaded })
}

run(async () => {
  if (dataDir === undefined) throw new Error('usage: mycel-peer seed|leech <dataDir> ...')
  const node = await createNode({ dataDir, listen: ['tcp://127.0.0.1:0'], dht: false })
  try {
    if (role === 'seed') await seed(node, rest[0] as string)
    else if (role === 'leech') await leech(node, rest[0] as string, rest[1] as string)
    else throw new Error(`unknown role ${role}`)
  } finally {
    await node.close()
  }
  report('exit', usage())
})
