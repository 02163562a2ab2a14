import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeTorrent } from '@mycel/pieces'
import { MemoryStateStore } from '@mycel/store'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type MycelNode } from '../src/index.js'
import { createTestnet, type NodeTestnet } from '../src/testing.js'
import { cleanup, memoryNode, nextEvent, sha256, tempDir, untilEvent, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
let net: NodeTestnet | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
  await cleanup(nodes.splice(0), dirs.splice(0))
})

describe('node API', () => {
  it('connects to peers given when the download already exists', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    const target = await tempDir()
    dirs.push(source, target)
    const bytes = await writeContent(join(source, 'a.bin'), 300_000, 71)
    const seeder = await memoryNode(network.transport())
    const leecher = await memoryNode(network.transport())
    nodes.push(seeder, leecher)
    const share = await seeder.share(join(source, 'a.bin'))
    const first = leecher.download(share.magnet, { dir: target }) // nobody to ask yet
    const again = leecher.download(share.magnet, { dir: target, peers: seeder.addresses })
    expect(again).toBe(first)
    await again.done()
    expect(sha256(await readFile(join(target, 'a.bin')))).toBe(sha256(bytes))
  })

  it('seeds again after a restart, and forgets a share it is told to remove', async () => {
    const source = await tempDir()
    const dataDir = await tempDir()
    dirs.push(source, dataDir)
    await writeContent(join(source, 'a.bin'), 100_000, 72)
    const options = { dataDir, listen: ['tcp://127.0.0.1:0'], dht: false as const }
    const first = await createNode(options)
    const share = await first.share(join(source, 'a.bin'))
    await first.close()
    const second = await createNode(options)
    nodes.push(second)
    expect(second.getShare(share.infohashHex)?.magnet).toBe(share.magnet)
    expect((await second.list()).map((record) => record.name)).toEqual(['a.bin'])
    await second.remove(share.infohashHex, { deleteState: true })
    expect(second.getShare(share.infohash)).toBeUndefined()
    expect(await second.list()).toEqual([])
  })

  it('forgets a download removed while it is still starting (its record is not written after the removal)', async () => {
    /** A state store whose reads of saved selections wait for a gate, and that says when a share is added. */
    class GatedState extends MemoryStateStore {
      open: () => void = () => {}
      readonly gate = new Promise<void>((resolve) => {
        this.open = resolve
      })
      added: () => void = () => {}
      readonly shareAdded = new Promise<void>((resolve) => {
        this.added = resolve
      })
      override async getValue(key: string): Promise<Uint8Array | undefined> {
        if (key.includes('selection')) await this.gate
        return super.getValue(key)
      }
      override async addShare(...args: Parameters<MemoryStateStore['addShare']>) {
        const record = await super.addShare(...args)
        this.added()
        return record
      }
    }
    const state = new GatedState()
    const target = await tempDir()
    dirs.push(target)
    const node = await memoryNode(createMemoryNetwork().transport(), { state })
    nodes.push(node)
    const infohash = 'c7'.repeat(32)
    node.download(infohash, { dir: target }) // its start waits at the gate, before its record is written
    const removing = node.remove(infohash, { deleteState: true })
    state.open()
    await removing
    await state.shareAdded
    expect(node.getDownload(infohash)).toBeUndefined()
    expect(await node.list()).toEqual([])
  })

  it('reports each peer connected and disconnected once, even when both sides dial at once', async () => {
    net = await createTestnet(2, { dht: false })
    const [a, b] = net.nodes as [MycelNode, MycelNode]
    const events: string[] = []
    a.on('peer-connected', (peer) => events.push(`connected ${peer.peerId === b.peerId}`))
    a.on('peer-disconnected', (peer) => events.push(`disconnected ${peer.peerId === b.peerId}`))
    const connected = Promise.all(
      [a, b].map((node) => untilEvent(node, 'peer-connected', () => node.peers().length === 1)),
    )
    await Promise.allSettled([a.connect(net.address(b)), b.connect(net.address(a))])
    await connected
    const disconnected = nextEvent(a, 'peer-disconnected')
    await b.close()
    await disconnected
    expect(events).toEqual(['connected true', 'disconnected true'])
  })

  it('lists a peer in peers() by the time it reports it connected, on both sides (real TCP)', async () => {
    const dirA = await tempDir()
    const dirB = await tempDir()
    dirs.push(dirA, dirB)
    const options = { listen: ['tcp://127.0.0.1:0'], dht: false as const, state: new MemoryStateStore() }
    const a = await createNode({ ...options, dataDir: dirA })
    const b = await createNode({ ...options, dataDir: dirB, state: new MemoryStateStore() })
    nodes.push(a, b)
    // What each node lists when it says a peer connected (the inbound side may read the hello while it
    // builds the connection).
    const seen = [a, b].map(
      (node) =>
        new Promise<string[]>((resolve) =>
          node.once('peer-connected', () => resolve(node.peers().map((peer) => peer.peerId))),
        ),
    )
    await a.connect(b.addresses[0] as string)
    expect(await Promise.all(seen)).toEqual([[b.peerId], [a.peerId]])
  })

  it('computes v1 hashes on request, for a hybrid .torrent without hashing again', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    dirs.push(source)
    await writeContent(join(source, 'a.bin'), 200_000, 73)
    const node = await memoryNode(network.transport())
    nodes.push(node)
    const share = await node.share(join(source, 'a.bin'), { v1: true })
    expect(share.manifest.v1).toBeDefined()
    const torrent = encodeTorrent(share.manifest, { hybrid: true })
    expect(torrent.infohashV1).toHaveLength(20)
  })
})
