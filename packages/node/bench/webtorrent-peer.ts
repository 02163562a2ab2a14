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
 * - `<webtorrentDir> leech <downloadDir> <torrentFile>`: on `go`, adds the
 *   torrent and the seeder's address, reports `done`.
 *
 * Both report `exit` with CPU seconds and peak RSS after destroying the client.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { command, cpuSeconds, report, run, usage } from './child-io.js'

/** The part of WebTorrent's API used here. */
interface Client {
  seed(path: string, options: object, onSeed: (torrent: Torrent) => void): Torrent
  add(torrent: Uint8Array, options: { path: string }): Torrent
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
  on(event: 'ready' | 'done', listener: () => void): void
  on(event: 'error', listener: (error: Error) => void): void
  on(event: 'wire', listener: (wire: { _encryptionMethod?: number | null }) => void): void
  addPeer(address: string): boolean
}

const [webtorrentDir, role, ...rest] = process.argv.slice(2)

async function openClient(): Promise<Client> {
  const entry = pathToFileURL(join(webtorrentDir as string, 'node_modules', 'webtorrent', 'index.js')).href
  const { default: WebTorrent } = (await import(entry)) as { default: new (options: object) => Client }
  const client = new WebTorrent({
    dht: false,
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
    hashSeconds: (performance.now() - start) / 1000,
    hashCpuSeconds: cpuReady - cpuStart,
    pieceLength: torrent.pieceLength,
    pieceCount: torrent.pieces.length,
  })
  await Promise.race([command('stop'), errors.promise])
  report('served', { cpuSeconds: cpuSeconds() - cpuReady, uploaded: torrent.uploaded })
}

async function leech(client: Client, downloadDir: string, torrentFile: string): Promise<void> {
  const errors = failures(client)
  const metainfo = new Uint8Array(await readFile(torrentFile))
  report('ready', {})
  const { peers = [] } = await command('go')
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const torrent = client.add(metainfo, { path: downloadDir })
  errors.watch(torrent)
  const wireEncryption: (number | null)[] = []
  torrent.on('wire', (wire) => wireEncryption.push(wire._encryptionMethod ?? null))
  torrent.on('ready', () => {
    for (const peer of peers) torrent.addPeer(peer)
  })
  await Promise.race([new Promise<void>((resolve) => torrent.on('done', resolve)), errors.promise])
  report('done', {
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: cpuSeconds() - cpuStart,
    bytes: torrent.length,
    path: join(torrent.path, torrent.files[0]?.path ?? torrent.name),
    peers: wireEncryption.length,
    // MSE crypto_select of each wire: 1 = plaintext, 2 = RC4, null = no MSE handshake
    wireEncryption,
  })
  await command('stop')
  report('served', { uploaded: torrent.uploaded })
}

run(async () => {
  const client = await openClient()
  try {
    if (role === 'seed') await seed(client, rest[0] as string, rest[1] as string)
    else if (role === 'leech') await leech(client, rest[0] as string, rest[1] as string)
    else throw new Error(`unknown role ${role}`)
  } finally {
    await new Promise<void>((resolve) => client.destroy(() => resolve()))
  }
  report('exit', usage())
})
