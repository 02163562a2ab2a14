/**
 * A WebTorrent peer of the transfer benchmark, one per process: the
 * reference the issue names. WebTorrent is loaded from the isolated folder
 * where the orchestrator installed it (never a project dependency). DHT,
 * trackers, LSD, uTP, web seeds and NAT traversal are off; the peer is added
 * by address. Pieces are verified (SHA-1, WebTorrent's default) and written
 * to disk.
 *
 * - `<webtorrentDir> seed <file> <torrentOut>`: seeds the file (hashing timed
 *   apart), writes the torrent file, reports `ready` with its port.
 * - `<webtorrentDir> leech <downloadDir> <torrentFile|magnet>`: on `go`, adds
 *   the torrent and the seeders' addresses, reports `first-piece` when the
 *   first piece is verified and `done` when all are.
 * - `<webtorrentDir> seed-many <folder> <torrentDir>`: seeds every entry of
 *   the folder, each its own torrent (written to `torrentDir`), reports
 *   `ready` with their torrent files once all are seeded.
 * - `<webtorrentDir> leech-many <downloadDir> <torrentsFile>`: on `go`, adds
 *   every torrent file of the JSON array in `torrentsFile` at once, with the
 *   seeders' addresses, reports `done` with the paths of the copies.
 *
 * `--bootstrap <host:port>` after the arguments turns the DHT on, joined
 * through that node only. Every role reports `exit` with CPU seconds and
 * peak RSS after destroying the client.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { command, cpuSeconds, report, run, usage } from './child-io.js'

/** The part of WebTorrent's API used here. */
interface Client {
  seed(path: string, options: object, onSeed: (torrent: Torrent) => void): Torrent
  add(torrent: Uint8Array | string, options: { path: string }): Torrent
  address(): { port: number } | null
  on(event: 'error', listener: (error: Error) => void): void
  destroy(callback: (error?: Error) => void): void
}

interface Torrent {
  name: string
  path: string
  length: number
  pieceLength: number
  pieces: unknown[]
  uploaded: number
  torrentFile: Uint8Array
  files: { path: string }[]
  magnetURI: string
  on(event: 'ready' | 'done' | 'infoHash' | 'dhtAnnounce', listener: () => void): void
  on(event: 'error', listener: (error: Error) => void): void
  on(event: 'wire', listener: (wire: { _encryptionMethod?: number | null }) => void): void
  once(event: 'verified', listener: (index: number) => void): void
  addPeer(address: string): boolean
}

const argv = process.argv.slice(2)
const bootstrapAt = argv.indexOf('--bootstrap')
const bootstrap = bootstrapAt >= 0 ? argv[bootstrapAt + 1] : undefined
const [webtorrentDir, role, ...rest] = bootstrapAt >= 0 ? argv.slice(0, bootstrapAt) : argv

async function openClient(): Promise<Client> {
  const entry = pathToFileURL(join(webtorrentDir as string, 'node_modules', 'webtorrent', 'index.js')).href
  const { default: WebTorrent } = (await import(entry)) as { default: new (options: object) => Client }
  const client = new WebTorrent({
    dht: bootstrap === undefined ? false : { bootstrap: [bootstrap] },
    tracker: false,
    lsd: false,
    utp: false,
    webSeeds: false,
    natUpnp: false,
    natPmp: false,
  })
  return client
}

/** Rejects on the first error of the client or the torrent. */
function failures(client: Client): { promise: Promise<never>; watch: (torrent: Torrent) => void } {
  let fail: (error: Error) => void = () => {}
  const promise = new Promise<never>((_, reject) => {
    fail = reject
  })
  promise.catch(() => {}) // observed through Promise.race; never an unhandled rejection
  client.on('error', fail)
  return { promise, watch: (torrent) => torrent.on('error', fail) }
}

async function seed(client: Client, file: string, torrentOut: string): Promise<void> {
  const errors = failures(client)
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const torrent = await Promise.race([
    new Promise<Torrent>((resolve) => errors.watch(client.seed(file, {}, resolve))),
    errors.promise,
  ])
  const cpuReady = cpuSeconds()
  await writeFile(torrentOut, torrent.torrentFile)
  report('ready', {
    port: client.address()?.port,
    magnet: torrent.magnetURI,
    hashSeconds: (performance.now() - start) / 1000,
    hashCpuSeconds: cpuReady - cpuStart,
    pieceLength: torrent.pieceLength,
    pieceCount: torrent.pieces.length,
  })
  await Promise.race([command('stop'), errors.promise])
  report('served', { cpuSeconds: cpuSeconds() - cpuReady, uploaded: torrent.uploaded })
}

