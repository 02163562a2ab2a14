/**
 * A mycel peer of the benchmarks, one per process. The orchestrator bundles
 * this file from sources and runs it with plain `node`.
 *
 * - `seed <dataDir> <path>`: shares the file or folder (hashing timed apart),
 *   reports `ready` with its magnet link and addresses, serves until `stop`.
 * - `leech <dataDir> <downloadDir> <magnet>`: reports `ready` with its
 *   addresses, downloads on `go` from the peers given, reports `first-piece`
 *   when the first piece is verified and `done` when all are, keeps serving
 *   other leechers until `stop`.
 * - `seed-many <dataDir> <folder>`: shares every entry of the folder, each
 *   its own share, reports `ready` with their magnet links once all are
 *   served, serves until `stop`.
 * - `leech-many <dataDir> <downloadDir> <linksFile>`: on `go`, downloads
 *   every magnet link of the JSON array in `linksFile` at once from the
 *   peers given, reports `done` with the paths of the copies.
 * - `dht`: a DHT node on 127.0.0.1 that only serves (the one bootstrap node
 *   of a local DHT), reports `ready` with its port and `stored` with the
 *   number of peers announced to it whenever that changes, until `stop`.
 *
 * `--bootstrap <host:port>` after the arguments turns the DHT on (on
 * 127.0.0.1, joined through that node); without it the DHT is off.
 * Every role reports `exit` with CPU seconds and peak RSS after closing.
 * State is the default one, SQLite in the data dir, as users run it.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createUdpDhtNode } from '@mycel/dht/udp'
import { createNode, type Download, type MycelNode } from '../src/index.js'
import { command, cpuSeconds, report, run, usage } from './child-io.js'

/** When the modules were loaded (this body runs after every import is evaluated), and the node created. */
const phases = {
  loaded: { seconds: performance.now() / 1000, cpuSeconds: cpuSeconds(), rssMiB: rssMiB() },
  created: { seconds: 0, cpuSeconds: 0, rssMiB: 0 },
}

function rssMiB(): number {
  return process.memoryUsage.rss() / 1024 / 1024
}

const argv = process.argv.slice(2)
const bootstrapAt = argv.indexOf('--bootstrap')
const bootstrap = bootstrapAt >= 0 ? argv[bootstrapAt + 1] : undefined
const [role, dataDir, ...rest] = bootstrapAt >= 0 ? argv.slice(0, bootstrapAt) : argv

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

/**
 * Calls `onFirst` once, when the download's first piece is verified. The
 * `progress` event is throttled (at most every 250 ms, and an earlier event
 * for a peer that connected can hold the next one back), so this hooks the
 * internal notice the swarm gives the download on every change instead.
 */
function onFirstPiece(download: Download, onFirst: () => void): void {
  const notify = download.onProgress.bind(download)
  let seen = false
  download.onProgress = () => {
    if (!seen && download.progress.piecesVerified > 0) {
      seen = true
      onFirst()
    }
    notify()
  }
}

async function leech(node: MycelNode, downloadDir: string, magnet: string): Promise<void> {
  report('ready', { addresses: node.addresses })
  const { peers = [] } = await command('go')
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const connected = new Set<string>()
  node.on('peer-connected', (peer) => connected.add(peer.peerId))
  const download = node.download(magnet, { dir: downloadDir, peers })
  onFirstPiece(download, () =>
    report('first-piece', { seconds: (performance.now() - start) / 1000, sinceStart: performance.now() / 1000 }),
  )
  let firstEvent = false
  download.on('progress', (progress) => {
    if (firstEvent || progress.piecesVerified === 0) return
    firstEvent = true
    report('first-piece-event', { seconds: (performance.now() - start) / 1000 })
  })
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

async function seedMany(node: MycelNode, folder: string): Promise<void> {
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const entries = (await readdir(folder)).sort()
  const magnets: string[] = []
  for (const entry of entries) magnets.push((await node.share(join(folder, entry))).magnet)
  const cpuReady = cpuSeconds()
  report('ready', {
    magnets,
    addresses: node.addresses,
    hashSeconds: (performance.now() - start) / 1000,
    hashCpuSeconds: cpuReady - cpuStart,
    sinceStart: performance.now() / 1000,
    rssMiB: rssMiB(),
    phases,
  })
  await command('stop')
  report('served', { cpuSeconds: cpuSeconds() - cpuReady, uploaded: node.stats().bytesUploaded })
}

async function leechMany(node: MycelNode, downloadDir: string, linksFile: string): Promise<void> {
  const links = JSON.parse(await readFile(linksFile, 'utf8')) as string[]
  report('ready', { addresses: node.addresses })
  const { peers = [] } = await command('go')
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const downloads = links.map((link) => node.download(link, { dir: downloadDir, peers }))
  const results = await Promise.all(downloads.map((download) => download.done()))
  report('done', {
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: cpuSeconds() - cpuStart,
    bytes: results.reduce((total, result) => total + (result.totalBytes ?? 0), 0),
    paths: downloads.map((download) => download.contentPath),
    peers: node.peers().length,
  })
  await command('stop')
  report('served', { uploaded: node.stats().bytesUploaded })
}

/** The bootstrap node of a local DHT: serves, and tells how many peers were announced to it. */
async function dhtNode(): Promise<void> {
  const dht = await createUdpDhtNode({ host: '127.0.0.1', port: 0 })
  try {
    report('ready', { port: dht.address.port })
    let stored = 0
    const timer = setInterval(() => {
      const peers = dht.stats().storage.peers
      if (peers !== stored) report('stored', { peers })
      stored = peers
    }, 10)
    await command('stop')
    clearInterval(timer)
    report('served', { uploaded: 0 })
  } finally {
    await dht.close()
  }
}

run(async () => {
  if (role === 'dht') {
    await dhtNode()
    report('exit', usage())
    return
  }
  if (dataDir === undefined) throw new Error('usage: mycel-peer seed|leech|seed-many|leech-many|dht <dataDir> ...')
  const dht = bootstrap === undefined ? { dht: false as const } : { dht: { host: '127.0.0.1' }, bootstrap: [bootstrap] }
  const node = await createNode({ dataDir, listen: ['tcp://127.0.0.1:0'], ...dht })
  phases.created = { seconds: performance.now() / 1000, cpuSeconds: cpuSeconds(), rssMiB: rssMiB() }
  try {
    if (role === 'seed') await seed(node, rest[0] as string)
    else if (role === 'leech') await leech(node, rest[0] as string, rest[1] as string)
    else if (role === 'seed-many') await seedMany(node, rest[0] as string)
    else if (role === 'leech-many') await leechMany(node, rest[0] as string, rest[1] as string)
    else throw new Error(`unknown role ${role}`)
  } finally {
    await node.close()
  }
  report('exit', usage())
})
