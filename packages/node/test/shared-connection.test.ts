import { readFile } from 'node:fs/promises'
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import type { DhtNode } from '@mycel/dht'
import { createUdpDhtNode } from '@mycel/dht/udp'
import { formatMagnet, ingest } from '@mycel/pieces'
import { ingestPath } from '@mycel/pieces/node'
import { MemoryStateStore } from '@mycel/store'
import { Identity } from '@mycel/transport'
import { createMemoryNetwork } from '@mycel/transport/testing'
import type { Message } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type Download, type MycelNode } from '../src/index.js'
import { createTestnet, type MemoryContent, type NodeTestnet } from '../src/testing.js'
import { cleanup, contentBytes, memoryNode, sha256, tempDir, untilEvent, writeContent } from './helpers.js'
import { RawPeer } from './raw-peer.js'

const HOST = '127.0.0.1'
const nodes: MycelNode[] = []
const dirs: string[] = []
const raws: RawPeer[] = []
const servers: Server[] = []
const sockets = new Set<Socket>()
let dht: DhtNode | undefined
let net: NodeTestnet | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
  await Promise.allSettled(raws.splice(0).map((raw) => raw.close()))
  await cleanup(nodes.splice(0), dirs.splice(0))
  for (const socket of sockets) socket.destroy()
  sockets.clear()
  await Promise.allSettled(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
  await dht?.close()
  dht = undefined
})

/** Fails the test when `promise` is not settled within `ms`: a download that never starts would hang. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error(`${what} not within ${ms / 1000} s`)), ms).unref()
    }),
  ])
}

async function files(count: number, size = 300_000): Promise<{ dir: string; paths: string[] }> {
  const dir = await tempDir()
  dirs.push(dir)
  const paths: string[] = []
  for (let i = 0; i < count; i++) {
    const path = join(dir, `file-${i}.bin`)
    await writeContent(path, size, 70 + i)
    paths.push(path)
  }
  return { dir, paths }
}

/** `count` files of `size` bytes in a testnet node's memory files; their paths. */
function memoryFiles(content: MemoryContent, count: number, size = 300_000): string[] {
  return Array.from({ length: count }, (_, i) => {
    const path = `/share/file-${i}.bin`
    content.put(path, contentBytes(size, 70 + i))
    return path
  })
}

/** The manifest a node makes of a memory file when it shares it (default piece length). */
async function manifestOf(content: MemoryContent, path: string) {
  const bytes = content.get(path) as Uint8Array
  const name = path.split('/').pop() as string
  return ingest([{ path: [name], length: bytes.length, content: [bytes] }], { name })
}

/** Resolves with the first message `raw` receives from now on that passes `test`. */
function received(raw: RawPeer, test: (message: Message) => boolean): Promise<Message> {
  return new Promise((resolve) => raw.on((message) => test(message) && resolve(message)))
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): void {
  expect(a && sha256(a)).toBe(b && sha256(b))
}

async function sameContent(a: string, b: string): Promise<void> {
  expect(sha256(await readFile(a))).toBe(sha256(await readFile(b)))
}

/** Two identities, the first with the lower peer id (the duplicate rule keeps the connection it dials). */
function orderedIdentities(): [Identity, Identity] {
  const a = Identity.generate()
  const b = Identity.generate()
  return a.toString() < b.toString() ? [a, b] : [b, a]
}

