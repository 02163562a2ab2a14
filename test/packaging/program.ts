/**
 * A program that uses the main APIs of every published package, as an
 * application would. `test/packaging.test.ts` type-checks it against the
 * packed packages under moduleResolution node16, nodenext and bundler; it is
 * never run. Each `Is<...>` line fails to compile if a type degrades to `any`
 * (as events did when typed-emitter did not resolve).
 */
import { type DhtNode, idToHex, type PeerAddress } from '@mycel/dht'
import { createTestnet, ManualClock } from '@mycel/dht/testing'
import { createUdpDhtNode } from '@mycel/dht/udp'
import { createNode, type Download, type DownloadProgress, type MycelNode, NodeError } from '@mycel/node'
import { BrowserContent, createBrowserNode } from '@mycel/node/browser'
import { type ContentStorage, type MycelNode as CoreNode, type CoreNodeOptions, createCoreNode } from '@mycel/node/core'
import { createTestnet as createNodeTestnet, memoryContent } from '@mycel/node/testing'
import { Bitfield, formatMagnet, type Manifest, parseMagnet, verifyPiece } from '@mycel/pieces'
import { ingestPath } from '@mycel/pieces/node'
import { formatPrivateLink, type PrivateManifest, parsePrivateLink } from '@mycel/pieces/private'
import { MemoryPieceStore, MemoryStateStore, type PieceStore, recheck, type StateStore } from '@mycel/store'
import { openBrowserPieceStore, openBrowserStorage, openIndexedDbStateStore } from '@mycel/store/browser'
import { openDownloadStore } from '@mycel/store/fs'
import { openSqliteStateStore } from '@mycel/store/sqlite'
import { makeTestShare, stateStoreCompliance, type TestRunner } from '@mycel/store/testing'
import { type ByteStream, FLUSH_CLOSE_MS, Identity, type SecureConnection, type Transport } from '@mycel/transport'
import { loadOrCreateIdentity, secure } from '@mycel/transport/node'
import { socksFetch, socksTransport } from '@mycel/transport/socks'
import { tcpTransport } from '@mycel/transport/tcp'
import { createMemoryNetwork, transportCompliance } from '@mycel/transport/testing'
import { type WebRtcSignaller, webRtcTransport } from '@mycel/transport/webrtc'
import { webSocketTransport } from '@mycel/transport/ws'
import { decodeBencode, decodeMessage, encodeBencode, encodeMessage, type Message, MycelError } from '@mycel/wire'
import { assertBytes, integerOption } from '@mycel/wire/assert'
import { type CryptoProvider, getDefaultCrypto, nobleCrypto } from '@mycel/wire/crypto'
import { getDefaultHashProvider, type HashProvider } from '@mycel/wire/hash'
import { createTextLogger, type Logger, silentLogger } from '@mycel/wire/log'
import { abortError, linkSignals } from '@mycel/wire/signal'

type IsAny<T> = 0 extends 1 & T ? true : false
/** Compiles only when `T` is not `any`. */
type NotAny<T> = IsAny<T> extends true ? never : T

export async function node(dataDir: string): Promise<void> {
  const mycel: MycelNode = await createNode({ dataDir, listen: ['tcp://127.0.0.1:0'], dht: false })
  mycel.on('download-progress', (progress) => {
    const checked: NotAny<typeof progress> = progress
    const verified: number = checked.verifiedBytes
    console.log(verified)
  })
  mycel.once('peer-disconnected', (peer, reason) => console.log(peer.peerId, reason?.message))
  const share = await mycel.share(`${dataDir}/file.bin`)
  const download: Download = mycel.download(share.magnet, { dir: `${dataDir}/downloads` })
  download.on('metadata', (manifest) => {
    const checked: NotAny<typeof manifest> = manifest
    console.log(checked.name, checked.totalLength)
  })
  download.on('progress', (progress: DownloadProgress) => console.log(progress.etaSeconds))
  const done: DownloadProgress = await download.done()
  console.log(done.piecesVerified, share.stats().bytesUploaded, mycel.stats())
  try {
    await mycel.announce(share.infohashHex)
  } catch (error) {
    if (error instanceof NodeError) console.log(error.code)
  }
  const secret = await mycel.share(`${dataDir}/file.bin`, { private: { readers: [mycel.peerId] } })
  const blind: NotAny<typeof secret.blindLink> = secret.blindLink
  const read = mycel.private.download(blind, { dir: `${dataDir}/plain` })
  const { manifest: plain } = await read.done()
  console.log(secret.link, secret.share.infohashHex, plain.files.length)
  await mycel.close()
}