async function leech(client: Client, downloadDir: string, link: string): Promise<void> {
  const errors = failures(client)
  // A magnet link is added as it is (the metadata comes from the peers); a torrent file is read first.
  const magnet = link.startsWith('magnet:')
  const metainfo = magnet ? link : new Uint8Array(await readFile(link))
  report('ready', {})
  const { peers = [] } = await command('go')
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const torrent = client.add(metainfo, { path: downloadDir })
  errors.watch(torrent)
  torrent.once('verified', () =>
    report('first-piece', { seconds: (performance.now() - start) / 1000, sinceStart: performance.now() / 1000 }),
  )
  const wireEncryption: (number | null)[] = []
  torrent.on('wire', (wire) => wireEncryption.push(wire._encryptionMethod ?? null))
  // Peers can be added once the infohash is known; for a torrent file, as before, once it is ready.
  torrent.on(magnet ? 'infoHash' : 'ready', () => {
    for (const peer of peers) torrent.addPeer(peer)
  })
  await Promise.race([new Promise<void>((resolve) => torrent.on('done', resolve)), errors.promise])
  report('done', {
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: cpuSeconds() - cpuStart,
    bytes: torrent.length,
    path: join(torrent.path, torrent.files[0]?.path ?? torrent.name),
    root: join(torrent.path, torrent.name),
    peers: wireEncryption.length,
    // MSE crypto_select of each wire: 1 = plaintext, 2 = RC4, null = no MSE handshake
    wireEncryption,
  })
  await command('stop')
  report('served', { uploaded: torrent.uploaded })
}

async function seedMany(client: Client, folder: string, torrentDir: string): Promise<void> {
  const errors = failures(client)
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const torrents: string[] = []
  const seeded: Torrent[] = []
  for (const [i, entry] of (await readdir(folder)).sort().entries()) {
    const torrent = await Promise.race([
      new Promise<Torrent>((resolve) => errors.watch(client.seed(join(folder, entry), {}, resolve))),
      errors.promise,
    ])
    const torrentFile = join(torrentDir, `${i}.torrent`)
    await writeFile(torrentFile, torrent.torrentFile)
    torrents.push(torrentFile)
    seeded.push(torrent)
  }
  const cpuReady = cpuSeconds()
  report('ready', {
    port: client.address()?.port,
    torrents,
    hashSeconds: (performance.now() - start) / 1000,
    hashCpuSeconds: cpuReady - cpuStart,
    sinceStart: performance.now() / 1000,
    rssMiB: process.memoryUsage.rss() / 1024 / 1024,
  })
  await Promise.race([command('stop'), errors.promise])
  const uploaded = seeded.reduce((total, torrent) => total + torrent.uploaded, 0)
  report('served', { cpuSeconds: cpuSeconds() - cpuReady, uploaded })
}

async function leechMany(client: Client, downloadDir: string, torrentsFile: string): Promise<void> {
  const errors = failures(client)
  const files = JSON.parse(await readFile(torrentsFile, 'utf8')) as string[]
  const metainfos = await Promise.all(files.map(async (file) => new Uint8Array(await readFile(file))))
  report('ready', {})
  const { peers = [] } = await command('go')
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const torrents = metainfos.map((metainfo) => {
    const torrent = client.add(metainfo, { path: downloadDir })
    errors.watch(torrent)
    torrent.on('ready', () => {
      for (const peer of peers) torrent.addPeer(peer)
    })
    return torrent
  })
  await Promise.race([
    Promise.all(torrents.map((torrent) => new Promise<void>((resolve) => torrent.on('done', resolve)))),
    errors.promise,
  ])
  report('done', {
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: cpuSeconds() - cpuStart,
    bytes: torrents.reduce((total, torrent) => total + torrent.length, 0),
    paths: torrents.map((torrent) => join(torrent.path, torrent.name)),
    peers: peers.length,
  })
  await command('stop')
  report('served', { uploaded: 0 })
}

run(async () => {
  const client = await openClient()
  try {
    if (role === 'seed') await seed(client, rest[0] as string, rest[1] as string)
    else if (role === 'leech') await leech(client, rest[0] as string, rest[1] as string)
    else if (role === 'seed-many') await seedMany(client, rest[0] as string, rest[1] as string)
    else if (role === 'leech-many') await leechMany(client, rest[0] as string, rest[1] as string)
    else throw new Error(`unknown role ${role}`)
  } finally {
    await new Promise<void>((resolve) => client.destroy(() => resolve()))
  }
  report('exit', usage())
})