/** A TCP port that forwards every connection to `port` (as a NAT's port mapping does). */
async function forwarder(port: number): Promise<string> {
  const server = createServer((inbound) => {
    const outbound = netConnect(port, HOST)
    for (const socket of [inbound, outbound]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    inbound.pipe(outbound).pipe(inbound)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
  return `tcp://${HOST}:${(server.address() as { port: number }).port}`
}

function tcpNode(identity: Identity, options: { listen?: string } = {}): Promise<MycelNode> {
  return tempDir().then((dataDir) => {
    dirs.push(dataDir)
    return createNode({
      dataDir,
      identity,
      listen: [options.listen ?? `tcp://${HOST}:0`],
      dht: false,
      state: new MemoryStateStore(),
    })
  })
}

describe('one connection carries every share both peers have', () => {
  it('a share the seeder adds after the leecher asked for it joins the existing connection', async () => {
    net = await createTestnet(2, { dht: false })
    const [seeder, leecher] = net.nodes as [MycelNode, MycelNode]
    const files = memoryFiles(net.content(seeder), 3)
    const a = await seeder.share(files[0] as string)
    const c = await seeder.share(files[2] as string)
    await leecher.download(a.magnet, { peers: [net.address(seeder)] }).done()
    const manifestB = await manifestOf(net.content(seeder), files[1] as string)
    const magnetB = formatMagnet({ infohash: manifestB.infohash, name: manifestB.name })
    // The leecher asks the connected seeder for B, which it does not have yet...
    const downloadB = leecher.download(magnetB)
    expect(leecher.getDownload(manifestB.infohash)).toBe(downloadB)
    // ...and then for C, which it has: once C has its peer, the seeder has read the question about B.
    const downloadC = leecher.download(c.magnet)
    await within(downloadC.done(), 10_000, 'C')
    expect(downloadB.progress.peers).toBe(0)
    await seeder.share(files[1] as string)
    await within(downloadB.done(), 10_000, 'B, added by the seeder after the question,')
    sameBytes(net.content(leecher).get('/downloads/file-1.bin'), net.content(seeder).get(files[1] as string))
    expect(leecher.stats().connections).toBe(1)
  }, 30_000)

  it('answers a question about a share only to the peer that asked, when the share is added', async () => {
    const network = createMemoryNetwork()
    const transport = network.transport()
    const { paths } = await files(2)
    const seeder = await memoryNode(network.transport())
    nodes.push(seeder)
    const a = await seeder.share(paths[0] as string)
    const manifestB = await ingestPath(paths[1] as string)
    const asker = await RawPeer.dial(transport, seeder.addresses[0] as string)
    const bystander = await RawPeer.dial(transport, seeder.addresses[0] as string)
    raws.push(asker, bystander)
    const barrier = async (raw: RawPeer, id: number) => {
      const answered = received(
        raw,
        (message) => (message.type === 'meta' || message.type === 'reject') && message.id === id,
      )
      raw.send({ type: 'meta-get', id, infohash: a.infohash, offset: 0 })
      // Answered `reject` (metadata goes to members of a share only): what counts is that it was read.
      await answered
    }
    asker.send({ type: 'bitfield', infohash: manifestB.infohash, bits: new Uint8Array(0) })
    await barrier(asker, 1) // the seeder has read the question
    const isB = (message: Message) =>
      'infohash' in message && Buffer.from(message.infohash).equals(Buffer.from(manifestB.infohash))
    const bitfieldB = received(asker, (message) => message.type === 'bitfield' && isB(message))
    await seeder.share(paths[1] as string)
    await within(bitfieldB, 5000, "the seeder's bitfield for B")
    // The asker is a member of B now: its requests are served.
    const dataB = received(asker, (message) => message.type === 'data' && message.id === 2)
    asker.send({
      type: 'request',
      id: 2,
      infohash: manifestB.infohash,
      piece: 0,
      offset: 0,
      length: 16_384,
      proof: false,
    })
    await within(dataB, 5000, 'the data of B')
    await barrier(bystander, 3)
    expect(bystander.received.filter(isB)).toEqual([])
    expect(bystander.received.filter((message) => message.type === 'bitfield')).toEqual([])
  }, 30_000)

  it('two downloads started together from the same seeder both use the one connection', async () => {
    net = await createTestnet(2, { dht: false })
    const [seeder, leecher] = net.nodes as [MycelNode, MycelNode]
    const files = memoryFiles(net.content(seeder), 2)
    const a = await seeder.share(files[0] as string)
    const b = await seeder.share(files[1] as string)
    const downloads: Download[] = [
      leecher.download(a.magnet, { peers: [net.address(seeder)] }),
      leecher.download(b.magnet, { peers: [net.address(seeder)] }),
    ]
    await within(Promise.all(downloads.map((download) => download.done())), 10_000, 'both downloads')
    for (const [i, file] of files.entries()) {
      sameBytes(net.content(leecher).get(`/downloads/file-${i}.bin`), net.content(seeder).get(file))
    }
    expect(leecher.stats().connections).toBe(1)
  }, 30_000)

  it('a data folder holding share A downloads share B from the same seeder (real DHT, restart)', async () => {
    dht = await createUdpDhtNode({ host: HOST, port: 0 })
    const router = `${HOST}:${dht.address.port}`
    const { paths } = await files(2)
    const target = await tempDir()
    const seederData = await tempDir()
    const leecherData = await tempDir()
    dirs.push(target, seederData, leecherData)
    const options = (dataDir: string) => ({
      dataDir,
      listen: [`tcp://${HOST}:0`],
      bootstrap: [router],
      dht: { host: HOST },
    })
    const seeder = await createNode(options(seederData))
    nodes.push(seeder)
    const a = await seeder.share(paths[0] as string)
    const b = await seeder.share(paths[1] as string)
    expect(await seeder.announce(a.infohash)).toBeGreaterThan(0)
    expect(await seeder.announce(b.infohash)).toBeGreaterThan(0)
    const first = await createNode(options(leecherData))
    await first.download(a.magnet, { dir: target }).done()
    await first.close()
    // The same data folder again: it seeds A, and downloads B from the seeder it finds for both.
    const again = await createNode(options(leecherData))
    nodes.push(again)
    await within(again.download(b.magnet, { dir: target }).done(), 30_000, 'B')
    await sameContent(paths[1] as string, join(target, 'file-1.bin'))
  }, 60_000)

  it('dialling the listen address of a peer that connected to us uses that connection', async () => {
    const { paths } = await files(2)
    const target = await tempDir()
    dirs.push(target)
    const [low, high] = orderedIdentities()
    // The leecher has the lower id: a second connection it dials would replace the first.
    const leecher = await tcpNode(low)
    const seeder = await tcpNode(high, { listen: 'tcp://0.0.0.0:0' })
    nodes.push(seeder, leecher)
    const a = await seeder.share(paths[0] as string)
    const b = await seeder.share(paths[1] as string)
    const connected = untilEvent(leecher, 'peer-connected', () => leecher.peers().length === 1)
    await seeder.connect(leecher.addresses[0] as string)
    await connected
    await leecher.download(a.magnet, { dir: target }).done()
    // The seeder's hello says tcp://0.0.0.0:<port>; the leecher is given 127.0.0.1:<port> for B.
    const port = new URL(seeder.addresses[0] as string).port
    await within(leecher.download(b.magnet, { dir: target, peers: [`tcp://${HOST}:${port}`] }).done(), 10_000, 'B')
    expect(leecher.peers()).toEqual([expect.objectContaining({ peerId: seeder.peerId, outbound: false })])
  }, 30_000)

  it('a second connection to the same peer (through another address) keeps the shares of the first', async () => {
    const { paths } = await files(2, 2_000_000)
    const target = await tempDir()
    dirs.push(target)
    const [low, high] = orderedIdentities()
    const leecher = await tcpNode(low)
    const seeder = await tcpNode(high)
    nodes.push(seeder, leecher)
    const a = await seeder.share(paths[0] as string)
    const b = await seeder.share(paths[1] as string)
    const connected = untilEvent(leecher, 'peer-connected', () => leecher.peers().length === 1)
    await seeder.connect(leecher.addresses[0] as string)
    await connected
    // A comes slowly over the connection the seeder dialled.
    const downloadA = leecher.download(a.magnet, { dir: target, limits: { downloadRate: 500_000 } })
    await untilEvent(downloadA, 'progress', () => downloadA.progress.verifiedBytes > 0)
    // B is dialled through a port mapping the leecher cannot tell is the seeder: the second connection,
    // dialled by the lower id, replaces the first, and A must go on over it.
    const mapped = await forwarder(Number(new URL(seeder.addresses[0] as string).port))
    const downloadB = leecher.download(b.magnet, { dir: target, peers: [mapped] })
    await within(Promise.all([downloadA.done(), downloadB.done()]), 20_000, 'A and B')
    await sameContent(paths[0] as string, join(target, 'file-0.bin'))
    await sameContent(paths[1] as string, join(target, 'file-1.bin'))
    expect(leecher.peers()).toEqual([expect.objectContaining({ peerId: seeder.peerId, outbound: true })])
  }, 40_000)
})