export async function transport(): Promise<void> {
  const identity: Identity = await loadOrCreateIdentity('identity.json')
  const tcp: Transport = tcpTransport()
  const ws: Transport = webSocketTransport()
  const tor: Transport = socksTransport({ proxy: 'socks5://127.0.0.1:9050' })
  const answer: Response = await socksFetch({ proxy: 'socks5://127.0.0.1:9050' })('http://example.org/')
  console.log(tor.schemes, answer.status)
  const signaller: WebRtcSignaller = { exchange: async () => 'v=0', onOffer: () => () => {} }
  const rtc: Transport = webRtcTransport({ signaller, iceServers: ['stun:stun.example.org:3478'] })
  console.log(rtc.schemes)
  const listener = await tcp.listen('tcp://127.0.0.1:0', {
    onConnection: async (stream: ByteStream) => {
      const connection: SecureConnection = await secure(stream, identity, { initiator: false })
      connection.onMessage((message) => connection.write(message))
    },
  })
  const connection = await secure(await tcp.dial(listener.addresses[0] as string), Identity.generate(), {
    initiator: true,
  })
  await connection.send(new Uint8Array(3))
  await connection.close(new Error('done'))
  console.log(FLUSH_CLOSE_MS, await connection.closed)
  const network = createMemoryNetwork({ latencyMs: 5 })
  await Promise.all([tcp.close(), ws.close(), network.close()])
}

export async function dht(key: Uint8Array): Promise<void> {
  const udp: DhtNode = await createUdpDhtNode({ port: 0, bootstrap: ['127.0.0.1:6881'] })
  for await (const peer of udp.lookup(key, { signal: AbortSignal.timeout(1000) })) {
    const found: PeerAddress = peer
    console.log(found.host, found.port)
  }
  await udp.close()
  const testnet = await createTestnet(20, {})
  console.log(idToHex(testnet.nodes[0]?.id ?? new Uint8Array(20)), new ManualClock().now())
  await testnet.close()
}

export async function stores(manifest: Manifest, piece: Uint8Array): Promise<void> {
  const state: StateStore = await openSqliteStateStore(':memory:')
  await state.putManifest(manifest)
  const pieces: PieceStore = await openDownloadStore(manifest, './downloads')
  if (verifyPiece(manifest, 0, piece)) await pieces.writePiece(0, piece)
  const held: Bitfield = await recheck(manifest, pieces)
  await state.setBitfield(manifest.infohash, held)
  const memory = new MemoryPieceStore(manifest)
  console.log(await memory.has(0), await new MemoryStateStore().listShares())
  const share = await makeTestShare('x', [{ path: ['a.bin'], length: 100 }])
  console.log(share.manifest.infohashHex)
  await Promise.all([state.close(), pieces.close(), memory.close()])
}

/** The browser node type-checks without the DOM library too. */
export async function browserNode(): Promise<void> {
  const node: CoreNode = await createBrowserNode({ downloadDir: 'downloads', limits: { uploadRate: 1024 } })
  const content: ContentStorage = new BrowserContent(await openBrowserStorage())
  console.log(node.peerId, content.resolve('downloads/../a'))
  await Promise.all([node.close(), content.close()])
}

/** The browser stores type-check without the DOM library (this program has none). */
export async function browserStores(manifest: Manifest): Promise<void> {
  const state: StateStore = await openIndexedDbStateStore({ database: 'app-state' })
  const pieces = await openBrowserPieceStore(manifest, { contentPath: `downloads/${manifest.name}` })
  const storage: string = pieces.storage
  const held: PieceStore = pieces
  console.log(storage, await held.has(0), pieces.filePath(0))
  await Promise.all([state.close(), pieces.close()])
}

export async function pieces(path: string): Promise<void> {
  const manifest = await ingestPath(path)
  const magnet = formatMagnet({ infohash: manifest.infohash, name: manifest.name })
  console.log(parseMagnet(magnet).infohash, new Bitfield(manifest.pieceCount).count())
  const link = parsePrivateLink(formatPrivateLink({ infohash: manifest.infohash }))
  const files: PrivateManifest['files'] = []
  console.log(link.key === undefined, files.length)
}

export function wire(message: Message): Message {
  const bytes = encodeBencode({ a: 1 })
  console.log(decodeBencode(bytes))
  return decodeMessage(encodeMessage(message))
}

/** The shared foundations of `@mycel/wire`: crypto providers, the error base, signals, assertions. */
export async function foundations(key: Uint8Array, signal: AbortSignal): Promise<void> {
  assertBytes(key, 'key', 32)
  const crypto: CryptoProvider = getDefaultCrypto()
  const hash: HashProvider = getDefaultHashProvider()
  const sealed = crypto.encrypt(key, new Uint8Array(12), new Uint8Array(0), hash.sha256(key), 0)
  console.log(nobleCrypto.decrypt(key, new Uint8Array(12), new Uint8Array(0), sealed))
  const link = linkSignals([signal], { timeoutMs: integerOption(undefined, 'timeoutMs', { fallback: 1000 }) })
  try {
    await new Promise((resolve) => setTimeout(resolve, 10))
    if (link.signal.aborted) throw abortError(link.signal, NodeError)
  } catch (error) {
    if (error instanceof MycelError) console.log(error.code)
  } finally {
    link.dispose()
  }
}

/** Logging by component: a text logger handed to a node and a transport, or the silent default. */
export async function logging(dataDir: string, verbose: boolean): Promise<void> {
  const logger: Logger = verbose
    ? createTextLogger({ write: (line) => console.error(line), components: 'mycel:peer,mycel:dht', level: 'debug' })
    : silentLogger
  const log = logger.forComponent('app:main')
  if (log.enabled('info')) log.info('starting', { dataDir })
  const mycel = await createNode({ dataDir, dht: false, logger, transports: [tcpTransport({ logger })] })
  await mycel.close()
}

/** The compliance suites take any runner with this shape. */
export function compliance(runner: TestRunner): void {
  transportCompliance(runner, 'tcp', () => ({ transport: tcpTransport(), listenAddress: 'tcp://127.0.0.1:0' }))
  stateStoreCompliance(runner, 'memory', { create: async ({ now }) => new MemoryStateStore({ now }) })
}

/** The runtime-neutral node, from parts: its options and result types resolve in every mode. */
export async function coreNode(content: ContentStorage): Promise<CoreNode> {
  const options: CoreNodeOptions = {
    identity: Identity.generate(),
    state: new MemoryStateStore(),
    content,
    transports: [createMemoryNetwork().transport()],
    downloadDir: '/downloads',
  }
  const core = await createCoreNode(options)
  const chunks: NotAny<AsyncIterable<Uint8Array>> = core.read('00'.repeat(32), 'file')
  console.log(chunks)
  return core
}

/** A network of nodes in one process, with in-memory files. */
export async function nodeTestnet(): Promise<void> {
  const net = await createNodeTestnet(2)
  const [seeder, leecher] = net.nodes
  if (seeder === undefined || leecher === undefined) return
  net.content(seeder).put('/share/a.bin', new Uint8Array(1000))
  const share = await seeder.share('/share/a.bin')
  await leecher.download(share.magnet, { peers: [net.address(seeder)] }).done()
  const copy: Uint8Array | undefined = net.content(leecher).get('/downloads/a.bin')
  console.log(copy?.length, memoryContent().list())
  await net.close()
}
